// Webhooks across SIGKILLs (issue 12's acceptance): a real `imageshare serve` process is killed between the
// changes and their deliveries, five times, on SQLite and on PostgreSQL, and a receiver server verifies
// every delivery (signature, timestamp, event ID). At the end the receiver has seen every event of the
// account's inbox exactly once after de-duplication by event ID, and nothing else:
//   1. the receiver holds the first delivery unanswered (it never acts on it) and the server is killed:
//      the delivery must come again (a sender that marked it delivered before sending would lose it);
//   2. the server stops after a receiver accepted a delivery but before marking it delivered
//      (IMAGESHARE_TEST_PAUSE_AT=webhooks:sent): more changes are made, then the kill; the accepted one
//      comes again (a duplicate the receiver drops) and the later ones are still in the outbox;
//   3. the server stops having claimed deliveries, before sending (webhooks:claimed); a change, the kill:
//      the claims' lease runs out and the next server sends them;
//   4. the server stops in the middle of deleting the shared image (delete:before-commit) and is killed:
//      the delete rolls back, and so must its event (an outbox written outside the transaction would deliver
//      an "image.deleted" for an image that still exists);
//   5. a clean server delivers the rest.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { openServices } from '../../src/main.js';
import { forEachDatabase, freshSchemaName } from '../helpers/databases.js';
import { httpRequest, issueToken, spawnServer, type ServerProcess } from '../helpers/server.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

