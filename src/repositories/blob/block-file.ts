// Upload data to a local file, written from the hash blocks (parallel-hash.ts) with O_DIRECT: the local
// store's `blob.directIo` (off by default; docs/storage.md).
//
// Why: a buffered write copies every byte into the page cache (`copy_folio_from_iter` took 1.5-2.3 CPU-s per
// GiB on the benchmark VM, more than either hash: each new page-cache page is one the VM touches for the
// first time), and the fsync before the upload is acknowledged then has the whole image to write back. A
// direct write hands the block to the disk as it is: no copy, the disk works while data still arrives, and
// the final fsync has only the metadata left (bench/RESULTS.md, "Issue 10, third pass"). The cost: the data
// is not in the page cache, so the first download reads it from the disk, which pays that page-cache fill.
//
// O_DIRECT needs the memory, the file position and the length aligned to the device's block size. Positions
// and lengths are kept multiples of DIRECT_ALIGN (blocks are 4 MiB; the last block's odd tail goes through
// the buffered descriptor). Memory: there is no way to ask V8 for aligned memory or to read an address, so
// DirectIoProbe finds, for each new block, the offset at which a direct write of it is accepted (the kernel
// answers EINVAL otherwise) by writing one aligned unit to a probe file. Anything unexpected (no O_DIRECT
// on this file system, a probe that never succeeds, EINVAL on a real write) falls back to buffered writes,
// which are always correct.
import { randomUUID } from 'node:crypto';
import { closeSync, constants, openSync, unlinkSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BLOCK_SPARE_BYTES, type BlockSink } from './parallel-hash.js';

/** Alignment used for direct writes: 4096 covers devices with 512-byte and 4 KiB logical blocks. */
const DIRECT_ALIGN = 4096;
/** Candidate offsets step: V8's buffers are at least 16-byte aligned. */
const PROBE_STEP = 16;

/**
 * Finds where a direct write of a shared block is accepted, with a probe file in the store's temporary
 * folder (opened on first use, O_DIRECT, and unlinked at once: only the descriptor lives on). One store keeps one probe; `place` is synchronous (a block is
 * allocated while data is being taken in) and costs one 4 KiB direct write when the last offset found fits
 * the new block, as it does for blocks of the same allocator.
 */
export class DirectIoProbe {
  private fd: number | undefined;
  /** False once O_DIRECT proved unavailable here: every write is buffered then. */
  private usable = true;
  private lastOffset = 0;
  /** Bytes written with O_DIRECT through this probe's blocks so far (diagnostics and tests). */
  directBytes = 0;
  private readonly aligned = new WeakSet<SharedArrayBuffer>();

  /** `dir`: the folder the uploads are written in (the probe must be on the same file system). */
  constructor(private readonly dir: string) {}

  /** The offset for the block's data (0 when direct writes are not available), remembered for `isAligned`. */
  place(block: SharedArrayBuffer): number {
    const fd = this.open();
    if (fd === undefined) return 0;
    const view = new Uint8Array(block);
    const tryAt = (offset: number): boolean => {
      try {
        writeSync(fd, view, offset, DIRECT_ALIGN, 0);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EINVAL') return false;
        throw err;
      }
    };
    try {
      if (tryAt(this.lastOffset)) {
        this.aligned.add(block);
        return this.lastOffset;
      }
      for (let offset = 0; offset <= BLOCK_SPARE_BYTES - PROBE_STEP; offset += PROBE_STEP) {
        if (offset === this.lastOffset || !tryAt(offset)) continue;
        this.lastOffset = offset;
        this.aligned.add(block);
        return offset;
      }
    } catch {
      // The probe file itself failed (disk full, removed folder): no direct writes, the upload goes on.
    }
    this.disable();
    return 0;
  }

  /** Whether direct writes work here (opens the probe on first use; false after any failure of it). */
  available(): boolean {
    return this.open() !== undefined;
  }

  /** Whether `place` found a direct-write offset for this block. */
  isAligned(block: ArrayBufferLike): boolean {
    return this.usable && this.aligned.has(block as SharedArrayBuffer);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number | undefined {
    if (!this.usable) return undefined;
    if (this.fd !== undefined) return this.fd;
    const path = join(this.dir, `.direct-io-probe-${randomUUID()}`);
    try {
      this.fd = openSync(
        path,
        constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_DIRECT,
        0o600,
      );
      unlinkSync(path);
    } catch {
      if (this.fd !== undefined) {
        try {
          unlinkSync(path); // opened but not unlinked: once more, then leave it (it is 4 KiB)
        } catch {
          // nothing more to do
        }
      }
      this.disable(); // EINVAL: no O_DIRECT on this file system (tmpfs on older kernels, some FUSE mounts)
    }
    return this.fd;
  }

  private disable(): void {
    this.usable = false;
    this.close();
  }
}

/**
 * A new file (`wx`, mode 0600) that takes the stream's blocks at their positions (BlockSink): aligned blocks
 * through an O_DIRECT descriptor, the rest (the first block, an odd tail, or everything when the probe has
 * no direct writes) through the buffered one. Writes may run concurrently; each carries its position.
 */
export class BlockFile implements BlockSink {
  private buffered: FileHandle | undefined;
  private direct: FileHandle | undefined;
  /** The last write queued (settled, never rejected): the next one starts after it. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly probe: DirectIoProbe | undefined,
  ) {}

  async open(): Promise<void> {
    this.buffered = await open(this.path, 'wx', 0o600);
    if (!this.probe) return;
    try {
      this.direct = await open(this.path, constants.O_WRONLY | constants.O_DIRECT);
    } catch {
      this.direct = undefined; // buffered writes only
    }
  }

  placeBlock(block: SharedArrayBuffer): number {
    return this.direct && this.probe ? this.probe.place(block) : 0;
  }

  /**
   * Writes run one at a time, in order (writes that grow the file take the inode's lock anyway, and one
   * 4 MiB direct write at a time keeps up with the hashes: 740-920 MB/s with `dd oflag=direct` here). The
   * hash threads still overlap the writes: several blocks are out at once.
   */
  write(data: Uint8Array, position: number): Promise<void> {
    const next = this.queue.then(() => this.writeNow(data, position));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async writeNow(data: Uint8Array, position: number): Promise<void> {
    const buffered = this.buffered;
    if (!buffered) throw new Error('file not open');
    let done = 0;
    const directBytes = data.length - (data.length % DIRECT_ALIGN);
    if (
      this.direct &&
      directBytes > 0 &&
      position % DIRECT_ALIGN === 0 &&
      // The block's own offset (from placeBlock) is where its data starts: views begin there.
      this.probe?.isAligned(data.buffer)
    ) {
      try {
        done = await writeAll(this.direct, data.subarray(0, directBytes), position);
        this.probe.directBytes += done;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
        done = 0; // not aligned after all: write it buffered (below)
      }
    }
    if (done < data.length) await writeAll(buffered, data.subarray(done), position + done);
  }

  /** Closes both descriptors (the caller fsyncs the file afterwards, through a new one). */
  async close(): Promise<void> {
    const handles = [this.buffered, this.direct];
    this.buffered = undefined;
    this.direct = undefined;
    let failure: Error | undefined;
    for (const handle of handles) {
      await handle?.close().catch((err: unknown) => {
        failure ??= err instanceof Error ? err : new Error(String(err));
      });
    }
    if (failure) throw failure;
  }
}

/** Writes all of `data` at `position`, however the kernel splits it; returns its length. */
async function writeAll(handle: FileHandle, data: Uint8Array, position: number): Promise<number> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
    written += bytesWritten;
  }
  return written;
}
