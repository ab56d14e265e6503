// Image data in a local folder (or one shared folder for several nodes). Writes go to a temporary file that
// is fsync'd and then renamed into place, so a crash or a cut-off upload never leaves a partial blob under a
// real key. Temporary files are named after the node writing them: a node starting up removes only its own
// leftovers, and only once they are older than the stale-upload time, never another node's live upload.
import { constants } from 'node:fs';
import { access, copyFile, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RecyclingReadStream } from './recycling-read-stream.js';
import { BlockFile, DirectIoProbe } from './block-file.js';
import { HashingLimiter, HashingWriter, assertBlobKey, isBlobKey, newBlobKey } from './blob-rules.js';
import type { BlobRange, BlobStore, ListedBlob, PendingUpload, StoredBlob } from './blob-store.js';

export interface LocalBlobStoreOptions {
  /** Names this node's temporary files (e.g. the host name); nodes sharing a folder need distinct IDs. */
  nodeId?: string;
  /** A temporary file untouched for this long belongs to a dead upload (config images.uploadStaleSeconds). */
  staleAfterMs?: number;
  /**
   * Write upload data with O_DIRECT where the file system takes it (config blob.directIo, default false;
   * block-file.ts and docs/storage.md say when it pays). Otherwise, and on file systems without O_DIRECT,
   * writes go through the page cache.
   */
  directIo?: boolean;
}

const DOWNLOAD_READ_BYTES = 4 * 1024 * 1024;
/** Upload data is written to the file in batches of about this size (see BatchedFileWriter). */
const WRITE_BATCH_BYTES = 4 * 1024 * 1024;
/** ... or of this many chunks (a writev takes at most IOV_MAX = 1024 buffers at once). */
const MAX_BATCH_BUFFERS = 1024;

export class LocalBlobStore implements BlobStore {
  private readonly tmpDir: string;
  private readonly nodeTag: string;
  private readonly staleAfterMs: number;
  private readonly directIo: DirectIoProbe | undefined;

  constructor(
    private readonly dir: string,
    options: LocalBlobStoreOptions = {},
  ) {
    this.tmpDir = join(dir, '.tmp');
    this.nodeTag = nodeTagOf(options.nodeId ?? 'node');
    this.staleAfterMs = options.staleAfterMs ?? 300_000;
    this.directIo = options.directIo ? new DirectIoProbe(this.tmpDir) : undefined;
  }

  /** Bytes of upload data this store wrote with O_DIRECT so far (diagnostics and tests). */
  directIoBytes(): number {
    return this.directIo?.directBytes ?? 0;
  }

  /** Creates the folders and removes this node's temporary files that a crash left behind. */
  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    const staleBefore = Date.now() - this.staleAfterMs;
    for await (const pending of this.listPending()) {
      if (!pending.ref.endsWith(`.${this.nodeTag}`) || pending.since.getTime() >= staleBefore) continue;
      await this.abortPending(pending);
    }
  }

  async close(): Promise<void> {
    this.directIo?.close();
  }

  async ping(): Promise<void> {
    await access(this.dir, constants.W_OK);
    await access(this.tmpDir, constants.W_OK);
  }

  private pathOf(key: string): string {
    return join(this.dir, assertBlobKey(key));
  }

  async put(data: Readable, options: { maxBytes: number; keyPrefix: string }): Promise<StoredBlob> {
    const key = newBlobKey(options.keyPrefix);
    if (this.directIo?.available()) {
      // Each chunk is copied once, into the hash blocks, which the file is written from (block-file.ts).
      let writer: HashingWriter | undefined;
      await this.writeDurably(key, (tmpPath) => {
        writer = new HashingWriter(options.maxBytes, new BlockFile(tmpPath, this.directIo));
        return pipeline(data, writer);
      });
      return (writer as HashingWriter).result(key);
    }
    const hasher = new HashingLimiter(options.maxBytes);
    await this.writeDurably(key, (tmpPath) => pipeline(data, hasher, new BatchedFileWriter(tmpPath)));
    return hasher.result(key);
  }

  /**
   * Lets `write` fill a temporary file, then fsyncs it, renames it to its key and fsyncs the folder, so the
   * blob is either whole under its key or absent, even after a crash. Any failure removes the temporary file.
   */
  private async writeDurably(key: string, write: (tmpPath: string) => Promise<void>): Promise<void> {
    const tmpPath = join(this.tmpDir, `${key}.${this.nodeTag}`);
    try {
      await write(tmpPath);
      await fsyncPath(tmpPath, 'r+');
      await rename(tmpPath, this.pathOf(key));
      await fsyncPath(this.dir, 'r');
    } catch (err) {
      await rm(tmpPath, { force: true });
      throw err;
    }
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    const path = this.pathOf(key);
    await stat(path); // fail before streaming starts when the blob is missing
    // 4 MiB reads (the default is 64 KiB): 64 times fewer reads, chunks and socket writes per byte sent (1 MiB
    // reads cost 0.64 s of server CPU per GiB, 4 MiB 0.42 s: medians of five alternating pairs, bench/RESULTS.md),
    // into buffers used again once the reader has let go of them (recycling-read-stream.ts). Memory stays
    // bounded: the stream reads ahead only one chunk while the socket is slow.
    return new RecyclingReadStream(path, DOWNLOAD_READ_BYTES, range);
  }

  async copy(key: string, keyPrefix: string): Promise<string> {
    const newKey = newBlobKey(keyPrefix);
    await this.writeDurably(newKey, (tmpPath) => copyFile(this.pathOf(key), tmpPath));
    return newKey;
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async *list(): AsyncIterable<ListedBlob> {
    for (const name of await readdir(this.dir)) {
      if (!isBlobKey(name)) continue; // .tmp and anything that is not ours
      const info = await statOrNull(join(this.dir, name));
      if (info?.isFile()) yield { key: name, modifiedAt: info.mtime };
    }
  }

  async *listPending(): AsyncIterable<PendingUpload> {
    for (const name of await readdir(this.tmpDir)) {
      const key = name.split('.')[0] as string;
      if (!isBlobKey(key)) continue;
      const info = await statOrNull(join(this.tmpDir, name));
      // mtime moves with every write: a live upload keeps looking fresh.
      if (info?.isFile()) yield { key, since: info.mtime, ref: name };
    }
  }

  async abortPending(upload: PendingUpload): Promise<void> {
    if (upload.ref.includes('/') || upload.ref.startsWith('.')) throw new Error('invalid pending upload');
    await rm(join(this.tmpDir, upload.ref), { force: true });
  }
}

