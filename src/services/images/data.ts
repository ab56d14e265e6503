// Image data: the upload (a claim on the image kept alive by heartbeats while data streams to the blob
// store) and the download, whole or one byte range.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { fail } from '../../domain/errors.js';
import { assertUploadable, transition } from '../../domain/image-status.js';
import type { Image } from '../../domain/types.js';
import type { BlobRange } from '../../repositories/blob/blob-store.js';
import { ChunkPassThrough } from '../../repositories/blob/recycling-read-stream.js';
import type { ImageRow } from '../../repositories/db/schema.js';
import type { ImageStores } from '../../repositories/image-stores.js';
import type { RequestContext } from '../context.js';
import { recordHistory } from '../history.js';
import { loadImageFor, rowFacts } from '../image-access.js';
import { isoNow } from '../clock.js';
import { metrics } from '../../metrics.js';
import { pausePoint } from '../test-pause.js';
import { hydrateOne, readImage, type ImageUseCaseDeps } from './support.js';

export interface ImageData {
  image: Image;
  /** Null when the image has no data yet. */
  stream: Readable | null;
  /** Byte range served, when a range was asked for. */
  range?: BlobRange;
}

export class ImageDataTransfer {
  constructor(private readonly deps: ImageUseCaseDeps) {}

  /**
   * Stores the image's data. The image goes queued -> saving while the data streams to the blob store
   * (hashed on the way), and becomes active only once the data is stored whole; any failure puts it back to
   * queued and leaves no data behind.
   */
  async upload(
    ctx: RequestContext,
    id: string,
    data: Readable,
    options: { expectedSize?: number } = {},
  ): Promise<Image> {
    const { store, blobs, config } = this.deps;
    // The data may fail (the client went away) before the pipeline below listens to it: keep that from
    // becoming an uncaught error; the pipeline still sees the stream destroyed and fails the upload.
    data.on('error', () => undefined);
    const uploadId = randomUUID();
    // What the claim replaces, so a failed upload leaves the image as it found it (a refusal changes nothing):
    // queued and unclaimed, or the abandoned claim of an upload whose node died (which stays takeable).
    let before: Pick<ImageRow, 'status' | 'upload_id' | 'upload_heartbeat_at' | 'updated_at'> & {
      claimedAt: string;
    } = { status: 'queued', upload_id: null, upload_heartbeat_at: null, updated_at: '', claimedAt: '' };
    await store.transaction(async (stores) => {
      const { row } = await loadImageFor(stores, ctx, id, 'upload', {
        lock: true,
        now: isoNow(this.deps.clock),
      });
      assertUploadable(
        {
          id,
          status: row.status as Image['status'],
          diskFormat: row.disk_format,
          containerFormat: row.container_format,
          uploadHeartbeatAt: row.upload_heartbeat_at,
        },
        this.deps.clock.now(),
        config.images.uploadStaleSeconds * 1000,
      );
      const now = isoNow(this.deps.clock);
      before = {
        status: row.status,
        upload_id: row.upload_id,
        upload_heartbeat_at: row.upload_heartbeat_at,
        updated_at: row.updated_at,
        claimedAt: now,
      };
      await stores.images.update(id, {
        status: transition(rowFacts(row), 'saving'),
        upload_id: uploadId,
        upload_heartbeat_at: now,
        updated_at: now,
      });
    });
    await pausePoint('upload:claimed');
    // While data flows, keep showing the claim is alive so no other upload takes the image over.
    const heartbeat = setInterval(
      () => {
        store.stores.images.touchUpload(id, uploadId, isoNow(this.deps.clock)).catch(() => undefined);
      },
      Math.max(100, (config.images.uploadStaleSeconds * 1000) / 5),
    );

    let stored;
    try {
      stored = await blobs.put(data, { maxBytes: config.images.maxUploadBytes, keyPrefix: id });
      if (options.expectedSize !== undefined && stored.size !== options.expectedSize) {
        await blobs.delete(stored.key);
        throw fail(
          'InvalidInput',
          `Image data was ${stored.size} bytes, not the ${options.expectedSize} announced.`,
        );
      }
    } catch (err) {
      // Back as it was before the claim, for another try, unless the image was deleted or taken over meanwhile.
      await store.transaction(async (stores) => {
        const row = await heldByUpload(stores, id, uploadId);
        if (!row) return;
        // Changed by someone else since the claim (a rename): queued and unclaimed, keeping that change's time.
        const untouched = row.updated_at === before.claimedAt;
        await stores.images.update(id, {
          status: transition(rowFacts(row), untouched ? (before.status as Image['status']) : 'queued'),
          upload_id: untouched ? before.upload_id : null,
          upload_heartbeat_at: untouched ? before.upload_heartbeat_at : null,
          updated_at: untouched ? before.updated_at : isoNow(this.deps.clock),
        });
      });
      throw err;
    } finally {
      clearInterval(heartbeat);
    }

    await pausePoint('upload:stored'); // data whole in the store, image not yet active
    const { key, size, md5, sha512 } = stored;
    const activated = await store.transaction(async (stores) => {
      const row = await heldByUpload(stores, id, uploadId);
      // Deleted, or taken over as abandoned, while the data was on its way: this data must not stay.
      if (!row) return false;
      await stores.images.update(id, {
        status: transition(rowFacts(row), 'active'),
        size,
        checksum: md5,
        os_hash_algo: 'sha512',
        os_hash_value: sha512,
        blob_key: key,
        upload_id: null,
        upload_heartbeat_at: null,
        updated_at: isoNow(this.deps.clock),
      });
      await recordHistory(stores, ctx, 'upload', row, {
        details: { size: String(size) },
        at: isoNow(this.deps.clock),
      });
      return true;
    });
    if (!activated) {
      await blobs.delete(key);
      throw fail('Conflict', `Image ${id} was deleted or changed while its data was being uploaded.`);
    }
    metrics.imageData('in', size);
    return readImage(store.stores, ctx, id, isoNow(this.deps.clock));
  }

