// PostgreSQL keeps running a query whose client has gone; the pool bounds every statement instead.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../src/repositories/db/database.js';
import { databaseTargets } from '../helpers/databases.js';

const postgres = databaseTargets.find((t) => t.dialect === 'postgres');

describe('PostgreSQL statement timeout', { skip: postgres?.skipReason ?? false }, () => {
  it('cancels a statement that runs past database.statementTimeoutMs, and not one within it', async () => {
    const db = openDatabase({ url: process.env.TEST_DATABASE_URL as string, statementTimeoutMs: 300 });
    try {
      await assert.rejects(sql`select pg_sleep(2)`.execute(db.kysely), /statement timeout/);
      const quick = await sql<{ one: number }>`select 1 as one`.execute(db.kysely);
      assert.equal(quick.rows[0]?.one, 1);
    } finally {
      await db.close();
    }
  });
});
