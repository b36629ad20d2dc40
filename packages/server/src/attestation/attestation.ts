import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { SecretDigests } from '../keys/index.ts';
import { AppReleases } from './app-releases.ts';
import { Challenges } from './challenges.ts';

const HOUSEKEEPING_MS = 60_000;

/** App attestation's state: registered releases and outstanding challenges. */
export class Attestation {
  readonly releases: AppReleases;
  readonly challenges: Challenges;
  readonly #timer: NodeJS.Timeout;

  constructor(db: Kysely<Database>, digests: SecretDigests) {
    this.releases = new AppReleases(db);
    this.challenges = new Challenges(db, digests);
    this.#timer = setInterval(() => {
      this.challenges.deleteExpired().catch(() => {});
    }, HOUSEKEEPING_MS);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
