// /readyz needs the database and the blob store: with the blob store out of reach (an S3 endpoint nothing
// listens on, a blob folder that is gone) a node is alive (/healthz 200) but not ready (/readyz 503), so a
// load balancer stops sending it requests.
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { forEachDatabase } from '../helpers/databases.js';
import { createTestBucket, s3SkipReason, type TestBucket } from '../helpers/s3.js';
import { startTestServer } from '../helpers/server.js';

forEachDatabase((target) => {
  describe(`readiness and the blob store on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    it('local folder: ready while the folder is there, 503 once it is gone', async () => {
      const t = await startTestServer({ target });
      try {
        const ready = await t.request('GET', '/readyz');
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.body, { status: 'ok', database: 'ok', blobs: 'ok' });
        rmSync(join(t.database.dataDir, 'images'), { recursive: true, force: true });
        const gone = await t.request('GET', '/readyz');
        assert.equal(gone.status, 503);
        assert.deepEqual(gone.body, { status: 'unavailable', database: 'ok', blobs: 'unreachable' });
        assert.equal((await t.request('GET', '/healthz')).status, 200);
      } finally {
        await t.close();
      }
    });

    describe('S3', { skip: s3SkipReason() ?? false }, () => {
      let bucket: TestBucket;
      before(async () => {
        bucket = await createTestBucket();
      });
      after(() => bucket?.remove());

      it('ready with the bucket reachable', async () => {
        const t = await startTestServer({ target, overrides: bucket.overrides });
        try {
          const ready = await t.request('GET', '/readyz');
          assert.equal(ready.status, 200, ready.text);
          assert.deepEqual(ready.body, { status: 'ok', database: 'ok', blobs: 'ok' });
        } finally {
          await t.close();
        }
      });

      it('503 with the S3 endpoint dead, while /healthz stays 200', async () => {
        const t = await startTestServer({
          target,
          overrides: { ...bucket.overrides, 'blob.s3.endpoint': 'http://127.0.0.1:9' },
        });
        try {
          const res = await t.request('GET', '/readyz');
          assert.equal(res.status, 503);
          assert.deepEqual(res.body, { status: 'unavailable', database: 'ok', blobs: 'unreachable' });
          assert.equal((await t.request('GET', '/healthz')).status, 200);
        } finally {
          await t.close();
        }
      });

      it('503 for a bucket that does not exist', async () => {
        const t = await startTestServer({
          target,
          overrides: { ...bucket.overrides, 'blob.s3.bucket': `${bucket.settings.bucket}-missing` },
        });
        try {
          assert.equal((await t.request('GET', '/readyz')).status, 503);
        } finally {
          await t.close();
        }
      });
    });
  });
});