/**
 * Writes a stream to a new file (`wx`, mode 0600) in batches: chunks (64 KiB each from a socket) are kept by
 * reference, not copied, until about WRITE_BATCH_BYTES have come, then written with one `writev` while the
 * next batch gathers. fs.createWriteStream wrote each chunk on its own: 16,384 thread-pool round trips per
 * GiB, each waking a thread on cores the hash threads need (bench/RESULTS.md). At most one batch is being
 * written and one gathering, so memory stays at two batches whatever the size.
 */
class BatchedFileWriter extends Writable {
  private handle: FileHandle | undefined;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  /** The batch being written, if any (its failure fails the stream at the next write or at the end). */
  private inFlight: Promise<void> | undefined;
  /** Where the next batch goes: writes carry their offset, so no write depends on the order they run in. */
  private position = 0;

  constructor(private readonly path: string) {
    super();
  }

  override _construct(callback: (err?: Error | null) => void): void {
    open(this.path, 'wx', 0o600).then(
      (handle) => {
        this.handle = handle;
        callback();
      },
      (err: unknown) => callback(asError(err)),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    if (this.batchBytes < WRITE_BATCH_BYTES && this.batch.length < MAX_BATCH_BUFFERS) {
      callback();
      return;
    }
    this.flushBatch().then(
      () => callback(),
      (err: unknown) => callback(asError(err)),
    );
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.flushBatch()
      .then(() => this.inFlight)
      .then(() => {
        const handle = this.handle;
        this.handle = undefined;
        return handle?.close();
      })
      .then(
        () => callback(),
        (err: unknown) => callback(asError(err)),
      );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    Promise.resolve(this.inFlight)
      .catch(() => undefined)
      .then(() => handle?.close())
      .then(
        () => callback(err),
        (closeErr: unknown) => callback(err ?? asError(closeErr)),
      );
  }

  /** Waits for the batch in flight (back-pressure), then starts writing the gathered one. */
  private async flushBatch(): Promise<void> {
    await this.inFlight;
    if (this.batchBytes === 0) return;
    const buffers = this.batch;
    const position = this.position;
    this.position += this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    const handle = this.handle;
    if (!handle) throw new Error('file not open');
    this.inFlight = writeAll(handle, buffers, position);
    // Seen by the next flush or _final; keep it from counting as unhandled meanwhile.
    this.inFlight.catch(() => undefined);
  }
}

/** Writes the buffers one after the other from `position` on, however the kernel splits the writes. */
async function writeAll(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, position);
    position += bytesWritten;
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const buffer of rest) {
      if (skip >= buffer.length) skip -= buffer.length;
      else {
        next.push(skip > 0 ? buffer.subarray(skip) : buffer);
        skip = 0;
      }
    }
    rest = next;
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The node ID as it appears in file names: lower-case letters, digits and dashes only. */
function nodeTagOf(nodeId: string): string {
  return (
    nodeId
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .slice(0, 63) || 'node'
  );
}

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch {
    return null; // removed meanwhile (another node's sweep or upload)
  }
}

async function fsyncPath(path: string, flags: 'r' | 'r+'): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
