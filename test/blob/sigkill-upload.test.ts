// A node SIGKILLed in the middle of an upload to S3, at 10 different points (by bytes sent, and at two
// named points where the server stops on request: IMAGESHARE_TEST_PAUSE_AT). After each kill: the image is
// never active with partial data; once its claim is stale, the sweep removes whatever the dead node left
// (parts of an unfinished multipart upload, or a whole object never committed) and the image can be
// uploaded again, whole. Every kill is followed by a count of orphaned objects and pending multipart
// uploads as the S3 server itself reports them: zero, every time.
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
const s3 = blobTargets.find((t) => t.name === 's3') as (typeof blobTargets)[number];

/** Where the victim dies: after this many bytes of the 24 MiB (5 MiB parts), or at a named point. */
type KillPoint = { bytes: number } | { pause: 'upload:claimed' | 'upload:stored' };
const POINTS: KillPoint[] = [
  { pause: 'upload:claimed' }, // image claimed (saving), no data read
  { bytes: 1 * MiB }, // inside the first part, still in memory
  { bytes: 6 * MiB }, // first part sent: a multipart upload exists
  { bytes: 11 * MiB },
  { bytes: 13 * MiB },
  { bytes: 16 * MiB },
  { bytes: 18.5 * MiB },
  { bytes: 21 * MiB },
  { bytes: 24 * MiB - 1 }, // every full part sent, the last byte never comes
  { pause: 'upload:stored' }, // object complete in S3, database not yet committed
];
const SIZE = 24 * MiB;

forEachDatabase((dbTarget) => {
  const skip = s3.skipReason ?? dbTarget.skipReason ?? false;
  describe(
    `SIGKILL during an S3 upload, at ${POINTS.length} points, on ${dbTarget.dialect}`,
    { skip },
    () => {
      let place: BlobPlace;
      let a: TestServer;
      let victimArgs: string[];
      let victimEnv: Record<string, string>;

      before(async () => {
        place = await s3.create();
        const common = { 'images.uploadStaleSeconds': '1', 'blob.sweepIntervalSeconds': '0' };
        a = await startTestServer({ target: dbTarget, overrides: { ...place.overrides, ...common } });
        victimArgs = ['--data-dir', a.database.dataDir];
        if (dbTarget.dialect === 'postgres') {
          victimArgs.push('--database-url', a.database.url, '--database-schema', a.database.schema as string);
        }
        victimEnv = {
          ...place.env,
          IMAGESHARE_IMAGES__UPLOAD_STALE_SECONDS: '1',
          IMAGESHARE_BLOB__SWEEP_INTERVAL_SECONDS: '0',
          IMAGESHARE_LOG__LEVEL: 'warn',
        };
      });
      after(async () => {
        await a?.close();
        await place?.close();
      });

      /** Objects in the bucket that no image row refers to, and pending multipart uploads. */
      async function leftovers() {
        const rows = await a.server.db.kysely.selectFrom('images').select('blob_key').execute();
        const referenced = new Set(rows.map((r) => r.blob_key).filter(Boolean));
        const { objects, uploads } = await place.contents();
        return { orphans: objects.filter((o) => !referenced.has(o.replace(/^images\//, ''))), uploads };
      }

      it('never leaves an active image with partial data, nor an orphaned object or multipart upload', async () => {
        const owner = await a.createAccount();
        const token = await a.token(owner);
        const data = randomBytes(SIZE);
        const md5 = createHash('md5').update(data).digest('hex');
        const found = { orphans: 0, uploads: 0 };

        for (const [i, point] of POINTS.entries()) {
          const label = `point ${i + 1} (${JSON.stringify(point)})`;
          const created = await a.request('POST', '/v2/images', {
            token,
            body: { name: `kill-${i}`, disk_format: 'raw', container_format: 'bare' },
          });
          const id = (created.body as { id: string }).id;
          const env = 'pause' in point ? { ...victimEnv, IMAGESHARE_TEST_PAUSE_AT: point.pause } : victimEnv;
          const victim: ServerProcess = await spawnServer(victimArgs, env);
          const upload = startUpload(victim.url, token, id);
          if ('pause' in point) {
            upload.request.end(data); // not awaited: the victim may stop reading
            for (let n = 0; n < 200 && !victim.stderr.includes(`paused at ${point.pause}`); n++)
              await sleep(50);
            assert.ok(victim.stderr.includes(`paused at ${point.pause}`), `${label}: victim never paused`);
          } else {
            await upload.write(data.subarray(0, point.bytes));
            await sleep(700); // let the victim act on what it got (send parts, start the multipart upload)
          }
          await victim.stop('SIGKILL');
          upload.request.destroy();

          const after = await a.request('GET', `/v2/images/${id}`, { token });
          const status = (after.body as { status: string }).status;
          assert.ok(['saving', 'queued'].includes(status), `${label}: status ${status} after the kill`);

          // The dead node's claim goes stale (1 s without heartbeat); then the sweep takes what it left.
          await sleep(1500);
          const before = await leftovers();
          found.orphans += before.orphans.length;
          found.uploads += before.uploads.length;
          const report = await a.server.services.blobSweep.sweep({ dryRun: false, graceSeconds: 0 });
          assert.equal(report.failures, 0, label);
          const left = await leftovers();
          assert.deepEqual(left, { orphans: [], uploads: [] }, `${label}: left behind after the sweep`);

          // Uploaded again, through the surviving node: whole and active.
          const again = startUpload(a.url, token, id);
          await again.write(data);
          const res = await again.end();
          assert.equal(res.status, 204, `${label}: ${res.text}`);
          const image = (await a.request('GET', `/v2/images/${id}`, { token })).body as Record<
            string,
            unknown
          >;
          assert.equal(image.status, 'active', label);
          assert.equal(image.checksum, md5, label);
          assert.equal(image.size, SIZE, label);
          const fetched = await download(a, token, id);
          assert.ok(fetched.data.equals(data), `${label}: downloaded data differs`);
        }

        // What the kills left, summed over all points: the sweep found something to do (so the count above
        // is not vacuous), and after it nothing is left: checked per point, and once more for the whole bucket.
        assert.ok(
          found.uploads > 0,
          'no kill left a pending multipart upload: the points miss the multipart phase',
        );
        assert.ok(
          found.orphans > 0,
          'no kill left an uncommitted object: the upload:stored point did not work',
        );
        const final = await leftovers();
        assert.equal(final.orphans.length + final.uploads.length, 0);
        const { objects } = await place.contents();
        assert.equal(objects.length, POINTS.length, 'one object per image, nothing more');
      });
    },
  );
});
