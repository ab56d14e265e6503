// ParallelHasher against node:crypto on the event loop: the same MD5 and SHA-512 for empty data, less than one
// block (hashed inline), exactly one block, and many blocks in odd chunk sizes; several uploads at once keep
// their hashes apart; a HashingLimiter over 20 MiB gives the same result() as hashing the data directly.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { HashingLimiter } from './blob-rules.js';
import { ParallelHasher, hashThreadsRunning, setHashThreadIdleStopMs } from './parallel-hash.js';

const MiB = 1024 * 1024;
const direct = (data: Buffer) => ({
  md5: createHash('md5').update(data).digest('hex'),
  sha512: createHash('sha512').update(data).digest('hex'),
});

async function hashInChunks(data: Buffer, chunk: number): Promise<{ md5: string; sha512: string }> {
  const hasher = new ParallelHasher();
  for (let i = 0; i < data.length; i += chunk) await hasher.update(data.subarray(i, i + chunk));
  return hasher.digest();
}

describe('ParallelHasher', () => {
  // Blocks are 4 MiB; 29 MiB + 1 passes eight blocks through three slots, so slots are reused.
  for (const size of [0, 1, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 7 * MiB + 12345, 29 * MiB + 1]) {
    it(`hashes ${size} bytes like node:crypto`, async () => {
      const data = randomBytes(size);
      assert.deepEqual(await hashInChunks(data, 65_521), direct(data));
    });
  }

  it('keeps concurrent uploads apart', async () => {
    const inputs = [3, 5, 2].map((n) => randomBytes(n * MiB + 7));
    const results = await Promise.all(inputs.map((data, i) => hashInChunks(data, 16_384 * (i + 1))));
    results.forEach((r, i) => assert.deepEqual(r, direct(inputs[i]!)));
  });

  // Eight uploads at once queue many blocks on both threads, so one thread runs several blocks ahead of the
  // other: a block reused before both have hashed it (say, on the first acknowledgement) changes a digest.
  // Whole-block chunks refill a returned block at once. (Freeing a block on the first acknowledgement
  // failed this test in 3 runs of 3; a single upload never caught it.)
  it('never reuses a block before both threads have hashed it (eight uploads at once, four rounds)', async () => {
    const inputs = Array.from({ length: 8 }, () => randomBytes(29 * MiB + 3));
    const expected = inputs.map(direct);
    for (let round = 0; round < 4; round++) {
      const results = await Promise.all(inputs.map((data) => hashInChunks(data, 4 * MiB)));
      results.forEach((r, i) => assert.deepEqual(r, expected[i]));
    }
  });

  it('ends its threads once idle, and starts new ones for the next upload', async () => {
    setHashThreadIdleStopMs(100);
    try {
      const data = randomBytes(9 * MiB);
      assert.deepEqual(await hashInChunks(data, MiB), direct(data));
      assert.equal(hashThreadsRunning(), true);
      // 100 ms idle; a loaded machine may fire the timer late, so wait up to 10 s.
      const deadline = Date.now() + 10_000;
      while (hashThreadsRunning() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(hashThreadsRunning(), false);
      assert.deepEqual(await hashInChunks(data, MiB), direct(data));
      assert.equal(hashThreadsRunning(), true);
    } finally {
      setHashThreadIdleStopMs(30_000);
    }
  });

  it('HashingLimiter streams 20 MiB through with the digests of the data', async () => {
    const data = randomBytes(20 * MiB);
    const limiter = new HashingLimiter(21 * MiB);
    let passed = 0;
    const chunks = Array.from({ length: Math.ceil(data.length / 65_536) }, (_, i) =>
      data.subarray(i * 65_536, (i + 1) * 65_536),
    );
    await pipeline(
      Readable.from(chunks),
      limiter,
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          passed += chunk.length;
          cb();
        },
      }),
    );
    assert.equal(passed, data.length);
    assert.deepEqual(limiter.result('k'), { key: 'k', size: data.length, ...direct(data) });
  });

  it('HashingLimiter refuses more than maxBytes', async () => {
    const limiter = new HashingLimiter(3 * MiB);
    await assert.rejects(
      pipeline(
        Readable.from([randomBytes(2 * MiB), randomBytes(2 * MiB)]),
        limiter,
        new Writable({ write: (_c, _e, cb) => cb() }),
      ),
      { code: 'PayloadTooLarge' },
    );
  });
});
