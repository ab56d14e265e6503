// The token cache's staleness bound, between two real server processes on one database: node A has just
// accepted a token (so it may hold it in its cache), node B revokes it, and A refuses it within
// tokens.cacheSeconds (plus the time one request takes). B itself, which revoked it, refuses at once. A
// token of an account disabled through B's database is refused by A within the same bound.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { newAccountId } from '../../src/domain/ids.js';
import { openServices } from '../../src/main.js';
import { databaseTargets, freshSchemaName } from '../helpers/databases.js';
import { httpRequest, issueToken, spawnServer, type ServerProcess } from '../helpers/server.js';

const CACHE_SECONDS = 2;
/** What one request may add to the bound on a loaded machine. */
const SLACK_MS = 1500;

/** Milliseconds from now until `url` refuses `token` (401), polling every 50 ms; Infinity past `limitMs`. */
async function msUntilRefused(url: string, token: string, limitMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitMs) {
    const res = await httpRequest(url, 'GET', '/v2/images?limit=1', { token });
    if (res.status === 401) return Date.now() - t0;
    assert.equal(res.status, 200, res.text);
    await sleep(50);
  }
  return Infinity;
}

for (const target of databaseTargets) {
  describe(
    `token cache across two processes on ${target.dialect}`,
    { skip: target.skipReason ?? false },
    () => {
      it(`a token revoked or disabled on node B is refused by node A within tokens.cacheSeconds (${CACHE_SECONDS} s)`, async () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-token-cache-'));
        const schema = freshSchemaName();
        const databaseUrl = process.env.TEST_DATABASE_URL ?? '';
        const args = ['--data-dir', dataDir];
        if (target.dialect === 'postgres')
          args.push('--database-url', databaseUrl, '--database-schema', schema);
        const admin = { id: newAccountId(), password: randomBytes(12).toString('base64url') };
        const env = {
          IMAGESHARE_LOG__LEVEL: 'warn',
          IMAGESHARE_ADMIN_ID: admin.id,
          IMAGESHARE_ADMIN_PASSWORD: admin.password,
          IMAGESHARE_TOKENS__CACHE_SECONDS: String(CACHE_SECONDS),
        };
        const nodes: ServerProcess[] = [];
        let handle: Awaited<ReturnType<typeof openServices>> | undefined;
        try {
          nodes.push(await spawnServer(args, env, 60_000));
          nodes.push(await spawnServer(args, env, 60_000));
          const [a, b] = nodes as [ServerProcess, ServerProcess];
          const bound = CACHE_SECONDS * 1000 + SLACK_MS;

          // Revoked through B: B refuses at once, A within the bound.
          const token = await issueToken(b.url, admin);
          for (const node of [a, b]) {
            assert.equal((await httpRequest(node.url, 'GET', '/v2/images?limit=1', { token })).status, 200);
          }
          const revoke = await httpRequest(b.url, 'DELETE', '/identity/v3/auth/tokens', {
            token,
            headers: { 'x-subject-token': token },
          });
          assert.equal(revoke.status, 204);
          assert.equal((await httpRequest(b.url, 'GET', '/v2/images?limit=1', { token })).status, 401);
          const revokedAfter = await msUntilRefused(a.url, token, bound + 2000);
          assert.ok(
            revokedAfter <= bound,
            `A accepted a revoked token for ${revokedAfter} ms (bound ${bound})`,
          );
          for (let i = 0; i < 3; i++) {
            assert.equal((await httpRequest(a.url, 'GET', '/v2/images?limit=1', { token })).status, 401);
          }

          // An account disabled through another process (here the test's own handle, as the CLI does).
          const config = loadConfig({
            env: {},
            file: '',
            overrides:
              target.dialect === 'postgres'
                ? { dataDir, 'database.url': databaseUrl, 'database.schema': schema }
                : { dataDir },
          });
          handle = await openServices(config);
          const password = randomBytes(9).toString('base64url');
          const bob = await handle.services.accounts.create({
            name: `bob-${randomBytes(3).toString('hex')}`,
            password,
          });
          const bobToken = await issueToken(a.url, { id: bob.account.id, password });
          assert.equal(
            (await httpRequest(a.url, 'GET', '/v2/images?limit=1', { token: bobToken })).status,
            200,
          );
          await handle.services.accounts.disable(bob.account.id);
          const disabledAfter = await msUntilRefused(a.url, bobToken, bound + 2000);
          assert.ok(disabledAfter <= bound, `A accepted a disabled account's token for ${disabledAfter} ms`);
        } finally {
          await Promise.all(nodes.map((n) => n.stop()));
          if (handle) {
            if (target.dialect === 'postgres')
              await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db.kysely);
            await handle.db.close();
          }
          rmSync(dataDir, { recursive: true, force: true });
        }
      });
    },
  );
}
