import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

const MAX_STATEMENTS = 500;

/**
 * Adapts Node's built-in `node:sqlite` to the small better-sqlite3-shaped interface Kysely's
 * SQLite dialect drives, so the embedded default needs no native addon.
 */
export function openNodeSqlite(path: string): SqliteDatabase {
  const db = new DatabaseSync(path, { enableForeignKeyConstraints: true });
  // WAL lets readers run beside the writer; busy_timeout makes a second process wait, not fail.
  if (path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA foreign_keys = ON');
  // Kysely asks for a statement per query; compiling SQL is a good part of a short query's cost
  // (about a tenth of an attestation's CPU), so compiled statements are kept by their SQL. Kysely
  // runs one query at a time on this connection, so a statement is never in use twice.
  const statements = new Map<string, SqliteStatement>();
  const params = (p: ReadonlyArray<unknown>) => p as SQLInputValue[];
  return {
    close: () => {
      statements.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (!statement) {
        const stmt = db.prepare(sql);
        statement = {
          reader: stmt.columns().length > 0,
          all: (p) => stmt.all(...params(p)),
          run: (p) => stmt.run(...params(p)),
          iterate: (p) => stmt.iterate(...params(p)),
        };
        if (statements.size >= MAX_STATEMENTS) statements.delete(statements.keys().next().value as string);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
