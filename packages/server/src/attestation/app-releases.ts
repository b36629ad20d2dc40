import { randomUUID } from 'node:crypto';
import type { AppReleaseView } from '@portcullis/protocol';
import type { Kysely, Selectable } from 'kysely';
import { type Database, isUniqueViolation } from '../db/index.ts';
import type { EventBus } from '../events/index.ts';
import { Conflict, InvalidRequest, NotFound } from '../http/errors.ts';
import type { AttestationTables } from './tables.ts';

type ReleaseRow = Selectable<AttestationTables['app_releases']>;

// An app id is a bundle id / package name (`com.example.app`) or TEAMID.bundle.id for Apple.
const APP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const DIGEST = /^sha256:([0-9a-fA-F]{64})$/;
const CHANGED = 'attestation.releases.changed';
/**
 * How long an app's releases are answered from memory. Changes are announced on the event bus and
 * take effect at once on every node that shares it; this bounds how long a node that missed one
 * (no shared bus) can go on accepting a revoked release.
 */
const CACHE_MS = 5000;
const MAX_CACHED_APPS = 10_000;

function view(row: ReleaseRow): AppReleaseView {
  return {
    id: row.id,
    app_id: row.app_id,
    version: row.version,
    digest: `sha256:${row.digest}`,
    created_at: new Date(row.created_at).toISOString(),
    revoked_at: row.revoked_at === null ? null : new Date(row.revoked_at).toISOString(),
  };
}

/**
 * Genuine app releases. A release is known by the SHA-256 of its artifact or signing certificate
 * (the CLI hashes files locally and sends only the digest); a revoked release fails from the next
 * attestation on.
 */
export class AppReleases {
  readonly #db: Kysely<Database>;
  readonly #bus: EventBus;
  /** Each app's releases, newest first, as of `at`; every attestation asks for them. */
  readonly #byApp = new Map<string, { rows: Promise<ReleaseRow[]>; at: number }>();
  readonly #unsubscribe: () => void;

  constructor(db: Kysely<Database>, bus: EventBus) {
    this.#db = db;
    this.#bus = bus;
    this.#unsubscribe = bus.subscribe(CHANGED, () => this.#byApp.clear());
  }

  close(): void {
    this.#unsubscribe();
  }

  /** Forgets cached releases here and on every node, after a change is committed. */
  async #changed(): Promise<void> {
    this.#byApp.clear();
    await this.#bus.publish(CHANGED, {});
  }

  #releasesOf(appId: string): Promise<ReleaseRow[]> {
    const now = Date.now();
    const cached = this.#byApp.get(appId);
    if (cached && now - cached.at < CACHE_MS) return cached.rows;
    const rows = this.#db
      .selectFrom('app_releases')
      .selectAll()
      .where('app_id', '=', appId)
      .orderBy('created_at', 'desc')
      .execute();
    if (this.#byApp.size >= MAX_CACHED_APPS) this.#byApp.clear();
    const entry = { rows, at: now };
    this.#byApp.set(appId, entry);
    // A failed lookup is not kept; a newer one made meanwhile is.
    rows.catch(() => {
      if (this.#byApp.get(appId) === entry) this.#byApp.delete(appId);
    });
    return rows;
  }

  async register(appId: string, digest: string, version: string | null): Promise<AppReleaseView> {
    if (!APP_ID.test(appId)) throw new InvalidRequest('app_id must be a bundle id or package name such as com.example.app');
    const hex = DIGEST.exec(digest)?.[1];
    if (!hex) throw new InvalidRequest('digest must be sha256: followed by 64 hex digits');
    const row: ReleaseRow = {
      id: randomUUID(),
      app_id: appId,
      version,
      digest: hex.toLowerCase(),
      created_at: Date.now(),
      revoked_at: null,
    };
    try {
      await this.#db.insertInto('app_releases').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`release ${digest} of ${appId} is already registered`);
      throw err;
    }
    await this.#changed();
    return view(row);
  }

  async list(): Promise<AppReleaseView[]> {
    const rows = await this.#db.selectFrom('app_releases').selectAll().orderBy('app_id').orderBy('created_at').execute();
    return rows.map(view);
  }

  /** Revokes every live release of an app, or only those of one version. */
  async revoke(appId: string, version: string | undefined): Promise<AppReleaseView[]> {
    let query = this.#db
      .updateTable('app_releases')
      .set({ revoked_at: Date.now() })
      .where('app_id', '=', appId)
      .where('revoked_at', 'is', null);
    if (version !== undefined) query = query.where('version', '=', version);
    const result = await query.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      throw new NotFound(`no live release of ${appId}${version === undefined ? '' : ` version ${version}`}`);
    }
    await this.#changed();
    return (await this.list()).filter((r) => r.app_id === appId);
  }

  /**
   * What an attestation proves about its build, against the registry: the newest live release of
   * `appId` whose digest is one of `digests` (or, with `'any'`, any live release: App Attest proves
   * the App ID but not the build), and otherwise whether such a release was ever registered (then
   * it was revoked).
   */
  async match(appId: string, digests: readonly string[] | 'any'): Promise<{ live: AppReleaseView | null; known: boolean }> {
    if (digests !== 'any' && digests.length === 0) return { live: null, known: false };
    const hexes = digests === 'any' ? null : new Set(digests.map((d) => d.toLowerCase()));
    const rows = (await this.#releasesOf(appId)).filter((row) => hexes === null || hexes.has(row.digest));
    const live = rows.find((row) => row.revoked_at === null);
    return { live: live ? view(live) : null, known: rows.length > 0 };
  }

  /** The live release of `appId` with this digest, if any. */
  async findLive(appId: string, digestHex: string): Promise<AppReleaseView | null> {
    return (await this.match(appId, [digestHex])).live;
  }
}
