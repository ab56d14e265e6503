// Tencent's ModifyImageAttribute with a new name and ImageDeprecated is one change: both or neither. A server
// started with IMAGESHARE_TEST_PAUSE_AT=modify:renamed stops after the rename, before the deprecation, and is
// SIGKILLed there; the image must come back as it was (old name, not deprecated), and a clean server then
// applies both. When the two were separate transactions the rename survived the kill (and an image deleted
// between them answered an error with the rename kept).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { openServices } from '../src/main.js';
import { forEachDatabase, freshSchemaName } from './helpers/databases.js';
import { spawnServer, type ServerProcess } from './helpers/server.js';
import { createActiveImage, tc3Request, type Key } from './helpers/tencent.js';

forEachDatabase((target) => {
  describe(
    `Tencent ModifyImageAttribute is atomic on ${target.dialect}`,
    { skip: target.skipReason ?? false },
    () => {
      it(
        'killed between the rename and the deprecation: neither applied; then both',
        { timeout: 120_000 },
        async () => {
          const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-modify-'));
          const schema = target.dialect === 'postgres' ? freshSchemaName() : undefined;
          const dbArgs = schema
            ? ['--database-url', process.env.TEST_DATABASE_URL!, '--database-schema', schema]
            : [];
          const config = loadConfig({
            env: {},
            file: '',
            overrides: {
              dataDir,
              ...(schema
                ? { 'database.url': process.env.TEST_DATABASE_URL!, 'database.schema': schema }
                : {}),
            },
          });
          const opened = await openServices(config);
          await opened.blobs.init();
          let server: ServerProcess | undefined;
          try {
            const owner = (
              await opened.services.accounts.create({
                name: 'modify-owner',
                password: 'modify-owner-pw',
                isAdmin: false,
              })
            ).account;
            const ctx = {
              caller: { accountId: owner.id, isAdmin: false },
              region: config.regions[0]!,
              surface: 'tencent' as const,
            };
            const imageId = await createActiveImage(opened.services, ctx, 'before');
            const key: Key = await opened.services.apiKeys.create(owner.id);
            const described = async () => {
              const image = await opened.services.images.get(ctx, imageId);
              return { name: image.name, deprecated: image.lifecycle.deprecatedAt !== null };
            };
            const modify = (url: string) =>
              tc3Request(url, key, {
                action: 'ModifyImageAttribute',
                region: config.regions[0]!,
                body: JSON.stringify({ ImageId: imageId, ImageName: 'after', ImageDeprecated: true }),
              });

            server = await spawnServer(['--data-dir', dataDir, ...dbArgs], {
              IMAGESHARE_TEST_PAUSE_AT: 'modify:renamed',
              IMAGESHARE_LOG__LEVEL: 'warn',
            });
            const cut = modify(server.url).catch(() => 'cut');
            const deadline = Date.now() + 30_000;
            while (!server.stderr.includes('paused at modify:renamed')) {
              assert.ok(
                Date.now() < deadline,
                `the server never reached the pause point:\n${server.stderr.join('\n')}`,
              );
              await sleep(50);
            }
            await server.stop('SIGKILL');
            server = undefined;
            assert.equal(await cut, 'cut', 'the call was cut by the kill, not answered');
            assert.deepEqual(
              await described(),
              { name: 'before', deprecated: false },
              'nothing of the cut call kept',
            );

            server = await spawnServer(['--data-dir', dataDir, ...dbArgs], { IMAGESHARE_LOG__LEVEL: 'warn' });
            const done = await modify(server.url);
            assert.equal(done.body.Response.Error, undefined, JSON.stringify(done.body));
            assert.deepEqual(await described(), { name: 'after', deprecated: true });
          } finally {
            await server?.stop('SIGKILL');
            if (schema) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(opened.db.kysely);
            await opened.db.close();
            await opened.blobs.close();
            rmSync(dataDir, { recursive: true, force: true });
          }
        },
      );
    },
  );
});
