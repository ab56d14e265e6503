// The blob sweep on every store and database: it finds exactly the data no image refers to (a blob whose
// row is gone, the blob a node killed between storing and committing left, an abandoned pending upload),
// leaves live uploads, referenced data and data younger than the grace period alone, `check` removes
// nothing, and two sweeps running at once are harmless.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import type { BlobStore } from '../../src/repositories/blob/blob-store.js';
import { migrateToLatest, openDatabase } from '../../src/repositories/db/database.js';
import { createServices, type Services } from '../../src/services/container.js';
import type { RequestContext } from '../../src/services/context.js';
import { blobTargets, type BlobPlace } from '../helpers/blob-targets.js';
import { cliArgs } from '../helpers/cli.js';
import { forEachDatabase, type TestDatabase } from '../helpers/databases.js';

const MiB = 1024 * 1024;
const repoRoot = resolve(import.meta.dirname, '..', '..');

for (const blobTarget of blobTargets) {
  forEachDatabase((dbTarget) => {
    const skip = blobTarget.skipReason ?? dbTarget.skipReason ?? false;
    describe(`blob sweep: ${blobTarget.name} store, ${dbTarget.dialect}`, { skip }, () => {
      let database: TestDatabase;
      let place: BlobPlace;
      let store: BlobStore;
      let services: Services;
      let owner: RequestContext;
      let dataDir: string;

      before(async () => {
        database = await dbTarget.create();
        place = await blobTarget.create();
        store = place.store;
        dataDir = mkdtempSync(join(tmpdir(), 'imageshare-sweep-'));
        const config = loadConfig({
          env: {},
          file: '',
          overrides: { dataDir, 'images.uploadStaleSeconds': '120', ...place.overrides },
        });
        services = createServices({ config, db: database.db, blobs: store });
        const { account } = await services.accounts.create({
          name: `sweeper${Date.now()}`,
          password: 'pw-123456',
        });
        owner = {
          caller: { accountId: account.id, isAdmin: false },
          region: config.regions[0] as string,
          surface: 'console',
        };
      });
      after(async () => {
        await place?.close();
        await database?.close();
        rmSync(dataDir, { recursive: true, force: true });
      });

      const newImage = () => services.images.create(owner, { diskFormat: 'raw', containerFormat: 'bare' });
      const claim = (id: string, heartbeatAt: Date) =>
        database.db.kysely
          .updateTable('images')
          .set({ status: 'saving', upload_id: `u-${id}`, upload_heartbeat_at: heartbeatAt.toISOString() })
          .where('id', '=', id)
          .execute();
      /** Starts a store upload that stays in progress until `source` ends (S3: one part already sent). */
      async function pendingPut(keyPrefix: string) {
        const source = new PassThrough();
        const put = store.put(source, { maxBytes: 100 * MiB, keyPrefix });
        put.catch(() => undefined);
        source.write(randomBytes(6 * MiB));
        const before = (await place.contents()).uploads.length;
        for (let i = 0; i < 100 && (await place.contents()).uploads.length === before; i++) await sleep(50);
        return { source, put };
      }

      it('check reports, sweep removes exactly the unreferenced data; a second sweep finds nothing', async () => {
        // Referenced: an active image's data.
        const kept = await newImage();
        await services.images.upload(owner, kept.id, Readable.from([Buffer.from('keep me')]));
        // A blob whose row is gone (its image was deleted, but removing the data failed).
        const gone = await newImage();
        const goneBlob = await store.put(Readable.from([Buffer.from('orphan')]), {
          maxBytes: 100,
          keyPrefix: gone.id,
        });
        await services.images.delete(owner, gone.id);
        // A node killed between storing the data and committing: image saving, claim stale, blob unreferenced.
        const killed = await newImage();
        await claim(killed.id, new Date(Date.now() - 600_000));
        const killedBlob = await store.put(Readable.from([Buffer.from('half-committed')]), {
          maxBytes: 100,
          keyPrefix: killed.id,
        });
        // An upload whose node died: its pending data, no live claim.
        const abandoned = await newImage();
        const dead = await pendingPut(abandoned.id);
        // An upload in progress: live claim (fresh heartbeat), data pending, must be left alone.
        const uploading = await newImage();
        await claim(uploading.id, new Date());
        const live = await pendingPut(uploading.id);

        // Everything is younger than the configured grace period (1 hour): nothing is touched.
        const young = await services.blobSweep.sweep({ dryRun: false });
        assert.deepEqual([young.orphanBlobs, young.abandonedUploads], [[], []], JSON.stringify(young));
        assert.equal(young.kept.young, 5);

        await sleep(1100); // S3 servers give whole seconds (Swift rounds up): let everything be past grace 0
        const check = await services.blobSweep.sweep({ dryRun: true, graceSeconds: 0 });
        assert.deepEqual(check.orphanBlobs.sort(), [goneBlob.key, killedBlob.key].sort());
        assert.equal(check.abandonedUploads.length, 1, JSON.stringify(check));
        assert.match(check.abandonedUploads[0] as string, new RegExp(`^${abandoned.id}-`));
        assert.equal(check.kept.liveUpload, 1, JSON.stringify(check));
        const beforeSweep = await place.contents();
        assert.equal(beforeSweep.objects.length, 3, 'check removed nothing');
        assert.equal(beforeSweep.uploads.length, 2, 'check aborted nothing');

        // Two nodes sweeping at once: both succeed, nothing is removed twice by mistake or left over.
        const [a, b] = await Promise.all([
          services.blobSweep.sweep({ dryRun: false, graceSeconds: 0 }),
          services.blobSweep.sweep({ dryRun: false, graceSeconds: 0 }),
        ]);
        assert.equal(a.failures + b.failures, 0);
        const after = await place.contents();
        assert.equal(after.objects.length, 1, `left: ${after.objects.join(', ')}`);
        assert.ok(after.objects[0]?.endsWith((await services.images.get(owner, kept.id)).blobKey as string));
        assert.equal(
          after.uploads.length,
          1,
          `only the live upload is still pending: ${JSON.stringify([a, b, after])}`,
        );

        // The live upload finishes normally; the dead one's client is gone.
        live.source.end(Buffer.from('tail'));
        await live.put;
        dead.source.destroy(new Error('node died'));
        await sleep(1100); // S3 servers give whole seconds (Swift rounds up): let the new blob be past grace 0
        const again = await services.blobSweep.sweep({ dryRun: false, graceSeconds: 0 });
        // The finished live upload's blob is not referenced by a row (the test stored it directly), but its
        // image still has a live claim: kept.
        assert.deepEqual([again.orphanBlobs, again.abandonedUploads], [[], []], JSON.stringify(again));
        assert.equal(again.kept.liveUpload, 1, JSON.stringify(again));
        assert.deepEqual((await place.contents()).uploads, []);
      });

      it('`imageshare blobs check|sweep` report what they find', async (t) => {
        // The CLI opens the configured database: this one on PostgreSQL, a fresh one in the data folder on
        // SQLite (a blob no row of any database refers to is an orphan either way), made here because the
        // CLI refuses to create one (test/cli/operator-cli.test.ts).
        if (database.dialect === 'sqlite') {
          const fresh = openDatabase({ url: join(dataDir, 'imageshare.sqlite') });
          await migrateToLatest(fresh).finally(() => fresh.close());
        }
        const own = await blobTarget.create(); // a place holding nothing but the orphan
        t.after(() => own.close());
        const orphan = await own.store.put(Readable.from([Buffer.from('x')]), {
          maxBytes: 10,
          keyPrefix: 'img-clitests',
        });
        const env: Record<string, string> = { ...process.env, ...own.env } as Record<string, string>;
        for (const k of Object.keys(env)) if (k.startsWith('IMAGESHARE_') && !(k in own.env)) delete env[k];
        const run = (args: string[]) =>
          promisify(execFile)(process.execPath, cliArgs('blobs', ...args, '--grace-seconds', '0'), {
            cwd: repoRoot,
            env: {
              ...env,
              IMAGESHARE_CONFIG: '',
              IMAGESHARE_DATA_DIR: dataDir,
              ...(database.dialect === 'postgres'
                ? {
                    IMAGESHARE_DATABASE_URL: database.url,
                    IMAGESHARE_DATABASE_SCHEMA: database.schema as string,
                  }
                : {}),
            },
          });
        const check = await run(['check']);
        assert.match(check.stdout, /unreferenced blobs: 1 \(would remove\)/);
        assert.ok(check.stdout.includes(`blob ${orphan.key}`));
        assert.ok((await own.contents()).objects.some((k) => k.endsWith(orphan.key)));
        const sweep = JSON.parse((await run(['sweep', '--json'])).stdout) as { orphanBlobs: string[] };
        assert.deepEqual(sweep.orphanBlobs, [orphan.key]);
        assert.deepEqual((await own.contents()).objects, []);
      });
    });
  });
}
