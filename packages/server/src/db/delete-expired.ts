import { type Kysely, sql } from 'kysely';
import type { Database } from './database.ts';

/** Rows one delete statement removes at most (a few more when several share the edge's expiry). */
const EXPIRED_BATCH = 2_000;

/** The tables whose rows carry an `expires_at` (milliseconds) and nothing once it has passed. */
export type ExpiringTable =
  | 'oauth_access_tokens'
  | 'oauth_revocations'
  | 'oauth_used_jtis'
  | 'oauth_codes'
  | 'oauth_interactions'
  | 'oauth_sessions'
  | 'oauth_par_requests'
  | 'attestation_spent_challenges';

/**
 * Deletes `table`'s rows with `expires_at <= cutoff` in statements of about `batch` rows, oldest
 * first, letting the event loop run between them. On SQLite a statement blocks the event loop
 * while it runs: one delete of a minute of spent attestation challenges at 2,000 a second
 * (120,000 rows) held it for ~165 ms, every request in flight waiting; 2,000 rows take a few.
 * Each batch ends at the expiry of its `batch`-th oldest row, found through the `expires_at`
 * index (migration 0018). Returns how many rows went.
 */
export async function deleteExpiredRows(
  db: Kysely<Database>,
  table: ExpiringTable,
  cutoff: number,
  batch = EXPIRED_BATCH,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const edge = await sql<{ expires_at: number | string }>`
      select expires_at from ${sql.table(table)} where expires_at <= ${cutoff}
      order by expires_at limit 1 offset ${batch - 1}`.execute(db);
    const upTo = edge.rows[0] === undefined ? cutoff : Number(edge.rows[0].expires_at);
    const result = await sql`delete from ${sql.table(table)} where expires_at <= ${upTo}`.execute(db);
    deleted += Number(result.numAffectedRows ?? 0);
    if (edge.rows[0] === undefined) return deleted;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