  /** The image's data (or null when it has none), optionally one byte range of it. */
  async openData(
    ctx: RequestContext,
    id: string,
    range?: { start?: number; end?: number },
  ): Promise<ImageData> {
    const stores = this.deps.store.stores;
    const { row } = await loadImageFor(stores, ctx, id, 'download', { now: isoNow(this.deps.clock) });
    const image = await hydrateOne(stores, row);
    if (image.status === 'deactivated' && !ctx.caller.isAdmin) {
      throw fail(
        'ImageDeactivated',
        'The requested image has been deactivated. Image data download is forbidden.',
      );
    }
    // Killed: a failed upload, or data that `imageshare images verify --mark` found changed or missing.
    if (image.status === 'killed') {
      throw fail('InvalidImageStatus', `Image ${id} is "killed": its data is not available.`);
    }
    if (!row.blob_key || image.size === null) return { image, stream: null };
    if (!range) return { image, stream: countedOut(await this.deps.blobs.get(row.blob_key)) };
    const resolved = resolveRange(range, image.size);
    return { image, stream: countedOut(await this.deps.blobs.get(row.blob_key, resolved)), range: resolved };
  }
}

/** The stream, counting the bytes that actually leave (a client that stops early counts what it read). */
function countedOut(stream: Readable): Readable {
  // A ChunkPassThrough, so that the local store can see when the socket is done with its buffers.
  const counter = new ChunkPassThrough((chunk) => metrics.imageData('out', chunk.length));
  stream.on('error', (err) => counter.destroy(err));
  counter.on('close', () => stream.destroy());
  return stream.pipe(counter);
}

/** Inside a transaction: the image's row, locked, while upload `uploadId` still holds it; else undefined. */
async function heldByUpload(
  stores: ImageStores,
  id: string,
  uploadId: string,
): Promise<ImageRow | undefined> {
  const row = await stores.images.findForUpdate(id);
  return row && row.status === 'saving' && row.upload_id === uploadId ? row : undefined;
}

/** Resolves an HTTP-style byte range against the size; throws RangeNotSatisfiable when it can't. */
function resolveRange(range: { start?: number; end?: number }, size: number): BlobRange {
  let start: number;
  let end: number;
  if (range.start === undefined) {
    // suffix range: the last N bytes
    const n = range.end ?? 0;
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = range.start;
    end = Math.min(range.end ?? size - 1, size - 1);
  }
  if (size === 0 || start > end || start >= size) {
    throw fail('RangeNotSatisfiable', `Requested range not satisfiable (image size ${size}).`, { size });
  }
  return { start, end };
}
