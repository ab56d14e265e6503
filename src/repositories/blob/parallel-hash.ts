// MD5 and SHA-512 of image data, each on its own worker thread, while the data flows on to the store.
//
// Hashing both on the event loop, one after the other, capped an upload at about half the speed of one hash
// (bench/RESULTS.md). Here the data is copied once into 1 MiB shared blocks; a full block goes to both
// threads at once (no further copy: the block is a SharedArrayBuffer) and returns to the free list when both
// have hashed it. At most MAX_BLOCKS_IN_FLIGHT blocks per upload are out: beyond that the stream stops taking
// data until a block returns (back-pressure), so memory per upload stays at a few MiB whatever the size. An
// upload smaller than one block never leaves the event loop (a message round trip would cost more).
//
// The two threads are shared by every upload of the process, started on first use and unref'd (they never
// keep the process alive); each keeps one hash per upload ID.
import { createHash, randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';

const BLOCK_BYTES = 1024 * 1024;
const MAX_BLOCKS_IN_FLIGHT = 4;

type Algorithm = 'md5' | 'sha512';
const ALGORITHMS: readonly Algorithm[] = ['md5', 'sha512'];

/** The thread's whole program: one hash per upload ID; `u` updates (and acknowledges), `e` ends, `x` drops. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.t === 'u') {
    let h = hashes.get(m.id);
    if (!h) { h = createHash(workerData); hashes.set(m.id, h); }
    h.update(new Uint8Array(m.block, 0, m.length));
    parentPort.postMessage({ t: 'ack', id: m.id, seq: m.seq });
  } else if (m.t === 'e') {
    const h = hashes.get(m.id) || createHash(workerData);
    hashes.delete(m.id);
    parentPort.postMessage({ t: 'digest', id: m.id, digest: h.digest('hex') });
  } else if (m.t === 'x') {
    hashes.delete(m.id);
  }
});
`;

type Reply =
  { t: 'ack'; id: string; seq: number } | { t: 'digest'; id: string; digest: string } | { t: 'failed' };

interface HashThread {
  worker: Worker;
  listeners: Map<string, (reply: Reply) => void>;
}

let threads: Record<Algorithm, HashThread> | undefined;
/** Uploads using the threads now: while any is, they keep the process alive (else they are unref'd). */
let users = 0;

function hashThreads(): Record<Algorithm, HashThread> {
  if (threads) return threads;
  const start = (algorithm: Algorithm): HashThread => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: algorithm });
    worker.unref();
    const thread: HashThread = { worker, listeners: new Map() };
    worker.on('message', (reply: Reply) => {
      if (reply.t !== 'failed') thread.listeners.get(reply.id)?.(reply);
    });
    // A thread that fails takes its uploads with it (they fail); the next upload starts fresh threads.
    const stopped = () => {
      if (threads?.[algorithm] === thread) threads = undefined;
      for (const listener of [...thread.listeners.values()]) listener({ t: 'failed' });
      thread.listeners.clear();
    };
    worker.on('error', stopped);
    worker.on('exit', stopped);
    return thread;
  };
  threads = { md5: start('md5'), sha512: start('sha512') };
  return threads;
}

function use(t: Record<Algorithm, HashThread>, delta: 1 | -1): void {
  users += delta;
  for (const algorithm of ALGORITHMS) {
    if (users > 0) t[algorithm].worker.ref();
    else t[algorithm].worker.unref();
  }
}

/** One upload's hashes: `update` as data arrives (await it for back-pressure), then `digest`. */
export class ParallelHasher {
  private readonly id = randomUUID();
  private block = new SharedArrayBuffer(BLOCK_BYTES);
  private filled = 0;
  private readonly free: SharedArrayBuffer[] = [];
  /** Blocks out, by sequence number (a SharedArrayBuffer comes back from a thread as another object). */
  private readonly pending = new Map<number, { block: SharedArrayBuffer; threadsLeft: number }>();
  private seq = 0;
  private waiting: (() => void) | undefined;
  private threads: Record<Algorithm, HashThread> | undefined;
  private digests: Partial<Record<Algorithm, string>> = {};
  private digestWaiters: Array<() => void> = [];
  private broken: Error | undefined;
  private released = false;

  /** Takes `chunk` (copied into the current block); resolves at once unless too many blocks are out. */
  update(chunk: Uint8Array): Promise<void> | undefined {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, BLOCK_BYTES - this.filled);
      new Uint8Array(this.block, this.filled, n).set(chunk.subarray(offset, offset + n));
      this.filled += n;
      offset += n;
      if (this.filled === BLOCK_BYTES) this.send();
    }
    if (this.broken) return Promise.reject(this.broken);
    if (this.pending.size < MAX_BLOCKS_IN_FLIGHT) return undefined;
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Both hex digests of everything passed to `update`. */
  async digest(): Promise<{ md5: string; sha512: string }> {
    if (!this.threads) {
      // Never sent a block: all of it is in the current block, hash it here.
      const data = new Uint8Array(this.block, 0, this.filled);
      return {
        md5: createHash('md5').update(data).digest('hex'),
        sha512: createHash('sha512').update(data).digest('hex'),
      };
    }
    if (this.filled > 0) this.send();
    const threads = this.threads;
    await new Promise<void>((resolve) => {
      this.digestWaiters.push(resolve);
      for (const algorithm of ALGORITHMS) threads[algorithm].worker.postMessage({ t: 'e', id: this.id });
    });
    this.release();
    const { md5, sha512 } = this.digests;
    if (this.broken || !md5 || !sha512) throw this.broken ?? new Error('hash thread stopped');
    return { md5, sha512 };
  }

  /** Drops this upload's state in the threads (aborted upload). */
  abort(): void {
    if (!this.threads) return;
    for (const algorithm of ALGORITHMS) this.threads[algorithm].worker.postMessage({ t: 'x', id: this.id });
    this.release();
  }

  private release(): void {
    if (!this.threads || this.released) return;
    this.released = true;
    for (const algorithm of ALGORITHMS) this.threads[algorithm].listeners.delete(this.id);
    use(this.threads, -1);
  }

  private attach(): Record<Algorithm, HashThread> {
    if (this.threads) return this.threads;
    const threads = hashThreads();
    for (const algorithm of ALGORITHMS) {
      threads[algorithm].listeners.set(this.id, (reply) => this.onReply(algorithm, reply));
    }
    use(threads, 1);
    this.threads = threads;
    return threads;
  }

  private onReply(algorithm: Algorithm, reply: Reply): void {
    if (reply.t === 'ack') {
      const out = this.pending.get(reply.seq);
      if (!out) return;
      if (--out.threadsLeft > 0) return;
      this.pending.delete(reply.seq);
      this.free.push(out.block);
      const resume = this.waiting;
      this.waiting = undefined;
      resume?.();
      return;
    }
    if (reply.t === 'failed') this.broken = new Error('hash thread stopped');
    else this.digests[algorithm] = reply.digest;
    if (this.broken || (this.digests.md5 && this.digests.sha512)) {
      for (const done of this.digestWaiters.splice(0)) done();
      const resume = this.waiting;
      this.waiting = undefined;
      resume?.();
    }
  }

  private send(): void {
    const threads = this.attach();
    const seq = this.seq++;
    const message = { t: 'u', id: this.id, seq, block: this.block, length: this.filled };
    this.pending.set(seq, { block: this.block, threadsLeft: ALGORITHMS.length });
    for (const algorithm of ALGORITHMS) threads[algorithm].worker.postMessage(message);
    this.block = this.free.pop() ?? new SharedArrayBuffer(BLOCK_BYTES);
    this.filled = 0;
  }
}