forEachDatabase((target) => {
  describe(`webhooks across SIGKILL on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    it(
      'every event reaches the receiver exactly once after de-duplication',
      { timeout: 5 * 60_000 },
      async () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-hookcrash-'));
        const schema = target.dialect === 'postgres' ? freshSchemaName() : undefined;
        const dbArgs = schema
          ? ['--database-url', process.env.TEST_DATABASE_URL!, '--database-schema', schema]
          : [];
        const args = ['--data-dir', dataDir, '--profile', 'openstack', ...dbArgs];
        const env = {
          IMAGESHARE_NOTIFICATIONS__WEBHOOKS__ALLOW_PRIVATE_TARGETS: 'true',
          IMAGESHARE_NOTIFICATIONS__WEBHOOKS__POLL_INTERVAL_MS: '100',
          IMAGESHARE_NOTIFICATIONS__WEBHOOKS__LEASE_SECONDS: '2',
          IMAGESHARE_NOTIFICATIONS__WEBHOOKS__TIMEOUT_MS: '1000',
          IMAGESHARE_NOTIFICATIONS__WEBHOOKS__RETRY_BASE_SECONDS: '1',
          IMAGESHARE_BLOB__SWEEP_INTERVAL_SECONDS: '0',
          IMAGESHARE_LOG__LEVEL: 'warn',
        };
        const config = loadConfig({
          env: {},
          file: '',
          profile: 'openstack',
          overrides: {
            dataDir,
            'notifications.webhooks.allowPrivateTargets': 'true',
            'notifications.webhooks.pollIntervalMs': '0',
            ...(schema ? { 'database.url': process.env.TEST_DATABASE_URL!, 'database.schema': schema } : {}),
          },
        });
        const opened = await openServices(config);
        const receiver = await startWebhookReceiver();
        let server: ServerProcess | undefined;
        try {
          const password = randomBytes(12).toString('base64url');
          const owner = (
            await opened.services.accounts.create({ name: 'hook-owner', password, isAdmin: false })
          ).account;
          const bob = (await opened.services.accounts.create({ name: 'hook-bob', password, isAdmin: false }))
            .account;
          const bobCtx = {
            caller: { accountId: bob.id, isAdmin: false },
            region: config.regions[0]!,
            surface: 'console' as const,
          };
          const { secret } = await opened.services.notifications.createWebhook(bobCtx, { url: receiver.url });
          receiver.secret = secret;

          const start = async (pause?: string) => {
            server = await spawnServer(args, pause ? { ...env, IMAGESHARE_TEST_PAUSE_AT: pause } : env);
            return { url: server.url, token: await issueToken(server.url, { id: owner.id, password }) };
          };
          const call = async (
            s: { url: string; token: string },
            method: string,
            path: string,
            body?: unknown,
          ) => {
            const res = await httpRequest(s.url, method, path, { token: s.token, ...(body ? { body } : {}) });
            assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
            return res;
          };
          const paused = (point: string) => () => server!.stderr.includes(`paused at ${point}`);
          const kill = async () => {
            await server!.stop('SIGKILL');
            server = undefined;
          };

          // Round 1: the receiver holds the first delivery; the server dies before any answer.
          receiver.hold = true;
          let s = await start();
          const created = await call(s, 'POST', '/v2/images', {
            name: 'crash-hooked',
            visibility: 'shared',
            disk_format: 'raw',
            container_format: 'bare',
          });
          const imageId = (created.body as { id: string }).id;
          await call(s, 'POST', `/v2/images/${imageId}/members`, { member: bob.id }); // e1 share.created
          await until('the held delivery', () => receiver.held >= 1);
          await kill();
          receiver.hold = false;
          assert.equal(receiver.accepted.size, 0);

          // Round 2: accepted, then killed before it is marked delivered; more changes meanwhile.
          s = await start('webhooks:sent');
          await until('the first accepted delivery', () => receiver.accepted.size === 1);
          await until('the pause after sending', paused('webhooks:sent'));
          await call(s, 'DELETE', `/v2/images/${imageId}/members/${bob.id}`); // e2 share.cancelled
          await call(s, 'POST', `/v2/images/${imageId}/members`, { member: bob.id }); // e3 share.created
          await kill();

          // Round 3: claimed (after the dead node's lease ran out), killed before sending.
          s = await start('webhooks:claimed');
          await until('the pause after claiming', paused('webhooks:claimed'));
          await call(s, 'DELETE', `/v2/images/${imageId}/members/${bob.id}`); // e4 share.cancelled
          await kill();

          // Round 4: a delete of the shared image killed before its commit.
          s = await start('delete:before-commit');
          await call(s, 'POST', `/v2/images/${imageId}/members`, { member: bob.id }); // e5 share.created
          const deleting = httpRequest(s.url, 'DELETE', `/v2/images/${imageId}`, { token: s.token }).catch(
            () => null,
          );
          await until('the pause inside the delete', paused('delete:before-commit'));
          await kill();
          await deleting;

          // Round 5: a clean server delivers whatever is left.
          s = await start();
          const inbox = async () =>
            (
              await opened.db.kysely
                .selectFrom('notification_inbox as i')
                .innerJoin('notification_events as e', 'e.id', 'i.event_id')
                .select(['e.id', 'e.type'])
                .where('i.account_id', '=', bob.id)
                .orderBy('e.at')
                .orderBy('e.id')
                .execute()
            ).map((r) => ({ id: r.id, type: r.type }));
          const events = await inbox();
          assert.deepEqual(
            events.map((e) => e.type),
            ['share.created', 'share.cancelled', 'share.created', 'share.cancelled', 'share.created'],
            'the rolled-back delete left no event',
          );
          await receiver.waitForAccepted(events.length, 30_000);
          await until('every delivery marked delivered', async () => {
            const rows = await opened.db.kysely.selectFrom('webhook_deliveries').select('state').execute();
            return rows.length === events.length && rows.every((r) => r.state === 'delivered');
          });
          const image = await httpRequest(s.url, 'GET', `/v2/images/${imageId}`, { token: s.token });
          assert.equal(image.status, 200, 'the killed delete rolled back');
          assert.equal(await server!.stop('SIGTERM'), 0);
          server = undefined;

          // Exactly once after de-duplication, every event and nothing else, all correctly signed and fresh.
          assert.deepEqual(new Set(receiver.accepted.keys()), new Set(events.map((e) => e.id)));
          assert.equal(receiver.accepted.size, 5);
          const verdicts = receiver.received.map((r) => r.verdict);
          assert.ok(!verdicts.includes('bad-signature') && !verdicts.includes('stale'), verdicts.join(','));
          const duplicates = verdicts.filter((v) => v === 'duplicate').length;
          assert.ok(duplicates >= 1, 'the delivery accepted before the kill came again (at least once)');
          assert.equal(receiver.held, 1);
          console.log(
            `${target.dialect}: 4 kills, ${events.length} events, ${receiver.received.length} deliveries received ` +
              `(${duplicates} duplicates dropped, 1 held), ${String(receiver.accepted.size)} accepted`,
          );
        } finally {
          if (server) await server.stop('SIGKILL');
          await receiver.close();
          if (schema) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(opened.db.kysely);
          await opened.db.close();
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    );
  });
});
