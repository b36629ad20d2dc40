import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { EventBus } from '../events/index.ts';
import type { SecretDigests } from '../keys/index.ts';
import { AppReleases } from './app-releases.ts';
import { Challenges } from './challenges.ts';
import { Devices } from './devices.ts';
import { Policy } from './policy.ts';

const HOUSEKEEPING_MS = 60_000;

/** App attestation's state: registered releases and outstanding challenges. */
export class Attestation {
  readonly releases: AppReleases;
  readonly challenges: Challenges;
  readonly devices: Devices;
  readonly #timer: NodeJS.Timeout;

  readonly policy: Policy;

  private constructor(db: Kysely<Database>, digests: SecretDigests, policy: Policy) {
    this.releases = new AppReleases(db);
    this.challenges = new Challenges(db, digests);
    this.devices = new Devices(db);
    this.policy = policy;
    this.#timer = setInterval(() => {
      this.challenges.deleteExpired().catch(() => {});
    }, HOUSEKEEPING_MS);
    this.#timer.unref();
  }

  static async open(db: Kysely<Database>, digests: SecretDigests, bus: EventBus): Promise<Attestation> {
    return new Attestation(db, digests, await Policy.open(db, bus));
  }

  close(): void {
    clearInterval(this.#timer);
    this.policy.close();
  }
}
