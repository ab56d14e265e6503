// Issue 12's acceptance test for account groups: 200 concurrent joins, leaves and shares, split across two
// server processes on one database (PostgreSQL: one schema; SQLite: one data folder, two processes on one
// file), keep the limits (a group's size; an image's places, where a group takes one) and never show an image
// to an account outside its groups and direct shares. While the 200 run, accounts that are in no group and
// hold no share list and show nothing, on both nodes; after, every account's list and show on both nodes
// agree exactly with the rows (the image once, however many ways lead to it), and the limits hold in SQL and
// were reached.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { newAccountId } from '../src/domain/ids.js';
import { openServices } from '../src/main.js';
import type { Db } from '../src/repositories/db/database.js';
import type { Services } from '../src/services/container.js';
import { databaseTargets, freshSchemaName } from './helpers/databases.js';
import {
  httpRequest,
  issueToken,
  spawnServer,
  type ServerProcess,
  type TestAccount,
} from './helpers/server.js';

const MAX_PER_GROUP = 8;
const MAX_PER_IMAGE = 4;
const GROUPS = 3;
const IMAGES = 6;
const CANDIDATES = 20;
const OUTSIDERS = 3;
const OPERATIONS = 200;

/** A small deterministic generator, so that a failure can be replayed (seed printed on failure). */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

