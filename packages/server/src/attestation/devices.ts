import type { DeviceView } from '@portcullis/protocol';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/index.ts';
import type { EventBus } from '../events/index.ts';
import { InvalidRequest, NotFound } from '../http/errors.ts';
import type { AttestationTables } from './tables.ts';

type DeviceRow = Selectable<AttestationTables['devices']>;

export type { DeviceView };

/** What the admins decided about a device, for the verdict. */
export type DeviceStanding = 'denied' | 'always-pass' | 'default';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const MAX_ALWAYS_PASS_S = 90 * 86_400;

function view(row: DeviceRow): DeviceView {
  return {
    device_id: row.device_id,
    status: row.status as DeviceView['status'],
    policy: row.policy as DeviceView['policy'],
    policy_expires_at: iso(row.policy_expires_at),
    app_id: row.app_id,
    platform: row.platform,
    key_thumbprint: row.jkt,
    first_seen: new Date(row.first_seen).toISOString(),
    last_seen: new Date(row.last_seen).toISOString(),
    last_verdict: row.last_verdict,
  };
}

/** What an admin decided about one device: the columns its standing comes from. */
type Decision = Pick<DeviceRow, 'device_id' | 'status' | 'policy' | 'policy_expires_at' | 'allowed_jkt' | 'denied_jkt'>;
const DECISION_COLUMNS = ['device_id', 'status', 'policy', 'policy_expires_at', 'allowed_jkt', 'denied_jkt'] as const;

/** Only these rows change a verdict; every other device stands at the default. */
const isDecided = (row: Decision) => row.status === 'denied' || row.policy === 'always-pass';

/** Published (with the device id) when an admin allows, denies or removes a device. */
const CHANGED = 'devices.changed';

/** One attestation's sighting of a device, waiting to be written. */
interface Sighting {
  deviceId: string;
  jkt: string;
  appId: string;
  platform: string;
  verdict: string;
  firstSeen: number;
  lastSeen: number;
}

/** How long a sighting may wait to be written with others. */
const SIGHTINGS_WAIT_MS = 50;
/** A batch this large is written at once. */
const SIGHTINGS_MAX = 256;

/**
 * Devices are known by the id they report and the app-instance key they prove. An admin can deny
 * one, or let a developer's or CI device pass whatever its signals for a limited time: that
 * allowance holds only for the key the device had when it was allowed, so claiming the device id
 * with another key gains nothing.
 */
export class Devices {
  readonly #db: Kysely<Database>;
  readonly #bus: EventBus;
  readonly #onError: (err: unknown) => void;
  #sightings = new Map<string, Sighting>();
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  /** Admins' decisions (denied or always-pass devices), by device id: every verdict reads them from memory. */
  readonly #decided = new Map<string, Decision>();
  /** The keys denied with a device, and how many denied devices name each. */
  readonly #deniedKeys = new Map<string, number>();
  /** Reloads of single devices, one after another, so an older answer never overwrites a newer one. */
  #reloading: Promise<void> = Promise.resolve();
  #unsubscribe: () => void = () => {};

  private constructor(db: Kysely<Database>, bus: EventBus, onError: (err: unknown) => void) {
    this.#db = db;
    this.#bus = bus;
    this.#onError = onError;
  }

