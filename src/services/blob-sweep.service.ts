// Removes image data that no image refers to: blobs whose row is gone (a failed removal after a delete, a
// node killed between storing the data and committing the row, a copy whose transaction failed) and pending
// uploads whose node died (temporary files, unfinished S3 multipart uploads). Any node may run it at any
// time, several at once: it only removes data that is older than the grace period, that no row refers to,
// and whose image has no live upload claim; removing twice is harmless.
import { systemClock, type Clock } from './clock.js';
import { imageIdOfKey } from '../repositories/blob/blob-rules.js';
import type { BlobStore, ListedBlob, PendingUpload } from '../repositories/blob/blob-store.js';
import type { BlobReferenceRepository } from '../repositories/db/blob-reference.repository.js';

export interface SweepOptions {
  /** Report only; remove nothing. */
  dryRun: boolean;
  /** Overrides the configured grace period (data younger than this is left alone). */
  graceSeconds?: number;
}

export interface SweepReport {
  dryRun: boolean;
  graceSeconds: number;
  /** Blobs and pending uploads seen in the store. */
  scanned: { blobs: number; pending: number };
  /** Unreferenced blobs past the grace period: removed unless dryRun. */
  orphanBlobs: string[];
  /** Abandoned pending uploads past the grace period (by key): aborted unless dryRun. */
  abandonedUploads: string[];
  /** Left alone this time: too young, or their image is being uploaded right now. */
  kept: { young: number; liveUpload: number };
  /** Removals that failed (tried again at the next sweep). */
  failures: number;
}

/** Keys looked up in the database at once. */
const BATCH = 500;

export class BlobSweepService {
  constructor(
    private readonly blobs: BlobStore,
    private readonly references: BlobReferenceRepository,
    private readonly settings: { graceSeconds: number; uploadStaleSeconds: number },
    /** The clock upload heartbeats are written with (ImageDataTransfer); blob ages keep the system's. */
    private readonly clock: Clock = systemClock,
  ) {}

  async sweep(options: SweepOptions): Promise<SweepReport> {
    const graceSeconds = options.graceSeconds ?? this.settings.graceSeconds;
    const report: SweepReport = {
      dryRun: options.dryRun,
      graceSeconds,
      scanned: { blobs: 0, pending: 0 },
      orphanBlobs: [],
      abandonedUploads: [],
      kept: { young: 0, liveUpload: 0 },
      failures: 0,
    };
    const startedAt = Date.now();
    const oldEnough = (at: Date) => at.getTime() <= startedAt - graceSeconds * 1000;

    // Pending uploads first: an upload finishing meanwhile turns into a blob that the next pass still sees.
    await this.inBatches(this.blobs.listPending(), async (batch: PendingUpload[]) => {
      report.scanned.pending += batch.length;
      const old = batch.filter((upload) => oldEnough(upload.since));
      report.kept.young += batch.length - old.length;
      const live = await this.liveUploadsAmong(old.map((upload) => upload.key));
      for (const upload of old) {
        if (live.has(imageIdOfKey(upload.key) ?? '')) {
          report.kept.liveUpload += 1;
          continue;
        }
        report.abandonedUploads.push(upload.key);
        if (!options.dryRun) await this.attempt(report, () => this.blobs.abortPending(upload));
      }
    });

    await this.inBatches(this.blobs.list(), async (batch: ListedBlob[]) => {
      report.scanned.blobs += batch.length;
      const old = batch.filter((blob) => oldEnough(blob.modifiedAt));
      report.kept.young += batch.length - old.length;
      const referenced = await this.references.referencedKeys(old.map((blob) => blob.key));
      const unreferenced = old.filter((blob) => !referenced.has(blob.key));
      // Stored but not yet committed (the upload's last step): its image's claim is still alive.
      const live = await this.liveUploadsAmong(unreferenced.map((blob) => blob.key));
      for (const blob of unreferenced) {
        if (live.has(imageIdOfKey(blob.key) ?? '')) {
          report.kept.liveUpload += 1;
          continue;
        }
        // Checked again right before removing: the listing may be minutes old in a large store.
        if (!options.dryRun && (await this.references.referencedKeys([blob.key])).size > 0) continue;
        report.orphanBlobs.push(blob.key);
        if (!options.dryRun) await this.attempt(report, () => this.blobs.delete(blob.key));
      }
    });
    return report;
  }

  private async liveUploadsAmong(keys: string[]): Promise<Set<string>> {
    const imageIds = [...new Set(keys.map(imageIdOfKey).filter((id): id is string => id !== null))];
    if (imageIds.length === 0) return new Set();
    const heartbeatAfter = new Date(
      this.clock.now().getTime() - this.settings.uploadStaleSeconds * 1000,
    ).toISOString();
    return this.references.liveUploads(imageIds, heartbeatAfter);
  }

  private async attempt(report: SweepReport, remove: () => Promise<void>): Promise<void> {
    try {
      await remove();
    } catch {
      report.failures += 1;
    }
  }

  private async inBatches<T>(items: AsyncIterable<T>, handle: (batch: T[]) => Promise<void>): Promise<void> {
    let batch: T[] = [];
    for await (const item of items) {
      batch.push(item);
      if (batch.length >= BATCH) {
        await handle(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await handle(batch);
  }
}
