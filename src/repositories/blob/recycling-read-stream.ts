// A file's bytes as a Readable that reads into the same few buffers again, once it can prove that whoever
// it gave them to is done with them.
//
// Why: fs.createReadStream allocates a new 4 MiB buffer for every read. Each one counts as V8 "external
// memory", and in a worker whose heap had not grown (any worker but the one that took the upload) that
// pressure set off a full mark-compact about every 64 MiB: a 1 GiB download cost 1.8-2.6 CPU-s instead of
// 0.45 and ran at 650-950 MB/s instead of 2-2.5 GB/s (bench/RESULTS.md, "Issue 10, sixth pass"). Reusing
// three buffers allocates nothing per read.
//
// Reusing a buffer is only safe when no one still holds the chunk that was in it: a reader that keeps chunks
// (collects them, or a PassThrough that queues them) would see them change under it. So a buffer is reused
// only when the whole way from this stream to the socket is known and empty of it:
//   - this stream is piped to exactly one destination, and nothing else listens for its data;
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

/** A stream that knows where it is piped: the only kind whose chunks' whereabouts can be followed. */
interface PipeTracked {
  pipeDestinations(): readonly Writable[];
}

function trackPipes(stream: Readable, destinations: Writable[]): void {
  stream.on('unpipe', (destination: Writable) => {
    const at = destinations.indexOf(destination);
    if (at >= 0) destinations.splice(at, 1);
  });
}

function isPipeTracked(value: unknown): value is Transform & PipeTracked {
  return value instanceof ChunkPassThrough;
}

/**
 * Bytes the streams from `source` on still hold of what `source` emitted, or Infinity when they cannot be
 * known. `source` must hand its chunks only to its pipe destination (checked here: one 'data' listener,
 * pipe's own, and no 'readable' listener).
 */
function bytesHeldAfter(source: Readable & PipeTracked): number {
  const destinations = source.pipeDestinations();
  if (destinations.length !== 1) return Infinity;
  if (source.listenerCount('data') !== 1 || source.listenerCount('readable') !== 0) return Infinity;
  const destination = destinations[0] as Writable;
  if (destination instanceof OutgoingMessage) return destination.writableLength;
  if (isPipeTracked(destination)) {
    // A chunk being transformed is counted on both sides for a moment: that only overstates what is held.
    return destination.writableLength + destination.readableLength + bytesHeldAfter(destination);
  }
  return Infinity;
}

/**
 * A Transform that passes every chunk on unchanged (after `observe`, e.g. a byte counter), and tells a
 * RecyclingReadStream upstream how much it still holds.
 */
export class ChunkPassThrough extends Transform implements PipeTracked {
  private readonly destinations: Writable[] = [];

  constructor(private readonly observe: (chunk: Buffer) => void = () => undefined) {
    super();
    trackPipes(this, this.destinations);
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
    this.destinations.push(destination as unknown as Writable);
    return super.pipe(destination, options);
  }

  pipeDestinations(): readonly Writable[] {
    return this.destinations;
  }
}

interface LentBuffer {
  buffer: Buffer;
  /** The stream offset just past this buffer's bytes: reusable once everything up to here is released. */
  endsAt: number;
}

/** The bytes of `path` from `start` to `end` (inclusive; to the end of the file when omitted). */
export class RecyclingReadStream extends Readable implements PipeTracked {
  private fd: number | undefined;
  private position: number;
  private endBefore: number;
  private pushed = 0;
  private readonly free: Buffer[] = [];
  private readonly lent: LentBuffer[] = [];
  private readonly destinations: Writable[] = [];
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
    trackPipes(this, this.destinations);
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    this.destinations.push(destination as unknown as Writable);
    return super.pipe(destination, options);
  }

  pipeDestinations(): readonly Writable[] {
    return this.destinations;
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
    read(this.fd as number, buffer, 0, wanted, this.position, (error, got) => {
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
    if (this.fd === undefined) {
      callback(error);
      return;
    }
    close(this.fd, () => callback(error));
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
    const released = emitted - bytesHeldAfter(this);
    while (this.lent.length > 0 && (this.lent[0] as LentBuffer).endsAt <= released) {
      this.free.push((this.lent.shift() as LentBuffer).buffer);
    }
  }
}
