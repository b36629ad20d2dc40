import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { EventBus } from '../events/index.ts';
import type { SecretDigests } from '../keys/index.ts';
import { AppReleases } from './app-releases.ts';
import { AppleKeys } from './apple-keys.ts';
import { Challenges } from './challenges.ts';
import { Devices } from './devices.ts';
import { Policy } from './policy.ts';
import type { RevocationList } from './revocation-list.ts';

const HOUSEKEEPING_MS = 60_000;

/**
 * Trust anchors (PEM) for the hardware formats instead of the shipped Apple and Google roots.
 * Tests only: it is a `buildApp` option, never configuration, so production cannot be pointed at
 * other roots by accident.
 */
export interface AttestationRoots {
  apple?: string[];
  android?: string[];
}

/**
 * App attestation's state: registered releases, challenges (sealed; spent ones recorded), devices,
 * attested App Attest keys, policy, trust anchors.
 */
export class Attestation {
  readonly releases: AppReleases;
  readonly challenges: Challenges;
  readonly devices: Devices;
  readonly appleKeys: AppleKeys;
  readonly #timer: NodeJS.Timeout;

  readonly policy: Policy;
  /** Empty in production: the verifiers then use the shipped roots. */
  readonly roots: AttestationRoots;
  /** Android attestation certificates Google has revoked or suspended. */
  readonly revocationList: RevocationList;

  private constructor(
    db: Kysely<Database>,
    digests: SecretDigests,
    bus: EventBus,
    policy: Policy,
    roots: AttestationRoots,
    revocationList: RevocationList,
    devices: Devices,
  ) {
    this.revocationList = revocationList;
    this.releases = new AppReleases(db, bus);
    this.challenges = new Challenges(db, digests);
    this.devices = devices;
    this.appleKeys = new AppleKeys(db);
    this.policy = policy;
    this.roots = roots;
    this.#timer = setInterval(() => {
      this.challenges.deleteExpired().catch(() => {});
    }, HOUSEKEEPING_MS);
    this.#timer.unref();
  }

  static async open(
    db: Kysely<Database>,
    digests: SecretDigests,
    bus: EventBus,
    options: {
      roots?: AttestationRoots | undefined;
      revocationList: RevocationList;
      /** Hears of device sightings that could not be written (devices.ts). */
      onError?: (err: unknown) => void;
    },
  ): Promise<Attestation> {
    const policy = await Policy.open(db, bus);
    const devices = await Devices.open(db, bus, options.onError);
    return new Attestation(db, digests, bus, policy, options.roots ?? {}, options.revocationList, devices);
  }

  /** Stops housekeeping and writes the device sightings still waiting. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.policy.close();
    this.releases.close();
    this.devices.close();
    await this.devices.flush();
  }
}
