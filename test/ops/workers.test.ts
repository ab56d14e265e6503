// `server.workers`: several processes serving one port (Node cluster). Three clusters of two workers start at
// once on one fresh data folder (SQLite) or one fresh schema (PostgreSQL): exactly one admin account and one
// admin-password file come out of it, every cluster serves on its port from two worker processes, concurrent
// shares through one cluster's workers stop at exactly the share limit, and SIGTERM to the primary stops every
// worker and exits 0.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { openServices } from '../../src/main.js';
import { WORKER_SEMI_SPACE_MIB } from '../../src/worker-heap.js';
import { databaseTargets, freshSchemaName } from '../helpers/databases.js';
import { httpRequest, issueToken, spawnServer, type ServerProcess } from '../helpers/server.js';

const MAX_MEMBERS = 5;

/** The PIDs of a process's `serve` children: the cluster's workers (not tsx's esbuild helper). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (ppid === pid && cmdline.includes('serve')) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return state !== null && state[1] !== 'Z';
  } catch {
    return false;
  }
};

for (const target of databaseTargets) {
  describe(`server.workers on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    it('three 2-worker clusters started at once on a fresh database create exactly one admin; each serves from 2 workers, keeps the share limit, and stops on SIGTERM', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-workers-'));
      const schema = freshSchemaName();
      const databaseUrl = process.env.TEST_DATABASE_URL ?? '';
      const args = ['--data-dir', dataDir, '--workers', '2'];
      if (target.dialect === 'postgres')
        args.push('--database-url', databaseUrl, '--database-schema', schema);
      const env = {
        // info: each worker logs its own "shutting down" (checked at the end).
        IMAGESHARE_LOG__LEVEL: 'info',
        IMAGESHARE_SHARING__MAX_ACCOUNTS_PER_IMAGE: String(MAX_MEMBERS),
        IMAGESHARE_DATABASE__POOL_SIZE: '3',
      };
      let clusters: ServerProcess[] = [];
      const config = loadConfig({
        env: {},
        file: '',
        overrides:
          target.dialect === 'postgres'
            ? { dataDir, 'database.url': databaseUrl, 'database.schema': schema }
            : { dataDir },
      });
      let handle: Awaited<ReturnType<typeof openServices>> | undefined;
      const workerPids: number[] = [];
      try {
        clusters = await Promise.all([1, 2, 3].map(() => spawnServer(args, env, 90_000)));
        for (const c of clusters) workerPids.push(...childrenOf(c.child.pid!));

        // One admin: announced once, one password file, one admin row, and its password logs in everywhere.
        const announced = clusters.flatMap((c) => c.stdout).filter((l) => l.startsWith('admin account:'));
        assert.equal(
          announced.length,
          1,
          `admin announced ${announced.length} times:\n${announced.join('\n')}`,
        );
        const match = /^admin account: id=(\d+) name=admin password-file=(\S+)$/.exec(announced[0]!);
        assert.ok(match, announced[0]);
        assert.deepEqual(
          readdirSync(dataDir).filter((f) => f.startsWith('admin-password')),
          ['admin-password'],
        );
        const admin = { id: match[1]!, password: readFileSync(match[2]!, 'utf8').trim() };
        handle = await openServices(config);
        const rows = await handle.db.kysely.selectFrom('accounts').select(['id', 'is_admin']).execute();
        assert.deepEqual(
          rows.map((r) => [r.id, Boolean(r.is_admin)]),
          [[admin.id, true]],
        );
        for (const c of clusters) {
          assert.ok(c.stdout.includes('workers: 2'), c.stdout.join('\n'));
          assert.equal(childrenOf(c.child.pid!).length, 2, `cluster ${c.url} does not run 2 workers`);
          // The primary gives its workers a smaller young generation (src/worker-heap.ts).
          for (const pid of childrenOf(c.child.pid!)) {
            const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
            assert.ok(cmdline.includes(`--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`), cmdline.join(' '));
          }
          assert.ok(await issueToken(c.url, admin));
        }

        // The share limit holds across the workers of one cluster (and the other clusters) at once.
        const password = randomBytes(9).toString('base64url');
        const owner = await handle.services.accounts.create({
          name: `owner-${randomBytes(3).toString('hex')}`,
          password,
        });
        const receivers = await Promise.all(
          Array.from({ length: MAX_MEMBERS * 3 }, (_, i) =>
            handle!.services.accounts.create({ name: `r-${i}-${randomBytes(3).toString('hex')}`, password }),
          ),
        );
        const token = await issueToken(clusters[0]!.url, { id: owner.account.id, password });
        const created = await httpRequest(clusters[0]!.url, 'POST', '/v2/images', {
          token,
          body: { name: 'workers', disk_format: 'raw', container_format: 'bare', visibility: 'shared' },
        });
        assert.equal(created.status, 201, created.text);
        const imageId = (created.body as { id: string }).id;
        const statuses = await Promise.all(
          receivers.map((r, i) =>
            httpRequest(clusters[i % clusters.length]!.url, 'POST', `/v2/images/${imageId}/members`, {
              token,
              body: { member: r.account.id },
            }).then((res) => res.status),
          ),
        );
        assert.equal(statuses.filter((s) => s === 200).length, MAX_MEMBERS, statuses.join(','));
        assert.ok(
          statuses.every((s) => s === 200 || s === 413),
          statuses.join(','),
        );
        const members = await handle.db.kysely
          .selectFrom('image_members')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('image_id', '=', imageId)
          .executeTakeFirstOrThrow();
        assert.equal(Number(members.n), MAX_MEMBERS);

        // SIGTERM to each primary: every worker stops gracefully (the primary exits 0 only when every worker
        // exited 0, after closing its server and database), and the primary exits.
        for (const c of clusters) {
          const workers = childrenOf(c.child.pid!);
          assert.equal(await c.stop('SIGTERM'), 0, c.stderr.join('\n'));
          for (const pid of workers)
            assert.ok(!alive(pid), `worker ${pid} still runs after the primary exited`);
          assert.ok(
            c.stdout.filter((l) => l.includes('"shutting down"')).length >= 2,
            `workers did not log their shutdown:\n${c.stdout.join('\n')}`,
          );
        }
        clusters = [];
      } finally {
        await Promise.all(clusters.map((c) => c.stop('SIGKILL')));
        for (const pid of workerPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
        if (handle) {
          if (target.dialect === 'postgres')
            await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db.kysely);
          await handle.db.close();
        }
        if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
