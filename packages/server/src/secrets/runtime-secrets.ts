import type { SecretView } from '@portcullis/protocol';
import type { Kysely } from 'kysely';
import { type Database, isUniqueViolation } from '../db/index.ts';
import type { EventBus } from '../events/index.ts';
import { Conflict, InvalidRequest, NotFound } from '../http/errors.ts';
import type { Envelope } from '../keys/index.ts';

export type { SecretView };

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const MAX_VALUE_BYTES = 16_384;
const context = (name: string, version: number) => `runtime_secret:${name}:${version}`;
/** Published (to every node) when a secret is added, updated or removed. */
export const SECRETS_CHANGED = 'secrets.changed';

/**
 * Runtime secrets: the API keys and client secrets an app needs but must not ship with. Stored
 * sealed (envelope encryption, bound to name and version), versioned on every update, never
 * returned to admins; delivered only to attested app instances (routes.ts).
 */
export class RuntimeSecrets {
  readonly #db: Kysely<Database>;
  readonly #envelope: Envelope;
  readonly #bus: EventBus;

  constructor(db: Kysely<Database>, envelope: Envelope, bus: EventBus) {
    this.#db = db;
    this.#envelope = envelope;
    this.#bus = bus;
  }

  async add(name: string, value: string, appId: string | null): Promise<SecretView> {
    if (!NAME.test(name)) throw new InvalidRequest('a secret name is 1 to 128 letters, digits or . _ -');
    if (value.length === 0 || Buffer.byteLength(value) > MAX_VALUE_BYTES)
      throw new InvalidRequest(`a secret value is 1 to ${MAX_VALUE_BYTES} bytes`);
    const latest = await this.#db
      .selectFrom('runtime_secrets')
      .select(['version', 'app_id'])
      .where('name', '=', name)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    // A new version keeps the secret's scope; moving it to another app is a remove and an add.
    if (latest && latest.app_id !== appId) {
      throw new Conflict(`secret ${name} is scoped to ${latest.app_id ?? 'every attested app'}; remove it first to change that`);
    }
    const version = (latest?.version ?? 0) + 1;
    const row = {
      name,
      version,
      app_id: appId,
      sealed: await this.#envelope.seal(value, context(name, version)),
      created_at: Date.now(),
    };
    try {
      await this.#db.insertInto('runtime_secrets').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`secret ${name} was changed at the same moment; try again`);
      throw err;
    }
    await this.#bus.publish(SECRETS_CHANGED, { name });
    return { name, version, app_id: appId, created_at: new Date(row.created_at).toISOString() };
  }

  /** The newest version of each secret (never a value). */
  async list(): Promise<SecretView[]> {
    const rows = await this.#db
      .selectFrom('runtime_secrets')
      .select(['name', 'version', 'app_id', 'created_at'])
      .orderBy('name')
      .orderBy('version', 'desc')
      .execute();
    const newest = new Map<string, SecretView>();
    for (const r of rows)
      if (!newest.has(r.name))
        newest.set(r.name, {
          name: r.name,
          version: r.version,
          app_id: r.app_id,
          created_at: new Date(r.created_at).toISOString(),
        });
    return [...newest.values()];
  }

  async remove(name: string): Promise<void> {
    const result = await this.#db.deleteFrom('runtime_secrets').where('name', '=', name).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new NotFound(`no secret named ${name}`);
    await this.#bus.publish(SECRETS_CHANGED, { name });
  }

  /**
   * The current value whatever its app scope, for the gateway to inject into upstream requests
   * (server side: no app ever sees it), or null when there is no such secret.
   */
  async valueForGateway(name: string): Promise<string | null> {
    const row = await this.#db
      .selectFrom('runtime_secrets')
      .selectAll()
      .where('name', '=', name)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? this.#envelope.open(row.sealed, context(row.name, row.version)) : null;
  }

  /** The current value for an app, or null when there is none it may read (unknown and foreign look alike). */
  async valueFor(name: string, appId: string): Promise<{ value: string; version: number } | null> {
    const row = await this.#db
      .selectFrom('runtime_secrets')
      .selectAll()
      .where('name', '=', name)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row || (row.app_id !== null && row.app_id !== appId)) return null;
    return { value: await this.#envelope.open(row.sealed, context(row.name, row.version)), version: row.version };
  }
}