  /**
   * Loads the admins' decisions, then follows every change to them, this node's at once and other
   * nodes' through the event bus, so no attestation queries the devices table.
   */
  static async open(db: Kysely<Database>, bus: EventBus, onError: (err: unknown) => void = () => {}): Promise<Devices> {
    const devices = new Devices(db, bus, onError);
    devices.#unsubscribe = bus.subscribe(CHANGED, (payload) => {
      const deviceId = (payload as { device_id?: unknown }).device_id;
      if (typeof deviceId === 'string') devices.#reload(deviceId).catch(onError);
    });
    // The first load is the first link of the reload chain, so a change heard meanwhile lands after it.
    devices.#reloading = (async () => {
      const rows = await db
        .selectFrom('devices')
        .select(DECISION_COLUMNS)
        .where((eb) => eb.or([eb('status', '=', 'denied'), eb('policy', '=', 'always-pass')]))
        .execute();
      for (const row of rows) devices.#remember(row.device_id, row);
    })();
    await devices.#reloading;
    return devices;
  }

  #remember(deviceId: string, row: Decision | undefined): void {
    const before = this.#decided.get(deviceId);
    if (before?.status === 'denied' && before.denied_jkt !== null) {
      const left = (this.#deniedKeys.get(before.denied_jkt) ?? 1) - 1;
      if (left > 0) this.#deniedKeys.set(before.denied_jkt, left);
      else this.#deniedKeys.delete(before.denied_jkt);
    }
    if (!row || !isDecided(row)) {
      this.#decided.delete(deviceId);
      return;
    }
    this.#decided.set(deviceId, row);
    if (row.status === 'denied' && row.denied_jkt !== null)
      this.#deniedKeys.set(row.denied_jkt, (this.#deniedKeys.get(row.denied_jkt) ?? 0) + 1);
  }

  /** Reads one device's decision again (after a change here or on another node). */
  #reload(deviceId: string): Promise<void> {
    this.#reloading = this.#reloading
      .catch(() => {})
      .then(async () => {
        const row = await this.#db
          .selectFrom('devices')
          .select(DECISION_COLUMNS)
          .where('device_id', '=', deviceId)
          .executeTakeFirst();
        this.#remember(deviceId, row);
      });
    return this.#reloading;
  }

  /**
   * After an admin's change: the bus runs this node's subscription (the reload) within `publish`,
   * before it reaches the other nodes; the change is done when this node's memory has it.
   */
  async #changed(deviceId: string): Promise<void> {
    try {
      await this.#bus.publish(CHANGED, { device_id: deviceId });
    } finally {
      await this.#reloading;
    }
  }

  close(): void {
    this.#unsubscribe();
  }

  standing(deviceId: string, jkt: string): DeviceStanding {
    // A denial covers the device id and the key it had when denied: a new id with the same key
    // is still denied. (With software evidence both are the client's own; see ATTESTATION.md.)
    const decision = this.#decided.get(deviceId);
    if (decision?.status === 'denied' || this.#deniedKeys.has(jkt)) return 'denied';
    if (decision?.policy !== 'always-pass') return 'default';
    const live = decision.policy_expires_at === null || decision.policy_expires_at > Date.now();
    return live && decision.allowed_jkt === jkt ? 'always-pass' : 'default';
  }

  /**
   * Records that a device attested (its key, app, platform, time and verdict). Sightings are
   * written together, up to 50 ms later, in one statement: a write of its own was a sixth of an
   * attestation's database time. Nothing decides a verdict from them (the standing above comes
   * from what admins set), and every read and change of devices here writes the waiting ones
   * first, so this node's admin API never misses one; another node's may, for those 50 ms. A
   * batch the database refuses is logged and dropped; the next sighting of each device writes it.
   */
  seen(d: { deviceId: string; jkt: string; appId: string; platform: string; verdict: string }): void {
    const now = Date.now();
    const earlier = this.#sightings.get(d.deviceId);
    this.#sightings.set(d.deviceId, { ...d, firstSeen: earlier?.firstSeen ?? now, lastSeen: now });
    if (this.#sightings.size >= SIGHTINGS_MAX) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), SIGHTINGS_WAIT_MS);
  }

  /** Writes the waiting sightings; resolves once they (and any earlier batch) are written or have failed. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#sightings.size > 0) {
      const batch = [...this.#sightings.values()];
      this.#sightings = new Map();
      this.#writing = this.#writing.then(() => this.#write(batch)).catch(this.#onError);
    }
    return this.#writing;
  }

  async #write(batch: Sighting[]): Promise<void> {
    await this.#db
      .insertInto('devices')
      .values(
        batch.map((s) => ({
          device_id: s.deviceId,
          status: 'active',
          policy: 'default',
          policy_expires_at: null,
          jkt: s.jkt,
          allowed_jkt: null,
          denied_jkt: null,
          app_id: s.appId,
          platform: s.platform,
          first_seen: s.firstSeen,
          last_seen: s.lastSeen,
          last_verdict: s.verdict,
        })),
      )
      // `excluded` is the row that was to be inserted; one row per device id, so none is updated twice.
      .onConflict((oc) =>
        oc.column('device_id').doUpdateSet((eb) => ({
          jkt: eb.ref('excluded.jkt'),
          app_id: eb.ref('excluded.app_id'),
          platform: eb.ref('excluded.platform'),
          last_seen: eb.ref('excluded.last_seen'),
          last_verdict: eb.ref('excluded.last_verdict'),
        })),
      )
      .execute();
  }

  async list(): Promise<DeviceView[]> {
    await this.flush();
    return (await this.#db.selectFrom('devices').selectAll().orderBy('last_seen', 'desc').execute()).map(view);
  }

  async #find(deviceId: string): Promise<DeviceRow> {
    await this.flush();
    const row = await this.#db.selectFrom('devices').selectAll().where('device_id', '=', deviceId).executeTakeFirst();
    if (!row) throw new NotFound(`no device "${deviceId}" has attested yet`);
    return row;
  }

  /**
   * Always-pass for `expiresIn` seconds (at most 90 days), for one key: the thumbprint the admin
   * names (as `devices list` shows it), or else the key the device attested with last.
   */
  async allow(deviceId: string, expiresIn: number, keyThumbprint?: string): Promise<DeviceView> {
    if (!Number.isInteger(expiresIn) || expiresIn < 60 || expiresIn > MAX_ALWAYS_PASS_S) {
      throw new InvalidRequest(`expires_in must be from 60 seconds to ${MAX_ALWAYS_PASS_S / 86_400} days`);
    }
    const row = await this.#find(deviceId);
    if (keyThumbprint !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(keyThumbprint))
      throw new InvalidRequest('key_thumbprint is a base64url SHA-256 JWK thumbprint');
    const changes = {
      status: 'active',
      policy: 'always-pass',
      policy_expires_at: Date.now() + expiresIn * 1000,
      allowed_jkt: keyThumbprint ?? row.jkt,
      denied_jkt: null,
    };
    await this.#db.updateTable('devices').set(changes).where('device_id', '=', deviceId).execute();
    await this.#changed(deviceId);
    return view({ ...row, ...changes });
  }

  /** Denies the device id and one key: the thumbprint the admin names, or else the key it attested with last. */
  async deny(deviceId: string, keyThumbprint?: string): Promise<DeviceView> {
    if (keyThumbprint !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(keyThumbprint))
      throw new InvalidRequest('key_thumbprint is a base64url SHA-256 JWK thumbprint');
    const row = await this.#find(deviceId);
    const changes = {
      status: 'denied',
      policy: 'default',
      policy_expires_at: null,
      allowed_jkt: null,
      denied_jkt: keyThumbprint ?? row.jkt,
    };
    await this.#db.updateTable('devices').set(changes).where('device_id', '=', deviceId).execute();
    await this.#changed(deviceId);
    return view({ ...row, ...changes });
  }

  /**
   * Forgets a device (a lost or retired one). An iOS device's id is its App Attest key id, and that
   * key goes too, so its assertions stop at once (`key_unknown`) until it attests a new key.
   */
  async remove(deviceId: string): Promise<void> {
    await this.#find(deviceId);
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('devices').where('device_id', '=', deviceId).execute();
      await trx.deleteFrom('apple_keys').where('key_id', '=', deviceId).execute();
    });
    await this.#changed(deviceId);
  }
}
