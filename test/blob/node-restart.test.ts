// Two nodes on one database and one blob store (a shared local folder, or an S3 bucket): node B restarting
// while node A uploads does not break A's upload. B's start-up clean-up may only remove B's own temporary
// files older than the stale-upload time; A's upload is paused past B's stale time when B restarts, so a
// clean-up that ignores whose files they are (or removes everything, as it once did) breaks it.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { blobTargets, type BlobPlace } from '../helpers/blob-targets.js';
import { forEachDatabase } from '../helpers/databases.js';
import { download } from '../helpers/glance.js';
import { spawnServer, startTestServer, type ServerProcess, type TestServer } from '../helpers/server.js';
import { startUpload } from '../helpers/streaming-upload.js';

const MiB = 1024 * 1024;

for (const blobTarget of blobTargets) {
  forEachDatabase((dbTarget) => {
    const skip = blobTarget.skipReason ?? dbTarget.skipReason ?? false;
    describe(
      `node B restarts while node A uploads: ${blobTarget.name} store, ${dbTarget.dialect}`,
      { skip },
      () => {
        let place: BlobPlace;
        let a: TestServer;
        let b: ServerProcess | undefined;
        let bArgs: string[];
        let bEnv: Record<string, string>;

        before(async () => {
          place = await blobTarget.create();
          a = await startTestServer({
            target: dbTarget,
            overrides: { ...place.overrides, 'blob.nodeId': 'node-a' },
          });
          bArgs = ['--data-dir', a.database.dataDir];
          if (dbTarget.dialect === 'postgres') {
            bArgs.push('--database-url', a.database.url, '--database-schema', a.database.schema as string);
          }
          // B counts temporary files as stale after 1 s: A's upload, paused for 2 s, looks stale to B.
          bEnv = {
            ...place.env,
            IMAGESHARE_BLOB__NODE_ID: 'node-b',
            IMAGESHARE_IMAGES__UPLOAD_STALE_SECONDS: '1',
            IMAGESHARE_LOG__LEVEL: 'warn',
          };
          b = await spawnServer(bArgs, bEnv);
        });
        after(async () => {
          await b?.stop();
          await a?.close();
          await place?.close();
        });

        it("A's upload completes and downloads byte-identical through B", async () => {
          const owner = await a.createAccount();
          const token = await a.token(owner);
          const created = await a.request('POST', '/v2/images', {
            token,
            body: { name: 'restart', disk_format: 'raw', container_format: 'bare' },
          });
          assert.equal(created.status, 201, created.text);
          const id = (created.body as { id: string }).id;
          const data = randomBytes(12 * MiB);

          const upload = startUpload(a.url, token, id);
          await upload.write(data.subarray(0, 6 * MiB));
          await sleep(2000); // A's data sits untouched for longer than B's stale-upload time
          await b?.stop('SIGTERM');
          b = await spawnServer(bArgs, bEnv);
          await upload.write(data.subarray(6 * MiB));
          const res = await upload.end();
          assert.equal(res.status, 204, res.text);

          const image = await a.request('GET', `/v2/images/${id}`, { token });
          assert.equal((image.body as { status: string }).status, 'active');
          assert.equal(
            (image.body as { checksum: string }).checksum,
            createHash('md5').update(data).digest('hex'),
          );
          const fetched = await download({ url: b.url } as TestServer, token, id);
          assert.equal(fetched.status, 200);
          assert.ok(fetched.data.equals(data), 'B serves the bytes A stored');
          assert.deepEqual((await place.contents()).uploads, []);
        });
      },
    );
  });
}
