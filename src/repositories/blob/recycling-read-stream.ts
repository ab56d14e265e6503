// A file's bytes as a Readable that reads into the same few buffers again, once it can prove that whoever
// it gave them to is done with them.
//
// Why: fs.createReadStream allocates a new 4 MiB buffer for every read. Each one counts as V8 "external
// memory", and in a worker whose heap had not grown (any worker but the one that took the upload) that
// pressure set off a full mark-compact about every 64 MiB: a 1 GiB download cost 1.8-2.2 CPU-s instead of
// 0.45 and ran at 650-950 MB/s instead of 2-2.5 GB/s (bench/RESULTS.md, "Issue 10, sixth pass"). Reusing
// three buffers allocates nothing per read.
//
// Reusing a buffer is only safe when no one still holds the chunk that was in it: a reader that keeps chunks
// (collects them, or a PassThrough that queues them) would see them change under it. So a buffer is reused
// only when the whole way from this stream to the socket is known and empty of it:
//   - this stream is piped to exactly one destination, and nothing else ever listened for its data (a
//     listener that took one chunk and left would still hold it; see PipeRoute);
//   - each destination is either an HTTP response (its `writableLength` counts every byte not yet handed to
//     the kernel, the one in flight included) or a ChunkPassThrough (a Transform that passes chunks on
//     unchanged, which counts what it holds on both sides), itself piped the same way;
//   - the bytes emitted so far, minus every byte the chain still holds, reach past the buffer's last byte.
// Anything else (an async iterator, a hash, two pipes, an unknown Transform) holds an unknown amount, and the
// stream allocates a fresh buffer for every read, as fs.createReadStream does.
import { close, fstat, open, read } from 'node:fs';
import { OutgoingMessage } from 'node:http';
import { Readable, Transform, type Writable } from 'node:stream';

/** Buffers one stream keeps for reuse: one at the socket, one on its way there, one being read into. */
const MAX_KEPT_BUFFERS = 3;

/**
 * Where a stream's chunks go, decided for good: its one pipe destination, or nothing known. Anything that
 * could let a chunk go elsewhere, at any time in the stream's life, rules the stream out permanently (a
 * check at reuse time alone would miss a listener that took a chunk earlier and has gone since): a 'data'
 * listener other than pipe's own, a 'readable' listener (async iteration), a second pipe, an unpipe.
 */
class PipeRoute {
  private destination: Writable | undefined;
  private ruledOut = false;
  private piping = false;

  constructor(private readonly stream: Readable) {
    stream.on('newListener', (event: string | symbol) => {
      if (event === 'readable' || (event === 'data' && !this.piping)) this.ruleOut();
    });
  }

  /** Runs Readable's pipe, recording its destination. */
  pipe<T extends NodeJS.WritableStream>(destination: T, pipe: () => T): T {
    if (this.destination) this.ruleOut();
    this.destination = destination as unknown as Writable;
    // Readable.unpipe tells the destination, not the source.
    this.destination.on('unpipe', (source: unknown) => {
      if (source === this.stream) this.ruleOut();
    });
    this.piping = true;
    try {
      return pipe();
    } finally {
      this.piping = false;
    }
  }

  /** The one destination every chunk has gone to, or undefined when that cannot be known. */
  onlyDestination(): Writable | undefined {
    return this.ruledOut ? undefined : this.destination;
  }

  private ruleOut(): void {
    this.ruledOut = true;
  }
}

/**
 * Bytes the streams after `route`'s stream still hold of what it emitted, or Infinity when they cannot be
 * known.
 */
function bytesHeldAfter(route: PipeRoute): number {
  const destination = route.onlyDestination();
  if (!destination) return Infinity;
  if (destination instanceof OutgoingMessage) return destination.writableLength;
  if (destination instanceof ChunkPassThrough) {
    // A chunk being transformed is counted on both sides for a moment: that only overstates what is held.
    return destination.writableLength + destination.readableLength + bytesHeldAfter(destination.route);
  }
  return Infinity;
}

/**
 * A Transform that passes every chunk on unchanged (after `observe`, e.g. a byte counter), and tells a
 * RecyclingReadStream upstream how much it still holds.
 */
