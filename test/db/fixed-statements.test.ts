// fixedStatement compiles a statement once per kind and shape of its values, then only binds them
// (src/repositories/db/statement-shapes.ts). A shape keyed too coarsely would write one call's row with
// another's statement: these calls alternate null and text, array lengths and a builder that transforms its
// input, on real databases, and read back every row.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { fixedShapes, fixedStatement } from '../../src/repositories/db/statement-shapes.js';
import { forEachDatabase, type TestDatabase } from '../helpers/databases.js';

interface Scratch {
  fixed_statement_rows: { k: string; a: string | null; b: string };
}

forEachDatabase((target) => {
  describe(`fixedStatement on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestDatabase;
    let db: Kysely<Scratch>;

    before(async () => {
      t = await target.create();
      db = t.db.kysely as unknown as Kysely<Scratch>;
      await sql`create table fixed_statement_rows (k text primary key, a text, b text not null)`.execute(db);
    });
    after(() => t.close());

    const insert = (k: string, a: string | null, b: string) =>
      db.executeQuery(
        fixedStatement(`test insert ${t.dialect}`, { k, a, b }, (v) =>
          db.insertInto('fixed_statement_rows').values(v),
        ),
      );
    const read = async (keys: string[]) =>
      (
        await db.executeQuery<Scratch['fixed_statement_rows']>(
          fixedStatement(`test read ${t.dialect}`, { keys }, (v) =>
            db.selectFrom('fixed_statement_rows').selectAll().where('k', 'in', v.keys).orderBy('k'),
          ),
        )
      ).rows;

    it('binds each call its own values, null and text alternating, and reuses the shapes', async () => {
      const learntBefore = fixedShapes.stats.learnt;
      await insert('k1', 'one', 'b1');
      await insert('k2', null, 'b2');
      await insert('k3', 'three', 'b3');
      await insert('k4', null, 'b4');
      assert.deepEqual(await read(['k1', 'k2']), [
        { k: 'k1', a: 'one', b: 'b1' },
        { k: 'k2', a: null, b: 'b2' },
      ]);
      assert.deepEqual(await read(['k3']), [{ k: 'k3', a: 'three', b: 'b3' }]);
      assert.deepEqual(await read(['k4', 'k2', 'k1']), [
        { k: 'k1', a: 'one', b: 'b1' },
        { k: 'k2', a: null, b: 'b2' },
        { k: 'k4', a: null, b: 'b4' },
      ]);
      // Five shapes learnt (the insert with text, with null; the read of one, two and three keys): the other
      // two inserts were bound to a learnt statement.
      assert.equal(fixedShapes.stats.learnt - learntBefore, 5);
    });

    it('builds from the real values every time when the builder transforms one (never a learnt shape)', async () => {
      const upper = (k: string, b: string) =>
        db.executeQuery(
          fixedStatement(`test upper ${t.dialect}`, { k, b }, (v) =>
            db.insertInto('fixed_statement_rows').values({ k: v.k, a: null, b: v.b.toUpperCase() }),
          ),
        );
      const uncacheableBefore = fixedShapes.stats.uncacheable;
      await upper('u1', 'first');
      await upper('u2', 'second');
      assert.deepEqual(
        (await read(['u1', 'u2'])).map((r) => r.b),
        ['FIRST', 'SECOND'],
      );
      assert.equal(fixedShapes.stats.uncacheable - uncacheableBefore, 1);
    });
  });
});
