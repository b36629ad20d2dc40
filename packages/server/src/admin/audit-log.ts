import { randomUUID } from 'node:crypto';
import type { AuditEntry } from '@portcullis/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';

export type AuditRecord = Omit<AuditEntry, 'id' | 'at'> & { request_id: string };

/** Who changed what, when, and whether it worked. Append only: nothing here updates or deletes. */
export class AuditLog {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async record(entry: AuditRecord): Promise<void> {
    await this.#db
      .insertInto('audit_log')
      .values({ id: randomUUID(), at: Date.now(), ...entry })
      .execute();
  }

  async list(limit: number): Promise<AuditEntry[]> {
    const rows = await this.#db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      actor: r.actor,
      action: r.action,
      target: r.target,
      outcome: r.outcome as AuditEntry['outcome'],
      status: r.status,
    }));
  }
}
