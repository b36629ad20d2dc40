import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Generated, Kysely, SqliteDialect, sql } from 'kysely';
import { openNodeSqlite } from './node-sqlite-database.ts';
import { QueryTemplate } from './query-template.ts';

interface Db {
  items: { id: Generated<number>; name: string; size: number; note: string | null };
}

// node:sqlite rows have a null prototype.
const plain = (rows: object[]) => rows.map((r) => ({ ...r }));

function open() {
  const db = new Kysely<Db>({ dialect: new SqliteDialect({ database: openNodeSqlite(':memory:') }) });
  return db;
}

test('a template binds each call its own values, constants kept, and answers as the built query would', async (t) => {
  const db = open();
  t.after(() => db.destroy());
  await db.schema
    .createTable('items')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('note', 'text')
    .execute();
  const insert = new QueryTemplate((d: Kysely<Db>, name: string, size: number) =>
    d.insertInto('items').values({ name, size, note: 'constant' }),
  );
  const bigger = new QueryTemplate((d: Kysely<Db>, size: number) =>
    d.selectFrom('items').select(['name', 'note']).where('size', '>', size).orderBy('size'),
  );
  const remove = new QueryTemplate((d: Kysely<Db>, name: string) => d.deleteFrom('items').where('name', '=', name));
  for (const [name, size] of [
    ['a', 1],
    ['b', 5],
    ['c', 9],
  ] as const)
    await insert.execute(db, name, size);
  assert.deepEqual(plain((await bigger.execute(db, 4)).rows), [
    { name: 'b', note: 'constant' },
    { name: 'c', note: 'constant' },
  ]);
  assert.deepEqual(plain((await bigger.execute(db, 8)).rows), [{ name: 'c', note: 'constant' }]);
  assert.equal(Number((await remove.execute(db, 'b')).numAffectedRows), 1);
  assert.equal(Number((await remove.execute(db, 'b')).numAffectedRows), 0);
  // Values that look like SQL stay values.
  await insert.execute(db, "x'); drop table items; --", 20);
  assert.deepEqual(plain((await bigger.execute(db, 10)).rows), [{ name: "x'); drop table items; --", note: 'constant' }]);
});

test('an argument bound twice gets the value in both places; one not bound at all is refused', async (t) => {
  const db = open();
  t.after(() => db.destroy());
  await db.schema.createTable('items').addColumn('name', 'text').addColumn('note', 'text').addColumn('size', 'integer').execute();
  const both = new QueryTemplate((d: Kysely<Db>, text: string) =>
    d.insertInto('items').values({ name: text, note: text, size: 1 }),
  );
  await both.execute(db, 'twice');
  assert.deepEqual(plain(await db.selectFrom('items').select(['name', 'note']).execute()), [{ name: 'twice', note: 'twice' }]);
  const unused = new QueryTemplate((d: Kysely<Db>, _name: string) => d.selectFrom('items').selectAll());
  assert.throws(() => unused.execute(db, 'a'), /argument 0 is not a bound value/);
  // A value the builder inlines into the SQL text is not bound: refused too.
  const inlined = new QueryTemplate((d: Kysely<Db>, size: number) =>
    d.selectFrom('items').selectAll().where('size', '=', sql.lit(size)),
  );
  assert.throws(() => inlined.execute(db, 1), /argument 0 is not a bound value/);
});
