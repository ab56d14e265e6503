// The download stream reuses its buffers only when it can prove the reader is done with them. Each case
// reads a file through real HTTP on loopback (Fastify's reply.send, as the Glance download does) or a plain
// consumer, and compares every byte: a reuse that came too early would change bytes still on their way.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { get, OutgoingMessage, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { ChunkPassThrough, RecyclingReadStream } from './recycling-read-stream.js';

const CHUNK = 256 * 1024;
const SIZE = 24 * 1024 * 1024 + 12345; // a short last chunk too

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Reads the body slowly (a pause every few chunks) so that the server's socket backs up. */
function slowBody(url: string): Promise<{ status: number; sha: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    get(url, (res: IncomingMessage) => {
      const hash = createHash('sha256');
      let bytes = 0;
      let chunks = 0;
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
        if (++chunks % 8 === 0) {
          res.pause();
          setTimeout(() => res.resume(), 2);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, sha: hash.digest('hex'), bytes }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('RecyclingReadStream', () => {
  let dir: string;
  let path: string;
  let data: Buffer;
  let app: FastifyInstance;
  let base: string;
  const streams: Record<string, RecyclingReadStream> = {};
  let firstChunk: Buffer | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recycling-'));
    path = join(dir, 'blob');
    data = randomBytes(SIZE);
    writeFileSync(path, data);
    app = Fastify();
    const route = (name: string, wrap: (s: RecyclingReadStream) => Readable) =>
      app.get(`/${name}`, async (_request, reply) => {
        const stream = new RecyclingReadStream(path, CHUNK);
        streams[name] = stream;
        return reply.type('application/octet-stream').send(wrap(stream));
      });
    route('direct', (s) => s);
    // As the download sends it: a Content-Length, no chunked framing.
    app.get('/sized', async (_request, reply) => {
      const stream = new RecyclingReadStream(path, CHUNK);
      streams.sized = stream;
      return reply
        .header('content-length', SIZE)
        .type('application/octet-stream')
        .send(stream.pipe(new ChunkPassThrough()));
    });
    // A listener that keeps the first chunk, then leaves, before the pipe: that chunk must stay as it was.
    app.get('/sniffed', async (_request, reply) => {
      const stream = new RecyclingReadStream(path, CHUNK);
      streams.sniffed = stream;
      stream.once('data', (chunk: Buffer) => (firstChunk = chunk));
      return reply.type('application/octet-stream').send(stream.pipe(new ChunkPassThrough()));
    });
    // As services/images/data.ts countedOut does: the source goes when the counter goes.
    route('counted', (s) => {
      const counter = new ChunkPassThrough();
      counter.on('close', () => s.destroy());
      return s.pipe(counter);
    });
    // A PassThrough queues chunks the stream cannot see: it must never reuse a buffer behind one.
    route('unknown', (s) => s.pipe(new PassThrough()));
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ['direct', 'counted', 'sized']) {
    it(`reuses its buffers when piped to an HTTP response (${name}), every byte intact`, async () => {
      const body = await slowBody(`${base}/${name}`);
      assert.equal(body.status, 200);
      assert.equal(body.bytes, SIZE);
      assert.equal(body.sha, sha(data));
      const stats = (streams[name] as RecyclingReadStream).stats;
      // 97 reads in all (the last one short, into a buffer of its own): most go into a buffer used before.
      assert.equal(stats.reused + stats.allocated, 97);
      assert.ok(stats.reused >= 70, `reused ${stats.reused}, allocated ${stats.allocated}`);
    });
  }

  it('never reuses a buffer behind a consumer it cannot see into (a PassThrough), every byte intact', async () => {
    const body = await slowBody(`${base}/unknown`);
    assert.equal(body.sha, sha(data));
    assert.equal((streams.unknown as RecyclingReadStream).stats.reused, 0);
  });

  it('never reuses a buffer once a listener other than the pipe took data, even one that has left', async () => {
    const body = await slowBody(`${base}/sniffed`);
    assert.equal(body.sha, sha(data));
    assert.deepEqual(firstChunk, data.subarray(0, CHUNK));
    assert.equal((streams.sniffed as RecyclingReadStream).stats.reused, 0);
  });

  it('never reuses a buffer after an unpipe (Readable tells the destination, not the source)', async () => {
    const stream = new RecyclingReadStream(path, CHUNK);
    const response = new OutgoingMessage();
    stream.pipe(response);
    stream.unpipe(response);
    const kept: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => kept.push(chunk));
    stream.resume(); // unpipe paused it
    await new Promise((resolve) => stream.on('end', resolve));
    assert.equal(sha(Buffer.concat(kept)), sha(data));
    assert.equal(stream.stats.reused, 0);
  });

  it('closes its file when the client goes away mid-download, after any read in flight', async () => {
    // This process's descriptors open on the blob file (sockets come and go with keep-alive).
    const openFiles = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === path;
        } catch {
          return false; // closed since the listing
        }
      }).length;
    const before = openFiles();
    await new Promise<void>((resolve, reject) => {
      get(`${base}/counted`, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > 1024 * 1024) res.destroy();
        });
        res.on('close', () => resolve());
      }).on('error', reject);
    });
    const stream = streams.counted as RecyclingReadStream;
    assert.ok(stream.stats.allocated > 0, 'the download had started reading');
    if (!stream.closed) await new Promise((resolve) => stream.on('close', resolve));
    for (let i = 0; i < 50 && openFiles() > before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(before, 0);
    assert.equal(openFiles(), 0);
  });

  it('never reuses a buffer for a reader that keeps its chunks (async iteration)', async () => {
    const stream = new RecyclingReadStream(path, CHUNK);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    assert.equal(sha(Buffer.concat(chunks)), sha(data));
    assert.equal(stream.stats.reused, 0);
    assert.equal(stream.stats.allocated, Math.ceil(SIZE / CHUNK));
  });

  it('never reuses a buffer when something else listens for data beside the pipe', async () => {
    const stream = new RecyclingReadStream(path, CHUNK);
    const kept: Buffer[] = [];
    const sink = new PassThrough();
    sink.resume();
    stream.on('data', (chunk: Buffer) => kept.push(chunk));
    stream.pipe(new ChunkPassThrough()).pipe(sink);
    await new Promise((resolve) => stream.on('end', resolve));
    assert.equal(sha(Buffer.concat(kept)), sha(data));
    assert.equal(stream.stats.reused, 0);
  });

  it('reads an inclusive range, across chunk boundaries', async () => {
    const start = CHUNK - 10;
    const end = 3 * CHUNK + 7;
    const chunks: Buffer[] = [];
    for await (const chunk of new RecyclingReadStream(path, CHUNK, { start, end }))
      chunks.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(chunks), data.subarray(start, end + 1));
  });

  it('fails with the open error when the file is missing', async () => {
    const stream = new RecyclingReadStream(join(dir, 'missing'), CHUNK);
    await assert.rejects(async () => {
      for await (const _ of stream) void _;
    }, /ENOENT/);
  });
});
