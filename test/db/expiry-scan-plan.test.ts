// The "expiring soon" scan (NotificationService.scanExpiring) runs every scanIntervalSeconds on every node.
// Its statement must be planned on the partial index of share end times (migration 0090), not as a read of
// every share row: at 5,000,000 shares that read took each minute, and on SQLite it held the process. The
// statement is the repository's own (captured as compiled, not written again here); the plan is the
// database's EXPLAIN. On PostgreSQL sequential scans are priced out for the check (enable_seqscan off), so it
// asks whether the index *can* serve the statement, whatever the small test table's statistics say.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompiledQuery, sql } from 'kysely';
import { NotificationRepository } from '../../src/repositories/db/notification.repository.js';
import { forEachDatabase, type TestDatabase } from '../helpers/databases.js';

async function planOf(t: TestDatabase, query: CompiledQuery): Promise<string> {
  return t.db.kysely.connection().execute(async (conn) => {
    if (t.dialect === 'postgres') {
      await sql`set enable_seqscan = off`.execute(conn);
      const res = await conn.executeQuery<{ 'QUERY PLAN': string }>(
        CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]),
      );
      return res.rows.map((r) => r['QUERY PLAN']).join('\n');
    }
    const res = await conn.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
    );
    return res.rows.map((r) => r.detail).join('\n');
  });
}

forEachDatabase((target) => {
  describe(`the expiring-soon scan on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    it('is planned on the index of share end times, not a read of every share', async () => {
      const t = await target.create();
      try {
        const captured: CompiledQuery[] = [];
        const executor = t.db.kysely.getExecutor();
        const recording = t.db.kysely.withPlugin({
          transformQuery: (args) => {
            captured.push(executor.compileQuery(args.node, args.queryId));
            return args.node;
          },
          transformResult: async (args) => args.result,
        });
        const now = new Date().toISOString();
        const until = new Date(Date.now() + 86_400_000).toISOString();
        await new NotificationRepository(recording, t.dialect).sharesEndingBy(now, until, 500);
        assert.equal(captured.length, 1, 'one statement');
        const plan = await planOf(t, captured[0]!);
        assert.match(plan, /image_members_expires_at/, `the plan:\n${plan}`);
      } finally {
        await t.close();
      }
    });
  });
});
