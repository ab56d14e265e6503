// One contract, every store: the same suite runs against the local folder and against a real S3 server
// (OpenStack Swift + s3api, see test/helpers/s3.ts). Data is big enough (12 MiB with 5 MiB parts) that the
// S3 store really goes through multipart uploads.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.js';
import type { BlobStore, PendingUpload } from '../../src/repositories/blob/blob-store.js';
import { LocalBlobStore } from '../../src/repositories/blob/local-blob-store.js';
import { S3BlobStore } from '../../src/repositories/blob/s3-blob-store.js';
import { createTestBucket, s3SkipReason, type TestBucket } from '../helpers/s3.js';

const MiB = 1024 * 1024;

interface StoreTarget {
  name: string;
  skipReason: string | null;
  open(): Promise<{ store: BlobStore; deadStore: BlobStore; close: () => Promise<void> }>;
}

const targets: StoreTarget[] = [
  {
    name: 'local folder',
    skipReason: null,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'blobs-'));
      const store = new LocalBlobStore(dir, { nodeId: 'node-a' });
      await store.init();
      return {
        store,
        deadStore: new LocalBlobStore(join(dir, 'missing', 'folder')),
        close: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    // blob.directIo: the same contract when upload data is written with O_DIRECT (block-file.ts).
    name: 'local folder, direct I/O',
    skipReason: null,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'blobs-'));
      const store = new LocalBlobStore(dir, { nodeId: 'node-a', directIo: true });
      await store.init();
      return {
        store,
        deadStore: new LocalBlobStore(join(dir, 'missing', 'folder'), { directIo: true }),
        close: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'S3 (Swift s3api)',
    skipReason: s3SkipReason(),
    async open() {
      const bucket: TestBucket = await createTestBucket();
      // Small copy limits so that the multipart copy (UploadPartCopy) runs on 12 MiB.
      const store = new S3BlobStore(bucket.settings, { singleCopyMaxBytes: 6 * MiB, copyPartBytes: 5 * MiB });
      await store.init();
      // Nothing listens on port 9 of loopback (discard; not served here).
      const deadStore = new S3BlobStore({ ...bucket.settings, endpoint: 'http://127.0.0.1:9' });
      return {
        store,
        deadStore,
        close: async () => {
          await store.close();
          await deadStore.close();
          await bucket.remove();
        },
      };
    },
  },
];

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The data as a stream of 1 MiB chunks, as a client would send it. */
function chunked(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += MiB) yield data.subarray(i, i + MiB);
    })(),
  );
}

const hex = (algo: string, data: Buffer) => createHash(algo).update(data).digest('hex');

for (const target of targets) {
  describe(`blob store contract: ${target.name}`, { skip: target.skipReason ?? false }, () => {
    let store: BlobStore;
    let deadStore: BlobStore;
    let close: () => Promise<void>;
    const data = randomBytes(12 * MiB + 123);

    before(async () => {
      ({ store, deadStore, close } = await target.open());
    });
    after(() => close?.());

    const keys = async () => (await collect(store.list())).map((b) => b.key).sort();
    const pending = async () => collect(store.listPending());

    it('stores streamed data with its size, MD5 and SHA-512; reads it whole and by range; copies; deletes', async () => {
      const stored = await store.put(chunked(data), { maxBytes: 100 * MiB, keyPrefix: 'img-abcdefgh' });
      assert.equal(stored.size, data.length);
      assert.equal(stored.md5, hex('md5', data));
      assert.equal(stored.sha512, hex('sha512', data));
      assert.match(stored.key, /^img-abcdefgh-[0-9a-f-]{36}$/);
      assert.ok((await readAll(await store.get(stored.key))).equals(data));
      const start = 5 * MiB - 10;
      const end = 10 * MiB + 10;
      assert.ok(
        (await readAll(await store.get(stored.key, { start, end }))).equals(data.subarray(start, end + 1)),
      );
      assert.ok(
        (await readAll(await store.get(stored.key, { start: 0, end: 0 }))).equals(data.subarray(0, 1)),
      );

      const copy = await store.copy(stored.key, 'copy');
      assert.notEqual(copy, stored.key);
      assert.ok((await readAll(await store.get(copy))).equals(data));
      assert.deepEqual(await keys(), [copy, stored.key].sort());

      await store.delete(stored.key);
      await store.delete(copy);
      await store.delete(copy); // deleting twice is fine
      await assert.rejects(store.get(stored.key));
      assert.deepEqual(await keys(), []);
      assert.deepEqual(await pending(), []);
    });

    it('stores empty and tiny data', async () => {
      for (const sample of [Buffer.alloc(0), Buffer.from('x')]) {
        const stored = await store.put(Readable.from([sample]), { maxBytes: 10, keyPrefix: 'img-tinytiny' });
        assert.equal(stored.size, sample.length);
        assert.equal(stored.md5, hex('md5', sample));
        assert.ok((await readAll(await store.get(stored.key))).equals(sample));
        await store.delete(stored.key);
      }
    });

    it('refuses data past the limit (after several parts) and leaves no object and no pending upload', async () => {
      await assert.rejects(
        store.put(chunked(data), { maxBytes: 11 * MiB, keyPrefix: 'img-toolarge' }),
        (err: unknown) => err instanceof DomainError && err.code === 'PayloadTooLarge',
      );
      assert.deepEqual(await keys(), []);
      assert.deepEqual(await pending(), []);
    });

    it('leaves no object and no pending upload when the client goes away half-way', async () => {
      const source = new PassThrough();
      const put = store.put(source, { maxBytes: 100 * MiB, keyPrefix: 'img-cutcutcu' });
      for (let i = 0; i < 11; i++) source.write(data.subarray(i * MiB, (i + 1) * MiB));
      // Wait until the store has really started on it (S3: a multipart upload exists).
      for (let i = 0; i < 100 && (await pending()).length === 0; i++) await sleep(50);
      assert.equal((await pending()).length, 1, 'the upload in progress is listed as pending');
      source.destroy(new Error('connection reset'));
      await assert.rejects(put);
      assert.deepEqual(await keys(), []);
      assert.deepEqual(await pending(), []);
    });

    it('lists an upload in progress as pending, with its key; aborting it discards its data', async () => {
      const source = new PassThrough();
      const put = store.put(source, { maxBytes: 100 * MiB, keyPrefix: 'img-pendingx' });
      put.catch(() => undefined);
      for (let i = 0; i < 6; i++) source.write(data.subarray(i * MiB, (i + 1) * MiB));
      let found: PendingUpload[] = [];
      for (let i = 0; i < 100 && found.length === 0; i++) {
        found = await pending();
        if (found.length === 0) await sleep(50);
      }
      assert.equal(found.length, 1);
      const [upload] = found as [PendingUpload];
      assert.match(upload.key, /^img-pendingx-/);
      assert.ok(Date.now() - upload.since.getTime() < 60_000);
      await store.abortPending(upload);
      await store.abortPending(upload); // twice is fine (two nodes sweeping at once)
      assert.deepEqual(await pending(), []);
      source.destroy(new Error('gone'));
      await assert.rejects(put);
      assert.deepEqual(await keys(), []);
    });

    it('answers ping when reachable; a store that is not reachable fails it', async () => {
      await store.ping();
      await assert.rejects(deadStore.ping());
    });

    it('never lets a key escape its place', async () => {
      await assert.rejects(store.get('../etc/passwd'), /invalid blob key/);
      await assert.rejects(store.delete('a/../../b'), /invalid blob key/);
      await assert.rejects(store.copy('../x', 'copy'), /invalid blob key/);
    });
  });
}
