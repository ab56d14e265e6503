// Starting while other schemas of the same PostgreSQL database come and go (other services, other nodes'
// test runs) must not fail: Kysely's introspection trips over a schema dropped mid-query (3F000).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase } from '../../src/repositories/db/database.js';
import { migrations } from '../../src/repositories/db/migrations/index.js';
import { databaseTargets, freshSchemaName } from '../helpers/databases.js';

const postgres = databaseTargets.find((t) => t.dialect === 'postgres');

describe('migrations beside schemas being dropped', { skip: postgres?.skipReason ?? false }, () => {
  it('migrates 10 fresh schemas while 40 other schemas are created and dropped', async () => {
    const url = process.env.TEST_DATABASE_URL as string;
    const churn = openDatabase({ url, poolSize: 4 });
    const schemas = Array.from({ length: 10 }, () => freshSchemaName());
    let stop = false;
    const decoys = (async () => {
      for (let i = 0; i < 40 && !stop; i++) {
        const decoy = freshSchemaName();
        await sql`create schema ${sql.id(decoy)}`.execute(churn.kysely);
        await sql`create table ${sql.id(decoy)}.t (id int)`.execute(churn.kysely);
        await sql`drop schema ${sql.id(decoy)} cascade`.execute(churn.kysely);
      }
    })();
    try {
      for (const schema of schemas) {
        const db = openDatabase({ url, schema });
        try {
          assert.deepEqual(await migrateToLatest(db, schema), Object.keys(migrations).sort());
        } finally {
          await db.close();
        }
      }
    } finally {
      stop = true;
      await decoys;
      for (const schema of schemas)
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(churn.kysely);
      await churn.close();
    }
  });
});
