import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../../domain/errors.js';
import { LocalBlobStore } from './local-blob-store.js';

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk;
  return out;
}

describe('LocalBlobStore', () => {
  let dir: string;
  let store: LocalBlobStore;
  const blobs = () => readdirSync(dir).filter((f) => !f.startsWith('.'));
  const temps = () => readdirSync(join(dir, '.tmp'));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'blobs-'));
    store = new LocalBlobStore(dir);
    await store.init();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stores streamed data with its size, MD5 and SHA-512, and reads it back whole or by range', async () => {
    const data = 'hello, image data';
    const stored = await store.put(Readable.from([Buffer.from('hello, '), Buffer.from('image data')]), {
      maxBytes: 100,
      keyPrefix: 'img-abcdefgh',
    });
    assert.equal(stored.size, data.length);
    assert.equal(stored.md5, createHash('md5').update(data).digest('hex'));
    assert.equal(stored.sha512, createHash('sha512').update(data).digest('hex'));
    assert.ok(stored.key.startsWith('img-abcdefgh-'));
    assert.equal(await text(await store.get(stored.key)), data);
    assert.equal(await text(await store.get(stored.key, { start: 7, end: 11 })), 'image');
    const copy = await store.copy(stored.key, 'copy');
    assert.notEqual(copy, stored.key);
    assert.equal(await text(await store.get(copy)), data);
    await store.delete(stored.key);
    await store.delete(copy);
    await store.delete(copy); // deleting twice is fine
    await assert.rejects(store.get(stored.key));
    assert.deepEqual(blobs(), []);
  });

  it('refuses data past the limit and leaves nothing behind', async () => {
    await assert.rejects(
      store.put(Readable.from([Buffer.alloc(60), Buffer.alloc(60)]), { maxBytes: 100, keyPrefix: 'big' }),
      (err: unknown) => err instanceof DomainError && err.code === 'PayloadTooLarge',
    );
    assert.deepEqual(blobs(), []);
    assert.deepEqual(temps(), []);
  });

  it('leaves nothing behind when the source stream fails midway', async () => {
    const broken = new Readable({
      read() {
        this.push(Buffer.alloc(10));
        this.destroy(new Error('connection reset'));
      },
    });
    await assert.rejects(store.put(broken, { maxBytes: 100, keyPrefix: 'cut' }), /connection reset/);
    assert.deepEqual(blobs(), []);
    assert.deepEqual(temps(), []);
  });

  it('removes temporary files a crash left behind when it starts', async () => {
    writeFileSync(join(dir, '.tmp', 'half-written'), 'partial');
    await new LocalBlobStore(dir).init();
    assert.deepEqual(temps(), []);
  });

  it('never lets a key escape its folder', async () => {
    await assert.rejects(store.get('../etc/passwd'), /invalid blob key/);
  });
});
