import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { EventBus } from '../events/index.ts';
import { InvalidRequest } from '../http/errors.ts';

/** Every policy setting, its allowed values (or the pattern a value matches) and its default. */
export const POLICY_SETTINGS = {
  /** Whether a failed client learns why (`off`: a generic failure; logs and the admin API keep the reasons). */
  'rejection-reasons': { values: ['on', 'off'], default: 'on' },
  /** Whether `software` evidence is accepted at all (development and web clients); `off` for hardware-only production. */
  'software-evidence': { values: ['on', 'off'], default: 'on' },
  /** Whether App Attest keys of the development environment (builds run from Xcode) pass; production keys always do. */
  'apple-development': { values: ['on', 'off'], default: 'off' },
  /** `required`: an Android device must report verifiedBootState Verified (locked bootloader, the maker's OS). */
  'android-verified-boot': { values: ['required', 'off'], default: 'required' },
  /** `required`: the Android attestation must come from a StrongBox secure element, not only a TEE. */
  'android-strongbox': { values: ['required', 'off'], default: 'off' },
  /** The oldest Android OS security patch level (YYYYMM) that passes, or `off`. */
  'android-min-patch-level': { values: ['off'], pattern: /^20\d\d(0[1-9]|1[0-2])$/, patternName: 'YYYYMM', default: 'off' },
  /**
   * Challenges one client address may take per minute, or `off`. `/attest/challenge` needs no
   * credentials, and each challenge starts an attestation (a signature check, and a write when it
   * is spent), so this bounds how much work one unauthenticated caller can make. Mind
   * carrier-grade NAT: many devices can share an address (behind proxies, set PORTCULLIS_TRUST_PROXY).
   */
  'challenge-rate-limit': { values: ['off'], pattern: /^[1-9]\d{0,6}$/, patternName: 'a number per minute', default: '600' },
} as const satisfies Record<string, { values: readonly string[]; default: string; pattern?: RegExp; patternName?: string }>;

export type PolicyKey = keyof typeof POLICY_SETTINGS;
const CHANGED = 'attestation.policy.changed';

/** The attestation policy: settings in the database, read from memory, changed on every node through the event bus. */
export class Policy {
  readonly #db: Kysely<Database>;
  readonly #bus: EventBus;
  #values = new Map<string, string>();
  #unsubscribe: () => void = () => {};

  private constructor(db: Kysely<Database>, bus: EventBus) {
    this.#db = db;
    this.#bus = bus;
  }

  static async open(db: Kysely<Database>, bus: EventBus): Promise<Policy> {
    const policy = new Policy(db, bus);
    await policy.reload();
    policy.#unsubscribe = bus.subscribe(CHANGED, () => {
      policy.reload().catch(() => {});
    });
    return policy;
  }

  close(): void {
    this.#unsubscribe();
  }

  async reload(): Promise<void> {
    const rows = await this.#db.selectFrom('attestation_policy').selectAll().execute();
    this.#values = new Map(rows.map((r) => [r.key, r.value]));
  }

  get(key: PolicyKey): string {
    return this.#values.get(key) ?? POLICY_SETTINGS[key].default;
  }

  all(): Record<PolicyKey, string> {
    return Object.fromEntries(Object.keys(POLICY_SETTINGS).map((k) => [k, this.get(k as PolicyKey)])) as Record<
      PolicyKey,
      string
    >;
  }

  async set(key: string, value: string): Promise<void> {
    if (!Object.hasOwn(POLICY_SETTINGS, key))
      throw new InvalidRequest(
        `unknown policy setting ${JSON.stringify(key)}; known: ${Object.keys(POLICY_SETTINGS).join(', ')}`,
      );
    const setting = POLICY_SETTINGS[key as PolicyKey];
    const allowed: readonly string[] = setting.values;
    const matches = 'pattern' in setting && setting.pattern.test(value);
    if (!allowed.includes(value) && !matches) {
      const shapes = 'patternName' in setting ? [setting.patternName, ...allowed] : allowed;
      throw new InvalidRequest(`${key} takes ${shapes.join(' or ')}`);
    }
    await this.#db
      .insertInto('attestation_policy')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
    await this.reload();
    await this.#bus.publish(CHANGED, {});
  }
}
