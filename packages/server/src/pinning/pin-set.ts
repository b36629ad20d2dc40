import { createHash, X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { PinSetView } from '@portcullis/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { InvalidRequest, NotFound } from '../http/errors.ts';

export type { PinSetView };

// RFC 7469 §2.4: pin-sha256 is the base64 SHA-256 of the DER SubjectPublicKeyInfo.
const PIN = /^sha256\/[A-Za-z0-9+/]{43}=$/;
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The pin of a PEM certificate's public key. */
export function spkiPin(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256/${createHash('sha256').update(spki).digest('base64')}`;
}

let managedRoots: string[] | undefined;
/** The public CA roots Node ships (Mozilla's list), as SPKI pins: what "managed trust roots" hands out. */
export function managedTrustRoots(): string[] {
  managedRoots ??= [...new Set(rootCertificates.map(spkiPin))].sort();
  return managedRoots;
}

/**
 * Certificate pins per host, and the pin set's version, which grows on every change so a client
 * can refuse an older set than one it has seen (rollback protection).
 */
export class PinSet {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async #bump(trx: Kysely<Database>, managed?: boolean): Promise<void> {
    const now = Date.now();
    await trx
      .insertInto('pin_set')
      .values({ id: 1, version: 1, managed_trust_roots: managed ? 1 : 0, updated_at: now })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          version: eb('pin_set.version', '+', 1),
          updated_at: now,
          ...(managed === undefined ? {} : { managed_trust_roots: managed ? 1 : 0 }),
        })),
      )
      .execute();
  }

  async add(host: string, spki: string[]): Promise<PinSetView> {
    const name = host.toLowerCase();
    if (!HOST.test(name)) throw new InvalidRequest('the host must be a DNS name such as api.example.com');
    if (spki.length === 0 || spki.some((p) => !PIN.test(p)))
      throw new InvalidRequest('each pin is sha256/ followed by the base64 SHA-256 of the SubjectPublicKeyInfo');
    await this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('pins').select('spki').where('host', '=', name).executeTakeFirst();
      const merged = [...new Set([...(row ? (JSON.parse(row.spki) as string[]) : []), ...spki])];
      await trx
        .insertInto('pins')
        .values({ host: name, spki: JSON.stringify(merged), updated_at: Date.now() })
        .onConflict((oc) => oc.column('host').doUpdateSet({ spki: JSON.stringify(merged), updated_at: Date.now() }))
        .execute();
      await this.#bump(trx);
    });
    return this.show();
  }

  async remove(host: string): Promise<PinSetView> {
    await this.#db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('pins').where('host', '=', host.toLowerCase()).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw new NotFound(`no pins for ${host}`);
      await this.#bump(trx);
    });
    return this.show();
  }

  async setManagedTrustRoots(on: boolean): Promise<PinSetView> {
    await this.#db.transaction().execute((trx) => this.#bump(trx, on));
    return this.show();
  }

  /**
   * Records the server's own TLS pin at start-up. A different pin than last time (a new TLS key)
   * changes what the pin set says, so the set gets a new version: clients that keep the highest
   * version they have seen would otherwise have no sign that it changed.
   */
  async noteServerPin(pin: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('pin_set').select('server_pin').where('id', '=', 1).executeTakeFirst();
      if (row?.server_pin === pin) return;
      await this.#bump(trx);
      await trx.updateTable('pin_set').set({ server_pin: pin }).where('id', '=', 1).execute();
    });
  }

  /** A new version with the same pins: something else the pin set carries changed (the protected domains). */
  async touch(): Promise<void> {
    await this.#db.transaction().execute((trx) => this.#bump(trx));
  }

  async show(): Promise<PinSetView> {
    const state = await this.#db.selectFrom('pin_set').selectAll().where('id', '=', 1).executeTakeFirst();
    const rows = await this.#db.selectFrom('pins').selectAll().orderBy('host').execute();
    return {
      version: state?.version ?? 0,
      managed_trust_roots: state?.managed_trust_roots === 1,
      pins: Object.fromEntries(rows.map((r) => [r.host, JSON.parse(r.spki) as string[]])),
    };
  }
}
