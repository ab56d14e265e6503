// The API key cache's staleness bound (tencent.keyCacheSeconds), between two real server processes on one
// database, as test/keystone/token-cache.test.ts does for tokens: both nodes have just accepted a key (so
// they may hold it in their caches); the key is disabled, deleted, or its account disabled through another
// process (the test's own handle, as the CLI does); both nodes refuse it within the bound (plus the time one
// request takes). The process that made the change forgets the key at once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { newAccountId } from '../src/domain/ids.js';
import { openServices } from '../src/main.js';
import { databaseTargets, freshSchemaName } from './helpers/databases.js';
import { spawnServer, type ServerProcess } from './helpers/server.js';
import { tc3Request, type Key } from './helpers/tencent.js';

const CACHE_SECONDS = 2;
/** What one request may add to the bound on a loaded machine. */
const SLACK_MS = 1500;

async function describeImages(url: string, key: Key): Promise<string | undefined> {
  const res = await tc3Request(url, key, { action: 'DescribeImages', body: '{"Limit":1}' });
  return res.body.Response.Error?.Code;
}

/** Milliseconds from now until `url` refuses `key`, polling every 50 ms; Infinity past `limitMs`. */
async function msUntilRefused(url: string, key: Key, limitMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitMs) {
    const code = await describeImages(url, key);
    if (code !== undefined) {
      assert.match(code, /^AuthFailure/);
      return Date.now() - t0;
    }
    await sleep(50);
  }
  return Infinity;
}

for (const target of databaseTargets) {
  describe(
    `API key cache across two processes on ${target.dialect}`,
    { skip: target.skipReason ?? false },
    () => {
      it(`a key disabled, deleted or of a disabled account stops working on every node within tencent.keyCacheSeconds (${CACHE_SECONDS} s)`, async () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-key-cache-'));
        const schema = freshSchemaName();
        const databaseUrl = process.env.TEST_DATABASE_URL ?? '';
        const args = ['--data-dir', dataDir];
        if (target.dialect === 'postgres')
          args.push('--database-url', databaseUrl, '--database-schema', schema);
        const env = {
          IMAGESHARE_LOG__LEVEL: 'warn',
          IMAGESHARE_ADMIN_ID: newAccountId(),
          IMAGESHARE_ADMIN_PASSWORD: randomBytes(12).toString('base64url'),
          IMAGESHARE_TENCENT__KEY_CACHE_SECONDS: String(CACHE_SECONDS),
        };
        const nodes: ServerProcess[] = [];
        let handle: Awaited<ReturnType<typeof openServices>> | undefined;
        try {
          nodes.push(await spawnServer(args, env, 60_000));
          nodes.push(await spawnServer(args, env, 60_000));
          const bound = CACHE_SECONDS * 1000 + SLACK_MS;
          const config = loadConfig({
            env: { IMAGESHARE_TENCENT__KEY_CACHE_SECONDS: String(CACHE_SECONDS) },
            file: '',
            overrides:
              target.dialect === 'postgres'
                ? { dataDir, 'database.url': databaseUrl, 'database.schema': schema }
                : { dataDir },
          });
          handle = await openServices(config);
          const { services } = handle;
          const bob = await services.accounts.create({
            name: `bob-${randomBytes(3).toString('hex')}`,
            password: randomBytes(9).toString('base64url'),
          });
          const accountId = bob.account.id;

          /** A fresh key, accepted by both nodes and resolved (so cached) by the handle too. */
          const warmKey = async (): Promise<Key> => {
            const key = await services.apiKeys.create(accountId);
            for (const node of nodes) {
              assert.equal(await describeImages(node.url, key), undefined, `${node.url} accepts the key`);
            }
            assert.ok(await services.apiKeys.resolve(key.secretId));
            return key;
          };
          const refusedEverywhere = async (key: Key, what: string) => {
            // The process that made the change forgets the key at once.
            assert.equal(await services.apiKeys.resolve(key.secretId), null, `${what}: the handle at once`);
            for (const node of nodes) {
              const after = await msUntilRefused(node.url, key, bound + 2000);
              assert.ok(
                after <= bound,
                `${what}: ${node.url} accepted the key for ${after} ms (bound ${bound})`,
              );
              assert.match((await describeImages(node.url, key)) ?? '', /^AuthFailure/);
            }
          };

          const disabled = await warmKey();
          await services.apiKeys.disable(accountId, disabled.secretId);
          await refusedEverywhere(disabled, 'disabled');

          const deleted = await warmKey();
          await services.apiKeys.delete(accountId, deleted.secretId);
          await refusedEverywhere(deleted, 'deleted');

          await services.apiKeys.enable(accountId, disabled.secretId);
          assert.equal(await describeImages((nodes[0] as ServerProcess).url, disabled), undefined);
          const ofAccount = await warmKey();
          await services.accounts.disable(accountId);
          await refusedEverywhere(ofAccount, 'account disabled');
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

describe('tencent.keyCacheSeconds', () => {
  it('takes 0 (off) to 60 seconds, nothing else', () => {
    const load = (value: string) =>
      loadConfig({ env: { IMAGESHARE_TENCENT__KEY_CACHE_SECONDS: value }, file: '', overrides: {} });
    assert.equal(load('0').tencent.keyCacheSeconds, 0);
    assert.equal(load('60').tencent.keyCacheSeconds, 60);
    assert.throws(() => load('-1'), /tencent\.keyCacheSeconds must be from 0/);
    assert.throws(() => load('61'), /tencent\.keyCacheSeconds must be from 0/);
  });
});