export class ChunkPassThrough extends Transform {
  /** Where its chunks go (read by bytesHeldAfter). */
  readonly route = new PipeRoute(this);

  constructor(private readonly observe: (chunk: Buffer) => void = () => undefined) {
    super();
  }

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (e?: Error | null, d?: Buffer) => void,
  ) {
    this.observe(chunk);
    callback(null, chunk);
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    return this.route.pipe(destination, () => super.pipe(destination, options));
  }
}

interface LentBuffer {
  buffer: Buffer;
  /** The stream offset just past this buffer's bytes: reusable once everything up to here is released. */
  endsAt: number;
}

/** The bytes of `path` from `start` to `end` (inclusive; to the end of the file when omitted). */
export class RecyclingReadStream extends Readable {
  private fd: number | undefined;
  private position: number;
  private endBefore: number;
  private pushed = 0;
  private readonly free: Buffer[] = [];
  private readonly lent: LentBuffer[] = [];
  private readonly route = new PipeRoute(this);
  /** Set while a read is in the thread pool: the file is closed only after it (the fd could be reused). */
  private afterRead: (() => void) | undefined;
  private reading = false;
  /** For tests and the benchmark: reads into a reused buffer, and into a new one. */
  readonly stats = { reused: 0, allocated: 0 };

  constructor(
    private readonly path: string,
    private readonly chunkBytes: number,
    range?: { start: number; end: number },
  ) {
    // One chunk read ahead: with more, more chunks wait here, and fewer buffers can be proved free.
    super({ highWaterMark: chunkBytes });
    this.position = range?.start ?? 0;
    this.endBefore = range ? range.end + 1 : Infinity;
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    return this.route.pipe(destination, () => super.pipe(destination, options));
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.path, 'r', (error, fd) => {
      if (error) {
        callback(error);
        return;
      }
      this.fd = fd;
      // The size now, so that the last read is the last chunk's (not one more that finds the end).
      fstat(fd, (statError, stats) => {
        if (!statError) this.endBefore = Math.min(this.endBefore, stats.size);
        callback(statError);
      });
    });
  }

  override _read(): void {
    const wanted = Math.min(this.chunkBytes, this.endBefore - this.position);
    if (wanted <= 0) {
      this.push(null);
      return;
    }
    const buffer = this.bufferFor(wanted);
    this.reading = true;
    read(this.fd as number, buffer, 0, wanted, this.position, (error, got) => {
      this.reading = false;
      if (this.afterRead) {
        this.afterRead(); // destroyed meanwhile: close now, push nothing
        return;
      }
      if (error) {
        this.destroy(error);
        return;
      }
      if (got === 0) {
        this.push(null);
        return;
      }
      this.position += got;
      this.pushed += got;
      if (buffer.length === this.chunkBytes) this.lend(buffer);
      this.push(got === buffer.length ? buffer : buffer.subarray(0, got));
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.free.length = 0;
    this.lent.length = 0;
    const fd = this.fd;
    if (fd === undefined) {
      callback(error);
      return;
    }
    const closeFile = () => close(fd, () => callback(error));
    if (this.reading) this.afterRead = closeFile;
    else closeFile();
  }

  /** A buffer proved free, else a new one (a short last read or range gets one of its own size). */
  private bufferFor(size: number): Buffer {
    if (size === this.chunkBytes) {
      this.reclaim();
      const buffer = this.free.pop();
      if (buffer) {
        this.stats.reused++;
        return buffer;
      }
    }
    this.stats.allocated++;
    return Buffer.allocUnsafeSlow(size);
  }

  private lend(buffer: Buffer): void {
    this.lent.push({ buffer, endsAt: this.pushed });
    // Keep a few: an older one that could not be proved free is left to the garbage collector.
    if (this.lent.length + this.free.length > MAX_KEPT_BUFFERS) this.lent.shift();
  }

  /** Moves every lent buffer whose bytes all readers have let go of to the free list. */
  private reclaim(): void {
    if (this.lent.length === 0) return;
    const emitted = this.pushed - this.readableLength;
    const released = emitted - bytesHeldAfter(this.route);
    while (this.lent.length > 0 && (this.lent[0] as LentBuffer).endsAt <= released) {
      this.free.push((this.lent.shift() as LentBuffer).buffer);
    }
  }
}
