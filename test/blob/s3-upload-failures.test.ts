// Uploads through the image API that fail half-way, with image data in S3: too large (past
// images.maxUploadBytes after two parts went up) or cut off by the client. Each one aborts its multipart
// upload, leaves no object, and puts the image back to queued; never active.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { blobTargets, type BlobPlace } from '../helpers/blob-targets.js';
import { forEachDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startUpload } from '../helpers/streaming-upload.js';

const MiB = 1024 * 1024;
const s3 = blobTargets.find((t) => t.name === 's3') as (typeof blobTargets)[number];

forEachDatabase((dbTarget) => {
  const skip = s3.skipReason ?? dbTarget.skipReason ?? false;
  describe(`failed uploads to S3 on ${dbTarget.dialect}`, { skip }, () => {
    let place: BlobPlace;
    let t: TestServer;
    let token: string;

    before(async () => {
      place = await s3.create();
      t = await startTestServer({
        target: dbTarget,
        overrides: { ...place.overrides, 'images.maxUploadBytes': String(12 * MiB) },
      });
      token = await t.token(await t.createAccount());
    });
    after(async () => {
      await t?.close();
      await place?.close();
    });

    async function newImage(): Promise<string> {
      const res = await t.request('POST', '/v2/images', {
        token,
        body: { disk_format: 'raw', container_format: 'bare' },
      });
      return (res.body as { id: string }).id;
    }
    const statusOf = async (id: string) =>
      ((await t.request('GET', `/v2/images/${id}`, { token })).body as { status: string }).status;

    it('over the size limit: 413, image queued, no object and no multipart upload left', async () => {
      const id = await newImage();
      const upload = startUpload(t.url, token, id);
      // Two full parts go up before the limit is crossed (the limit is not known to the client).
      upload.write(randomBytes(16 * MiB)).catch(() => undefined);
      const res = await upload.end();
      assert.equal(res.status, 413, res.text);
      assert.equal(await statusOf(id), 'queued');
      assert.deepEqual(await place.contents(), { objects: [], uploads: [] });
    });

    it('client gone half-way: image back to queued, no object and no multipart upload left', async () => {
      const id = await newImage();
      const upload = startUpload(t.url, token, id);
      await upload.write(randomBytes(11 * MiB));
      // Wait until the server has a multipart upload going, then cut the connection.
      for (let i = 0; i < 100 && (await place.contents()).uploads.length === 0; i++) await sleep(50);
      assert.equal((await place.contents()).uploads.length, 1, 'a multipart upload was in progress');
      upload.request.destroy();
      let status = await statusOf(id);
      for (let i = 0; i < 100 && status !== 'queued'; i++) {
        await sleep(50);
        status = await statusOf(id);
      }
      assert.equal(status, 'queued');
      assert.deepEqual(await place.contents(), { objects: [], uploads: [] });
    });
  });
});
