// Image data over the image API, on every database: upload (with and without Content-Length, chunked),
// download with Content-MD5, byte ranges, cut-off and oversized uploads (the image stays queued and no data
// is left in the blob folder), deactivate/reactivate.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { body, createImage, download, getJson, uploadData } from './helpers/glance.js';

/** The data files in the server's blob folder (and any temporary file left behind). */
function blobFiles(t: TestServer): string[] {
  const dir = t.config.blob.dir || join(t.config.dataDir, 'images');
  if (!existsSync(dir)) return [];
  const tmp = join(dir, '.tmp');
  const tmpFiles = existsSync(tmp) ? readdirSync(tmp).map((f) => `.tmp/${f}`) : [];
  return [...readdirSync(dir).filter((f) => f !== '.tmp'), ...tmpFiles];
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

async function statusOf(t: TestServer, token: string, id: string): Promise<string> {
  return body(await getJson(t, token, `/v2/images/${id}`)).status as string;
}

/** The image's stored row, as the database holds it. */
async function storedRow(t: TestServer, id: string): Promise<unknown> {
  return t.server.db.kysely.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function waitForStatus(t: TestServer, token: string, id: string, status: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await statusOf(t, token, id)) === status) return;
    await sleep(50);
  }
  assert.fail(`image ${id} did not become ${status}`);
}

/**
 * Starts an upload, cuts the connection after `bytes` once data is landing, and checks the image went back to
 * queued with no data left in the blob folder, and that it then takes a whole upload.
 */
async function cutOffUploadLeavesNothing(t: TestServer, token: string, bytes: number): Promise<void> {
  const id = (await createImage(t, token)).id;
  const before = blobFiles(t);
  const req = httpRequest(`${t.url}/v2/images/${id}/file`, {
    method: 'PUT',
    headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
  });
  req.on('error', () => {});
  req.write(randomBytes(bytes));
  // The upload is under way: the image is saving and its data is landing in a temporary file.
  await waitForStatus(t, token, id, 'saving');
  for (let i = 0; i < 100 && blobFiles(t).length === before.length; i++) await sleep(20);
  assert.ok(blobFiles(t).length > before.length, 'partial data is being written');
  // Cut the connection mid-body.
  req.destroy();
  await waitForStatus(t, token, id, 'queued');
  // The temporary file goes once the store notices the abort.
  for (let i = 0; i < 50 && blobFiles(t).length !== before.length; i++) await sleep(50);
  assert.deepEqual(blobFiles(t), before);
  assert.equal(body(await getJson(t, token, `/v2/images/${id}`)).size, null);
  // And the image still takes a proper upload afterwards.
  assert.equal((await uploadData(t, token, id, Buffer.from('whole'))).status, 204);
  assert.equal(await statusOf(t, token, id), 'active');
}

