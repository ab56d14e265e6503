// The notification service's background work runs every scanIntervalSeconds in every process of every node:
// the "expiring soon" scan (NotificationService.scanExpiring) and the retention purge (purgeOld). Their
// statements must be planned on indexes (migrations 0090 and 0100), never as a read of a whole table: at
// 5,000,000 shares and their inbox entries such a read took each minute, and on SQLite it held the process and
// the one write lock meanwhile. The statements are the repository's own (captured as compiled, not written
// again here); the plans are the database's EXPLAIN. On PostgreSQL sequential scans are priced out for the
// check (enable_seqscan off), so it asks whether an index *can* serve each statement, whatever the small test
// tables' statistics say; a statement no index can serve still shows its Seq Scan.
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

/** The statements `work` sends through a NotificationRepository, compiled as the database receives them. */
async function statementsOf(
  t: TestDatabase,
  work: (repo: NotificationRepository) => Promise<unknown>,
): Promise<CompiledQuery[]> {
  const captured: CompiledQuery[] = [];
  const executor = t.db.kysely.getExecutor();
  const recording = t.db.kysely.withPlugin({
    transformQuery: (args) => {
      captured.push(executor.compileQuery(args.node, args.queryId));
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  await work(new NotificationRepository(recording, t.dialect));
  return captured;
}

/** A read of a whole table (or of a whole index, SQLite's SCAN ... USING INDEX) in `plan`, if any. */
function fullScans(plan: string): string[] {
  return plan.split('\n').filter((line) => /^\s*SCAN |Seq Scan/.test(line));
}

forEachDatabase((target) => {
  describe(`background scans on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    it('the expiring-soon scan is planned on the index of share end times', async () => {
      const t = await target.create();
      try {
        const now = new Date().toISOString();
        const until = new Date(Date.now() + 86_400_000).toISOString();
        const statements = await statementsOf(t, (repo) => repo.sharesEndingBy(now, until, 500));
        assert.equal(statements.length, 1, 'one statement');
        const plan = await planOf(t, statements[0]!);
        assert.match(plan, /image_members_expires_at/, `the plan:\n${plan}`);
        assert.deepEqual(fullScans(plan), [], `the plan:\n${plan}`);
      } finally {
        await t.close();
      }
    });

    it('the retention purge reads no table whole: inbox, deliveries, events', async () => {
      const t = await target.create();
      try {
        const cutoff = new Date(Date.now() - 30 * 86_400_000).toISOString();
        const statements = await statementsOf(t, (repo) => repo.purgeBefore(cutoff));
        assert.equal(statements.length, 3, 'inbox, deliveries, events');
        // The indexes each statement must use (PostgreSQL can also walk a whole index whose first column is
        // another, which is no Seq Scan: the names catch that).
        const expected = [
          ['notification_inbox_at'],
          ['webhook_deliveries_created'],
          ['notification_events_at', 'webhook_deliveries_event', 'notification_inbox_event'],
        ];
        for (const [i, statement] of statements.entries()) {
          const plan = await planOf(t, statement);
          assert.deepEqual(fullScans(plan), [], `${statement.sql}\nthe plan:\n${plan}`);
          for (const index of expected[i]!)
            assert.match(plan, new RegExp(index), `${statement.sql}\nthe plan:\n${plan}`);
        }
      } finally {
        await t.close();
      }
    });
  });
});
