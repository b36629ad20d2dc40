import type { Kysely } from 'kysely';

/**
 * Every attestation asks whether its key was denied under any device id; without an index that is
 * a scan of every device. Only denied rows carry `denied_jkt`, so the index holds only those.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('devices_denied_jkt')
    .on('devices')
    .column('denied_jkt')
    .where('denied_jkt', 'is not', null)
    .execute();
}
