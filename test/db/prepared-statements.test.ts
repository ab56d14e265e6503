// PostgreSQL prepared statements (src/repositories/db/pg-prepared.ts): data statements are prepared once per
// connection under a name derived from their text, at most MAX_PER_CONNECTION per connection, and a schema
// change under a prepared statement does not break the query that runs next (SQLite keeps its own statement
// cache in database.ts).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase, type Db } from '../../src/repositories/db/database.js';
import { MAX_PER_CONNECTION, statementName } from '../../src/repositories/db/pg-prepared.js';
import { databaseTargets, freshSchemaName } from '../helpers/databases.js';

const postgres = databaseTargets.find((t) => t.dialect === 'postgres');

describe('PostgreSQL prepared statements', { skip: postgres?.skipReason ?? false }, () => {
  const schema = freshSchemaName();
  let db: Db;
  // One connection: pg_prepared_statements shows that session's statements.
  const open = (preparedStatements?: boolean) =>
    openDatabase({
      url: process.env.TEST_DATABASE_URL as string,
      schema,
      poolSize: 1,
      ...(preparedStatements === undefined ? {} : { preparedStatements }),
    });
  const preparedNames = async (on: Db) =>
    (await sql<{ name: string }>`select name from pg_prepared_statements`.execute(on.kysely)).rows.map(
      (r) => r.name,
    );

  before(async () => {
    db = open();
    await migrateToLatest(db, schema);
  });
  after(async () => {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.kysely);
    await db.close();
  });

  it('prepares a repeated query once, under the name of its text, and answers the same', async () => {
    const query = db.kysely.selectFrom('accounts').select('id').where('name', '=', 'nobody');
    const text = query.compile().sql;
    for (let i = 0; i < 3; i++) assert.deepEqual(await query.execute(), []);
    const names = await preparedNames(db);
    assert.ok(names.includes(statementName(text)), `${statementName(text)} in ${names.join(',')}`);
    // Not the control statements: begin/commit and DDL stay unnamed.
    assert.equal(names.filter((n) => n === statementName('begin')).length, 0);
  });

  it('keeps at most MAX_PER_CONNECTION statements on a connection; later texts still answer', async () => {
    for (let i = 0; i < MAX_PER_CONNECTION + 20; i++) {
      const { rows } = await sql<{ n: number }>`select ${sql.lit(i)}::int + ${1}::int as n`.execute(
        db.kysely,
      );
      assert.equal(rows[0]?.n, i + 1);
    }
    const names = await preparedNames(db);
    assert.ok(names.length <= MAX_PER_CONNECTION, `${names.length} prepared`);
    assert.ok(names.length >= MAX_PER_CONNECTION - 5, `${names.length} prepared: the cap is used`);
  });

  it('a column added under a prepared SELECT * does not fail the next run (outside a transaction)', async () => {
    // A fresh connection (the one above is full), as after a rolling upgrade on another node.
    const other = open();
    try {
      await sql`create table t_stale (a int)`.execute(other.kysely);
      await sql`insert into t_stale (a) values (1)`.execute(other.kysely);
      const read = () =>
        sql<Record<string, unknown>>`select * from t_stale where a = ${1}`.execute(other.kysely);
      assert.deepEqual((await read()).rows, [{ a: 1 }]);
      await sql`alter table t_stale add column b int default 7`.execute(other.kysely);
      assert.deepEqual((await read()).rows, [{ a: 1, b: 7 }]);
      assert.deepEqual((await read()).rows, [{ a: 1, b: 7 }]);
      // Inside a transaction the stale statement fails the transaction once (PostgreSQL has aborted it),
      // and the same query runs again afterwards.
      const other2 = () => sql<Record<string, unknown>>`select * from t_stale where a >= ${1}`;
      assert.deepEqual((await other2().execute(other.kysely)).rows, [{ a: 1, b: 7 }]);
      await sql`alter table t_stale add column c int default 8`.execute(other.kysely);
      await assert.rejects(
        other.kysely.transaction().execute((trx) => other2().execute(trx)),
        (err: { code?: string }) => err.code === '0A000',
      );
      assert.deepEqual((await other2().execute(other.kysely)).rows, [{ a: 1, b: 7, c: 8 }]);
      assert.deepEqual((await read()).rows, [{ a: 1, b: 7, c: 8 }]);
    } finally {
      await sql`drop table if exists t_stale`.execute(other.kysely);
      await other.close();
    }
  });

  it('preparedStatements: false sends every query unnamed', async () => {
    const plain = open(false);
    try {
      for (let i = 0; i < 3; i++) await plain.kysely.selectFrom('accounts').select('id').execute();
      assert.deepEqual(await preparedNames(plain), []);
    } finally {
      await plain.close();
    }
  });
});
