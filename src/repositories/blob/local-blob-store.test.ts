// What only the local folder does; the behaviour every store shares is in test/blob/blob-store-contract.test.ts.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DirectIoProbe } from './block-file.js';
import { LocalBlobStore } from './local-blob-store.js';

describe('LocalBlobStore start-up clean-up', () => {
  let dir: string;
  const temps = () => readdirSync(join(dir, '.tmp')).sort();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'blobs-'));
    await new LocalBlobStore(dir, { nodeId: 'node-a' }).init();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("removes only this node's temporary files older than the stale-upload time", async () => {
    const old = new Date(Date.now() - 10 * 60_000);
    const write = (name: string, mtime?: Date) => {
      writeFileSync(join(dir, '.tmp', name), 'partial');
      if (mtime) utimesSync(join(dir, '.tmp', name), mtime, mtime);
    };
    write('img-aaaaaaaa-1.node-a', old); // this node's, from before a crash: removed
    write('img-aaaaaaaa-2.node-a'); // this node's, but recent: left for the sweep
    write('img-aaaaaaaa-3.node-b', old); // another node's: never touched here
    write('img-aaaaaaaa-4.node-b'); // another node's live upload
    await new LocalBlobStore(dir, { nodeId: 'Node-A', staleAfterMs: 5 * 60_000 }).init();
    assert.deepEqual(temps(), ['img-aaaaaaaa-2.node-a', 'img-aaaaaaaa-3.node-b', 'img-aaaaaaaa-4.node-b']);
  });
});

describe('LocalBlobStore upload writes', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'blobs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Uploads are written in batches of several chunks (one writev each, at most 1,024 chunks or 4 MiB): odd
  // chunk sizes, batches cut by the chunk count and by the byte count, and a last partial batch.
  for (const [label, chunkBytes, size] of [
    ['1,000-byte chunks (batches of 1,024 chunks)', 1000, 3 * 1024 * 1000 + 17],
    ['65,521-byte chunks (batches of about 4 MiB)', 65_521, 9 * 1024 * 1024 + 7],
  ] as const) {
    it(`stores ${label} byte for byte`, async () => {
      const store = new LocalBlobStore(dir, { nodeId: 'node-a' });
      await store.init();
      const data = randomBytes(size);
      const chunks = function* () {
        for (let i = 0; i < data.length; i += chunkBytes) yield data.subarray(i, i + chunkBytes);
      };
      const stored = await store.put(Readable.from(chunks()), { maxBytes: size, keyPrefix: 'img-batching' });
      assert.equal(stored.size, size);
      assert.equal(stored.md5, createHash('md5').update(data).digest('hex'));
      assert.ok(readFileSync(join(dir, stored.key)).equals(data));
      assert.deepEqual(readdirSync(join(dir, '.tmp')), []);
    });
  }
});

describe('LocalBlobStore upload writes with O_DIRECT (blob.directIo)', () => {
  const MiB = 1024 * 1024;
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'blobs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Whether this file system takes O_DIRECT at all (tmpfs on older kernels does not): the store then writes
  // through the page cache, which the tests above cover.
  const probe = new DirectIoProbe(tmpdir());
  const directHere = probe.available();
  probe.close();

  // Less than one block, exactly one, an odd tail (not a multiple of 4 KiB: written buffered), a tail of
  // whole 4 KiB units, and eight blocks through four slots (the unplaced first block's slot is replaced).
  for (const size of [1, 4 * MiB, 4 * MiB + 1, 9 * MiB + 3 * 4096, 29 * MiB + 4097]) {
    it(`stores ${size} bytes byte for byte, all but the first block and the odd tail written direct`, async () => {
      const store = new LocalBlobStore(dir, { nodeId: 'node-a', directIo: true });
      await store.init();
      try {
        const data = randomBytes(size);
        const chunks = function* () {
          for (let i = 0; i < data.length; i += 65_521) yield data.subarray(i, i + 65_521);
        };
        const stored = await store.put(Readable.from(chunks()), { maxBytes: size, keyPrefix: 'img-direct' });
        assert.equal(stored.size, size);
        assert.equal(stored.md5, createHash('md5').update(data).digest('hex'));
        assert.equal(stored.sha512, createHash('sha512').update(data).digest('hex'));
        assert.ok(readFileSync(join(dir, stored.key)).equals(data));
        assert.deepEqual(readdirSync(join(dir, '.tmp')), []); // the probe file is unlinked once open
        if (directHere) {
          const expected = size > 4 * MiB ? size - 4 * MiB - (size % 4096) : 0;
          assert.equal(store.directIoBytes(), expected);
        }
      } finally {
        await store.close();
      }
    });
  }
});