for (const target of databaseTargets) {
  describe(
    `account groups on two nodes over one ${target.dialect} database`,
    { skip: target.skipReason ?? false },
    () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-groups-two-nodes-'));
      const schema = target.dialect === 'postgres' ? freshSchemaName() : '';
      const databaseUrl = target.dialect === 'postgres' ? (process.env.TEST_DATABASE_URL ?? '') : '';
      let a: ServerProcess;
      let b: ServerProcess;
      let db: Db;
      let services: Services;

      before(async () => {
        const admin = { id: newAccountId(), password: randomBytes(12).toString('base64url') };
        const args = ['--data-dir', dataDir];
        if (databaseUrl) args.push('--database-url', databaseUrl, '--database-schema', schema);
        const env = {
          IMAGESHARE_LOG__LEVEL: 'warn',
          IMAGESHARE_MASTER_KEY: randomBytes(32).toString('base64'),
          IMAGESHARE_ADMIN_ID: admin.id,
          IMAGESHARE_ADMIN_PASSWORD: admin.password,
          IMAGESHARE_SHARING__MAX_ACCOUNTS_PER_IMAGE: String(MAX_PER_IMAGE),
          IMAGESHARE_GROUPS__MAX_MEMBERS_PER_GROUP: String(MAX_PER_GROUP),
          IMAGESHARE_LOGIN__MAX_FAILURES_PER_ADDRESS: '100000',
          IMAGESHARE_RATE_LIMITS__WRITES__PER_SECOND: '0',
        };
        a = await spawnServer(args, env, 60000);
        b = await spawnServer(args, env, 60000);
        const config = loadConfig({
          env: {},
          file: '',
          overrides: {
            dataDir,
            ...(databaseUrl ? { 'database.url': databaseUrl, 'database.schema': schema } : {}),
          },
        });
        ({ db, services } = await openServices(config));
      });
      after(async () => {
        await Promise.all([a?.stop(), b?.stop()]);
        if (db) {
          if (schema) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.kysely);
          await db.close();
        }
        rmSync(dataDir, { recursive: true, force: true });
      });

      let counter = 0;
      async function accounts(n: number): Promise<Array<TestAccount & { token: string }>> {
        const out: Array<TestAccount & { token: string }> = [];
        while (out.length < n) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(8, n - out.length) }, async () => {
              counter += 1;
              const password = randomBytes(12).toString('base64url');
              const created = await services.accounts.create({
                name: `grp-node-${counter}-${randomBytes(3).toString('hex')}`,
                password,
                isAdmin: false,
              });
              const account = {
                id: created.account.id,
                name: created.account.name,
                password,
                isAdmin: false,
              };
              return { ...account, token: await issueToken(a.url, account) };
            }),
          );
          out.push(...batch);
        }
        return out;
      }

      it(`${OPERATIONS} concurrent joins, leaves and shares keep the limits and show images only to their receivers`, async () => {
        const [owner] = await accounts(1);
        const ownerToken = owner!.token;
        const nodes = [a, b];
        const call = (node: number, method: string, path: string, body?: unknown) =>
          httpRequest(nodes[node % 2]!.url, method, path, {
            token: ownerToken,
            ...(body !== undefined ? { body } : {}),
          });

        const groups: string[] = [];
        for (let i = 0; i < GROUPS; i++) {
          const res = await call(i, 'POST', '/v2/groups', { name: `team ${i}` });
          assert.equal(res.status, 201, res.text);
          groups.push((res.body as { id: string }).id);
        }
        const images: string[] = [];
        for (let i = 0; i < IMAGES; i++) {
          const res = await call(i, 'POST', '/v2/images', {
            name: `grouped ${i}`,
            disk_format: 'raw',
            container_format: 'bare',
          });
          assert.equal(res.status, 201, res.text);
          images.push((res.body as { id: string }).id);
        }
        const candidates = await accounts(CANDIDATES);
        const outsiders = await accounts(OUTSIDERS);

        const seed = Number(process.env.GROUPS_SEED ?? Date.now() % 1_000_000);
        const pick = rng(seed);
        // Each group starts half full, so that leaves have members to remove from the start.
        for (const [i, group] of groups.entries()) {
          const start = new Set(
            Array.from({ length: MAX_PER_GROUP / 2 }, () => candidates[pick(CANDIDATES)]!.id),
          );
          const res = await call(i, 'POST', `/v2/groups/${group}/members`, { members: [...start] });
          assert.equal(res.status, 200, res.text);
        }
        const what = `seed ${seed} (GROUPS_SEED=${seed} replays it)`;
        const outcomes: Record<string, number> = {};
        const count = (key: string) => (outcomes[key] = (outcomes[key] ?? 0) + 1);

        // Accounts in no group and with no share see nothing at any moment, through either node.
        let running = true;
        let watched = 0;
        const watcher = (async () => {
          while (running) {
            for (const [i, outsider] of outsiders.entries()) {
              const node = nodes[(watched + i) % 2]!;
              const list = await httpRequest(node.url, 'GET', '/v2/images?member_status=all', {
                token: outsider.token,
              });
              assert.equal(list.status, 200, list.text);
              assert.deepEqual(
                (list.body as { images: unknown[] }).images,
                [],
                `outsider lists an image; ${what}`,
              );
              const image = images[watched % IMAGES]!;
              const shown = await httpRequest(node.url, 'GET', `/v2/images/${image}`, {
                token: outsider.token,
              });
              assert.equal(shown.status, 404, `outsider sees ${image}; ${what}`);
              watched += 1;
            }
          }
        })();

        const operations = Array.from({ length: OPERATIONS }, (_, i) => {
          const kind = (['join', 'leave', 'share'] as const)[pick(3)]!;
          const group = groups[pick(GROUPS)]!;
          const account = candidates[pick(CANDIDATES)]!;
          const image = images[pick(IMAGES)]!;
          const shareTarget = pick(10) < 7 ? group : account.id;
          return async () => {
            if (kind === 'join') {
              const res = await call(i, 'POST', `/v2/groups/${group}/members`, { members: [account.id] });
              assert.ok([200, 413].includes(res.status), `join ${res.status} ${res.text}; ${what}`);
              count(`join ${res.status}`);
            } else if (kind === 'leave') {
              const res = await call(i, 'DELETE', `/v2/groups/${group}/members/${account.id}`);
              assert.ok([204, 404].includes(res.status), `leave ${res.status} ${res.text}; ${what}`);
              count(`leave ${res.status}`);
            } else {
              const res = await call(i, 'POST', `/v2/images/${image}/members`, { member: shareTarget });
              assert.ok([200, 409, 413].includes(res.status), `share ${res.status} ${res.text}; ${what}`);
              count(`share ${res.status}`);
            }
          };
        });
        try {
          await Promise.all(operations.map((op) => op()));
        } finally {
          running = false;
          await watcher;
        }
        assert.ok(watched > 0);

        // The limits hold in the rows, and the run reached them.
        const sizes = await db.kysely
          .selectFrom('account_group_members')
          .select(['group_id', (eb) => eb.fn.countAll<number | string>().as('n')])
          .groupBy('group_id')
          .execute();
        for (const row of sizes) {
          assert.ok(Number(row.n) <= MAX_PER_GROUP, `group ${row.group_id} holds ${row.n}; ${what}`);
        }
        const places = new Map<string, number>();
        for (const table of ['image_members', 'image_group_shares'] as const) {
          const rows = await db.kysely
            .selectFrom(table)
            .select(['image_id', (eb) => eb.fn.countAll<number | string>().as('n')])
            .groupBy('image_id')
            .execute();
          for (const row of rows) places.set(row.image_id, (places.get(row.image_id) ?? 0) + Number(row.n));
        }
        for (const [image, n] of places) {
          assert.ok(n <= MAX_PER_IMAGE, `image ${image} holds ${n} places; ${what}`);
        }
        assert.ok(
          (outcomes['join 413'] ?? 0) > 0,
          `no join met the group limit: ${JSON.stringify(outcomes)}`,
        );
        assert.ok(
          (outcomes['share 413'] ?? 0) > 0,
          `no share met the image limit: ${JSON.stringify(outcomes)}`,
        );
        assert.ok(
          (outcomes['share 200'] ?? 0) > 0 && (outcomes['leave 204'] ?? 0) > 0,
          JSON.stringify(outcomes),
        );

        // Every account sees exactly what its rows give it, once, on both nodes.
        const members = await db.kysely.selectFrom('account_group_members').selectAll().execute();
        const groupShares = await db.kysely.selectFrom('image_group_shares').selectAll().execute();
        const direct = await db.kysely.selectFrom('image_members').selectAll().execute();
        for (const account of [...candidates, ...outsiders]) {
          const mine = new Set(members.filter((m) => m.account_id === account.id).map((m) => m.group_id));
          const expected = new Set([
            ...groupShares.filter((s) => mine.has(s.group_id)).map((s) => s.image_id),
            ...direct.filter((m) => m.member_id === account.id).map((m) => m.image_id),
          ]);
          for (const node of nodes) {
            const list = await httpRequest(node.url, 'GET', '/v2/images?member_status=all', {
              token: account.token,
            });
            const listed = (list.body as { images: Array<{ id: string }> }).images.map((i) => i.id);
            assert.deepEqual(listed.sort(), [...expected].sort(), `list of ${account.id}; ${what}`);
            for (const image of images) {
              const shown = await httpRequest(node.url, 'GET', `/v2/images/${image}`, {
                token: account.token,
              });
              assert.equal(
                shown.status,
                expected.has(image) ? 200 : 404,
                `show ${image} to ${account.id}; ${what}`,
              );
            }
          }
        }
        console.log(`# ${target.dialect}: ${JSON.stringify(outcomes)}; outsiders checked ${watched} times`);
      });
    },
  );
}
