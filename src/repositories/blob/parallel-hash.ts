// MD5 and SHA-512 of image data, each on its own worker thread, while the data flows on to the store.
//
// Hashing both on the event loop, one after the other, capped an upload at about half the speed of one hash
// (bench/RESULTS.md). Here the data is copied once into 4 MiB shared blocks; a full block goes to both
// threads at once (no further copy: the block is a SharedArrayBuffer) and returns to the free list when both
// have hashed it. At most MAX_BLOCKS_IN_FLIGHT blocks per upload are out: beyond that the stream stops taking
// data until a block returns (back-pressure), so memory per upload stays at a few MiB whatever the size. An
// upload smaller than one block never leaves the event loop (a message round trip would cost more).
//
// Each block of an upload is posted to a thread once, with its slot number; later messages name the slot
// only. Posting a SharedArrayBuffer every time, and 1 MiB blocks, made postMessage the upload's largest
// main-thread frame (1.1 s of CPU profile per GiB: every message wakes a thread, and the two threads, the
// event loop and the client share two cores); 4 MiB blocks send four times fewer messages (bench/RESULTS.md).
//
// The two threads are shared by every upload of the process, started on first use and unref'd (they never
// keep the process alive); each keeps one hash per upload ID.
//
// A BlockSink (the local store's file) stores each full block from the same shared memory, so the data is
// copied once on the event loop whatever it goes to: the block returns to the free list when both threads
// and the sink are done with it. The sink may place the data at an offset within a block (alignment for
// O_DIRECT writes: see block-file.ts).
import { createHash, randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';

const BLOCK_BYTES = 4 * 1024 * 1024;
const MAX_BLOCKS_IN_FLIGHT = 3;
/** Room a block keeps for the sink's offset (at most this much before the data). */
export const BLOCK_SPARE_BYTES = 4096;

/** Where the blocks' bytes go besides the hashes (e.g. a file), straight from the shared blocks. */
export interface BlockSink {
  /** Where the data of a new block starts, 0 <= offset <= BLOCK_SPARE_BYTES (e.g. aligned for O_DIRECT). */
  placeBlock(block: SharedArrayBuffer): number;
  /** Stores `data`, the stream's bytes from `position` on; `data` is left unchanged until this settles. */
  write(data: Uint8Array, position: number): Promise<void>;
}

interface Block {
  buffer: SharedArrayBuffer;
  offset: number;
  /** Whether the sink chose `offset` (the first block is not placed: see the constructor). */
  placed: boolean;
}

type Algorithm = 'md5' | 'sha512';
const ALGORITHMS: readonly Algorithm[] = ['md5', 'sha512'];

/**
 * The thread's whole program: per upload ID one hash and the upload's blocks by slot (a block comes once,
 * with its first use); `u` updates (and acknowledges), `e` ends, `x` drops.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const uploads = new Map();
parentPort.on('message', (m) => {
  if (m.t === 'u') {
    let u = uploads.get(m.id);
    if (!u) { u = { hash: createHash(workerData), blocks: [] }; uploads.set(m.id, u); }
    if (m.block) u.blocks[m.slot] = m.block;
    u.hash.update(new Uint8Array(u.blocks[m.slot], m.offset, m.length));
    parentPort.postMessage({ t: 'ack', id: m.id, seq: m.seq });
  } else if (m.t === 'e') {
    const u = uploads.get(m.id);
    uploads.delete(m.id);
    parentPort.postMessage({ t: 'digest', id: m.id, digest: (u ? u.hash : createHash(workerData)).digest('hex') });
  } else if (m.t === 'x') {
    uploads.delete(m.id);
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

/**
 * Threads that no upload has used for this long are ended, and started again by the next upload: their two
 * isolates hold ~17 MiB of RSS (bench/RESULTS.md "Memory") that an idle server should give back.
 */
let idleStopMs = 30_000;
let idleTimer: NodeJS.Timeout | undefined;

/** For tests: how long idle threads live. */
export function setHashThreadIdleStopMs(ms: number): void {
  idleStopMs = ms;
}

/** For tests: whether the hash threads are running. */
export function hashThreadsRunning(): boolean {
  return threads !== undefined;
}

function use(t: Record<Algorithm, HashThread>, delta: 1 | -1): void {
  users += delta;
  clearTimeout(idleTimer);
  idleTimer = undefined;
  for (const algorithm of ALGORITHMS) {
    if (users > 0) t[algorithm].worker.ref();
    else t[algorithm].worker.unref();
  }
  if (users > 0) return;
  idleTimer = setTimeout(() => {
    idleTimer = undefined;
    if (users > 0 || threads !== t) return;
    threads = undefined; // the next upload starts new threads; these end with nothing in flight
    for (const algorithm of ALGORITHMS) void t[algorithm].worker.terminate();
  }, idleStopMs);
  idleTimer.unref();
}

/**
 * One upload's hashes: `update` as data arrives (await it for back-pressure), then `digest`, which also
 * waits until the sink (if any) has stored every byte.
 */
export class ParallelHasher {
  private readonly id = randomUUID();
  /** This upload's blocks; a slot number names one in messages once the threads have it. */
  private readonly blocks: Block[];
  /** Blocks the threads have been sent (messages name them by slot afterwards). */
  private readonly blocksSent = new WeakSet<SharedArrayBuffer>();
  private slot = 0;
  private filled = 0;
  private readonly free: number[] = [];
  /** Slots out, by sequence number, with the number of threads (and sink) still using them. */
  private readonly pending = new Map<number, { slot: number; usersLeft: number }>();
  /** Bytes handed to the sink so far: where the next block goes. */
  private position = 0;
  /** Sink writes not settled yet (the file must not close under them). */
  private readonly sinkWrites = new Set<Promise<void>>();
  private drainWaiters: Array<() => void> = [];
  private seq = 0;
  private waiting: (() => void) | undefined;
  private threads: Record<Algorithm, HashThread> | undefined;
  private digests: Partial<Record<Algorithm, string>> = {};
  private digestWaiters: Array<() => void> = [];
  private broken: Error | undefined;
  private released = false;

  constructor(private readonly sink?: BlockSink) {
    // The first block is not placed by the sink: most uploads fit in it (small images), and placing may cost
    // the sink a probe write. Once it has been used, a placed block takes its slot (see `done`).
    this.blocks = [
      {
        buffer: new SharedArrayBuffer(BLOCK_BYTES + (sink ? BLOCK_SPARE_BYTES : 0)),
        offset: 0,
        placed: !sink,
      },
    ];
  }

  private newBlock(): Block {
    if (!this.sink) return { buffer: new SharedArrayBuffer(BLOCK_BYTES), offset: 0, placed: true };
    const buffer = new SharedArrayBuffer(BLOCK_BYTES + BLOCK_SPARE_BYTES);
    return { buffer, offset: this.sink.placeBlock(buffer), placed: true };
  }

  /** Takes `chunk` (copied into the current block); resolves at once unless too many blocks are out. */
  update(chunk: Uint8Array): Promise<void> | undefined {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, BLOCK_BYTES - this.filled);
      const block = this.blocks[this.slot] as Block;
      new Uint8Array(block.buffer, block.offset + this.filled, n).set(chunk.subarray(offset, offset + n));
      this.filled += n;
      offset += n;
      if (this.filled === BLOCK_BYTES) this.send();
    }
    if (this.broken) return Promise.reject(this.broken);
    if (this.pending.size < MAX_BLOCKS_IN_FLIGHT) return undefined;
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Both hex digests of everything passed to `update`, once the sink (if any) has stored all of it. */
  async digest(): Promise<{ md5: string; sha512: string }> {
    if (!this.threads) {
      // Never sent a block: all of it is in the current block, hash it here.
      const block = this.blocks[this.slot] as Block;
      const data = new Uint8Array(block.buffer, block.offset, this.filled);
      if (this.sink && this.filled > 0) await this.sink.write(data, 0);
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
    await this.settled();
    const { md5, sha512 } = this.digests;
    if (this.broken || !md5 || !sha512) throw this.broken ?? new Error('hash thread stopped');
    return { md5, sha512 };
  }

  /** Drops this upload's state in the threads (aborted upload). Await `settled()` before closing the sink. */
  abort(): void {
    if (!this.threads) return;
    for (const algorithm of ALGORITHMS) this.threads[algorithm].worker.postMessage({ t: 'x', id: this.id });
    this.release();
  }

  /** Resolves once no sink write is in flight (whether they succeeded or not). */
  async settled(): Promise<void> {
    while (this.sinkWrites.size > 0) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
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

  /** One user (a thread or the sink) is done with block `seq`; the last one frees it. */
  private done(seq: number): void {
    const out = this.pending.get(seq);
    if (!out) return;
    if (--out.usersLeft > 0) return;
    this.pending.delete(seq);
    // A large upload's unplaced first block gives its slot to a placed one (sent to the threads with its
    // next use), so the sink gets every later block where it wants it.
    if (!(this.blocks[out.slot] as Block).placed) this.blocks[out.slot] = this.newBlock();
    this.free.push(out.slot);
    const resume = this.waiting;
    this.waiting = undefined;
    resume?.();
  }

  private fail(err: Error): void {
    this.broken ??= err;
    for (const done of this.digestWaiters.splice(0)) done();
    const resume = this.waiting;
    this.waiting = undefined;
    resume?.();
  }

  private onReply(algorithm: Algorithm, reply: Reply): void {
    if (reply.t === 'ack') {
      this.done(reply.seq);
      return;
    }
    if (reply.t === 'failed') this.broken ??= new Error('hash thread stopped');
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
    const slot = this.slot;
    const block = this.blocks[slot] as Block;
    const message: {
      t: 'u';
      id: string;
      seq: number;
      slot: number;
      offset: number;
      length: number;
      block?: SharedArrayBuffer;
    } = { t: 'u', id: this.id, seq, slot, offset: block.offset, length: this.filled };
    if (!this.blocksSent.has(block.buffer)) {
      message.block = block.buffer;
      this.blocksSent.add(block.buffer);
    }
    this.pending.set(seq, { slot, usersLeft: ALGORITHMS.length + (this.sink ? 1 : 0) });
    for (const algorithm of ALGORITHMS) threads[algorithm].worker.postMessage(message);
    if (this.sink) this.store(seq, new Uint8Array(block.buffer, block.offset, this.filled));
    const free = this.free.pop();
    if (free !== undefined) this.slot = free;
    else {
      this.slot = this.blocks.length;
      this.blocks.push(this.newBlock());
    }
    this.filled = 0;
  }

  /** Hands block `seq` to the sink; its failure fails the upload (at the next update or at digest). */
  private store(seq: number, data: Uint8Array): void {
    const position = this.position;
    this.position += data.length;
    const write = (this.sink as BlockSink).write(data, position).then(
      () => this.done(seq),
      (err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))),
    );
    this.sinkWrites.add(write);
    void write.finally(() => {
      this.sinkWrites.delete(write);
      if (this.sinkWrites.size === 0) for (const drained of this.drainWaiters.splice(0)) drained();
    });
  }
}