forEachDatabase((target) => {
  describe(`image data on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let token: string;

    before(async () => {
      t = await startTestServer({ target });
      token = await t.token(await t.createAccount());
    });
    after(async () => t?.close());

    it('round-trips data with size, checksums and Content-MD5; 204 before any data', async () => {
      const image = await createImage(t, token);
      const id = image.id;
      const empty = await download(t, token, id);
      assert.equal(empty.status, 204);
      assert.equal(empty.data.length, 0);

      const data = randomBytes(1024 * 1024 + 17);
      const put = await uploadData(t, token, id, data);
      assert.equal(put.status, 204, put.text);
      const shown = body(await getJson(t, token, `/v2/images/${id}`));
      assert.equal(shown.status, 'active');
      assert.equal(shown.size, data.length);
      assert.equal(shown.checksum, md5(data));
      assert.equal(shown.os_hash_algo, 'sha512');
      assert.equal(shown.os_hash_value, sha512(data));

      const got = await download(t, token, id);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-type'), 'application/octet-stream');
      assert.equal(got.headers.get('content-md5'), md5(data));
      assert.equal(got.headers.get('content-length'), String(data.length));
      assert.ok(got.data.equals(data));

      // Only queued images take data.
      assert.equal((await uploadData(t, token, id, Buffer.from('again'))).status, 409);
    });

    it('accepts a chunked upload (no Content-Length), as Tempest sends it', async () => {
      const id = (await createImage(t, token)).id;
      const parts = [randomBytes(70_000), randomBytes(1), randomBytes(33_333)];
      let sentHeaders: Record<string, unknown> = {};
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          `${t.url}/v2/images/${id}/file`,
          {
            method: 'PUT',
            headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        for (const part of parts) req.write(part);
        sentHeaders = req.getHeaders();
        req.end();
      });
      assert.equal(sentHeaders['content-length'], undefined);
      assert.equal(status, 204);
      const data = Buffer.concat(parts);
      const shown = body(await getJson(t, token, `/v2/images/${id}`));
      assert.equal(shown.size, data.length);
      assert.equal(shown.checksum, md5(data));
      assert.ok((await download(t, token, id)).data.equals(data));
    });

    it('serves byte ranges with 206 and Content-Range; several ranges 400, beyond the end 416', async () => {
      const id = (await createImage(t, token)).id;
      const data = Buffer.from('0123456789abcdefghij');
      assert.equal((await uploadData(t, token, id, data)).status, 204);
      const cases: Array<[string, string, string]> = [
        ['bytes=0-9', '0123456789', 'bytes 0-9/20'],
        ['bytes=15-', 'fghij', 'bytes 15-19/20'],
        ['bytes=-3', 'hij', 'bytes 17-19/20'],
        ['bytes=18-100', 'ij', 'bytes 18-19/20'],
      ];
      for (const [range, expected, contentRange] of cases) {
        const res = await download(t, token, id, { range });
        assert.equal(res.status, 206, range);
        assert.equal(res.data.toString(), expected, range);
        assert.equal(res.headers.get('content-range'), contentRange, range);
        assert.equal(res.headers.get('content-length'), String(expected.length), range);
      }
      assert.equal((await download(t, token, id, { range: 'bytes=0-1,4-5' })).status, 400);
      const beyond = await download(t, token, id, { range: 'bytes=20-' });
      assert.equal(beyond.status, 416);
      assert.equal(beyond.headers.get('content-range'), 'bytes */20');
    });

    it('refuses other Content-Types (415), missing formats (400) and a wrong announced size (400)', async () => {
      const id = (await createImage(t, token)).id;
      const wrongType = await t.request('PUT', `/v2/images/${id}/file`, {
        token,
        body: 'data',
        headers: { 'content-type': 'text/plain' },
      });
      assert.equal(wrongType.status, 415);
      const noFormats = await t.request('POST', '/v2/images', { token, body: {} });
      assert.equal((await uploadData(t, token, body(noFormats).id as string, Buffer.from('x'))).status, 400);

      const before = blobFiles(t);
      const rowBefore = await storedRow(t, id);
      await sleep(5); // the stored times have milliseconds: a rewrite of updated_at would show
      const wrongSize = await uploadData(t, token, id, Buffer.from('12345'), {
        'x-openstack-image-size': '6',
      });
      assert.equal(wrongSize.status, 400);
      assert.equal(await statusOf(t, token, id), 'queued');
      assert.deepEqual(blobFiles(t), before);
      // A refused upload leaves the image as it was, updated_at included (the fuzzer's rule).
      assert.deepEqual(await storedRow(t, id), rowBefore);
      const right = await uploadData(t, token, id, Buffer.from('12345'), { 'x-openstack-image-size': '5' });
      assert.equal(right.status, 204);
      assert.equal(body(await getJson(t, token, `/v2/images/${id}`)).size, 5);
    });

    it('a cut-off upload leaves the image queued and no data in the blob folder', async () => {
      await cutOffUploadLeavesNothing(t, token, 256 * 1024);
    });

    it('deactivate blocks downloads (403) until reactivate; only active images deactivate', async () => {
      const id = (await createImage(t, token)).id;
      assert.equal((await t.request('POST', `/v2/images/${id}/actions/deactivate`, { token })).status, 403);
      assert.equal((await uploadData(t, token, id, Buffer.from('payload'))).status, 204);
      assert.equal((await t.request('POST', `/v2/images/${id}/actions/deactivate`, { token })).status, 204);
      assert.equal(await statusOf(t, token, id), 'deactivated');
      assert.equal((await download(t, token, id)).status, 403);
      assert.equal((await t.request('POST', `/v2/images/${id}/actions/reactivate`, { token })).status, 204);
      assert.equal(await statusOf(t, token, id), 'active');
      const got = await download(t, token, id);
      assert.equal(got.status, 200);
      assert.equal(got.data.toString(), 'payload');
      const withBody = await t.request('POST', `/v2/images/${id}/actions/deactivate`, { token, body: {} });
      assert.equal(withBody.status, 400);
    });
  });

  // blob.directIo: the data goes to the file with O_DIRECT from the hash blocks (block-file.ts); the same
  // checksums, the same data back, and a cut-off upload (with direct writes in flight) still leaves nothing.
  describe(`image data with blob.directIo on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let token: string;

    before(async () => {
      t = await startTestServer({ target, overrides: { 'blob.directIo': 'true' } });
      token = await t.token(await t.createAccount());
    });
    after(async () => t?.close());

    it("round-trips 13 MiB (several blocks, an odd tail) with the client's checksums", async () => {
      assert.equal(t.config.blob.directIo, true);
      const id = (await createImage(t, token)).id;
      const data = randomBytes(13 * 1024 * 1024 + 4097);
      assert.equal((await uploadData(t, token, id, data)).status, 204);
      const shown = body(await getJson(t, token, `/v2/images/${id}`));
      assert.equal(shown.status, 'active');
      assert.equal(shown.size, data.length);
      assert.equal(shown.checksum, md5(data));
      assert.equal(shown.os_hash_value, sha512(data));
      assert.ok((await download(t, token, id)).data.equals(data));
    });

    it('a cut-off upload after several blocks leaves the image queued and no data', async () => {
      await cutOffUploadLeavesNothing(t, token, 10 * 1024 * 1024);
    });
  });

  describe(`image data size limit on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let token: string;

    before(async () => {
      t = await startTestServer({ target, overrides: { 'images.maxUploadBytes': '4096' } });
      token = await t.token(await t.createAccount());
    });
    after(async () => t?.close());

    it('refuses data over images.maxUploadBytes with 413, leaving the image queued and no data', async () => {
      const id = (await createImage(t, token)).id;
      const before = blobFiles(t);
      const res = await uploadData(t, token, id, randomBytes(4097));
      assert.equal(res.status, 413);
      assert.equal(await statusOf(t, token, id), 'queued');
      assert.deepEqual(blobFiles(t), before);
      assert.equal((await uploadData(t, token, id, randomBytes(4096))).status, 204);
      assert.equal(body(await getJson(t, token, `/v2/images/${id}`)).size, 4096);
    });
  });
});
