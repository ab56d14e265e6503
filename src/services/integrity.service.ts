// Image integrity: re-reads each image's stored data and compares its size, MD5 and SHA-512 with what was
// recorded when the data was stored (`imageshare images verify`). Data that changed or went missing is
// reported; with `mark`, the image is moved to "killed" (domain/image-status.ts): the one status every
// surface already treats as "no usable data" (launches and copies need "active", downloads are refused, the
// owner can only delete it), and which nobody can undo through the API, unlike "deactivated".
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { transition } from '../domain/image-status.js';
import { isoNow, systemClock, type Clock } from './clock.js';
import type { ImageStatus } from '../domain/types.js';
import { isMissingBlobError } from '../repositories/blob/blob-rules.js';
import type { BlobStore } from '../repositories/blob/blob-store.js';
import type { IntegrityRepository, RecordedData } from '../repositories/db/integrity.repository.js';
import type { ImageUnitOfWork } from '../repositories/image-stores.js';

export type IntegrityProblem = 'missing' | 'size' | 'md5' | 'sha512' | 'unreadable';

export interface IntegrityFinding {
  imageId: string;
  ownerId: string;
  region: string;
  status: string;
  blobKey: string;
  problem: IntegrityProblem;
  expected?: string;
  actual?: string;
  /** True when this run moved the image to "killed". */
  marked: boolean;
}

export interface IntegrityReport {
  checked: number;
  ok: number;
  bytesRead: number;
  findings: IntegrityFinding[];
  /** Image IDs asked for that hold no data (missing, deleted, or never uploaded): nothing to verify. */
  notFound: string[];
}

const PAGE = 200;
/** Statuses whose data is served or launched: only these are marked (a killed image already refuses all). */
const MARKABLE: readonly string[] = ['active', 'deactivated'];

export class IntegrityService {
  constructor(
    private readonly blobs: BlobStore,
    private readonly recorded: IntegrityRepository,
    private readonly store: ImageUnitOfWork,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Verifies `ids`, or every image holding data when `ids` is absent. */
  async verify(options: { ids?: string[]; mark: boolean }): Promise<IntegrityReport> {
    const report: IntegrityReport = { checked: 0, ok: 0, bytesRead: 0, findings: [], notFound: [] };
    const check = async (image: RecordedData) => {
      const finding = await this.checkOne(image, report);
      report.checked += 1;
      if (!finding) {
        report.ok += 1;
        return;
      }
      if (options.mark) finding.marked = await this.markKilled(image);
      report.findings.push(finding);
    };
    if (options.ids) {
      const found = await this.recorded.withData([...new Set(options.ids)]);
      const have = new Set(found.map((image) => image.id));
      report.notFound = options.ids.filter((id) => !have.has(id));
      for (const image of found) await check(image);
      return report;
    }
    let after = '';
    for (;;) {
      const page = await this.recorded.pageWithData(after, PAGE);
      for (const image of page) await check(image);
      if (page.length < PAGE) return report;
      after = page[page.length - 1]!.id;
    }
  }

  private async checkOne(image: RecordedData, report: IntegrityReport): Promise<IntegrityFinding | null> {
    const finding = (problem: IntegrityProblem, expected?: string, actual?: string): IntegrityFinding => ({
      imageId: image.id,
      ownerId: image.ownerId,
      region: image.region,
      status: image.status,
      blobKey: image.blobKey,
      problem,
      ...(expected !== undefined ? { expected } : {}),
      ...(actual !== undefined ? { actual } : {}),
      marked: false,
    });
    let digest: { size: number; md5: string; sha512: string };
    try {
      digest = await hashStream(await this.blobs.get(image.blobKey));
    } catch (err) {
      return finding(isMissingBlobError(err) ? 'missing' : 'unreadable');
    }
    report.bytesRead += digest.size;
    if (image.size !== null && digest.size !== image.size) {
      return finding('size', String(image.size), String(digest.size));
    }
    if (image.md5 !== null && digest.md5 !== image.md5) return finding('md5', image.md5, digest.md5);
    if (image.sha512 !== null && digest.sha512 !== image.sha512) {
      return finding('sha512', image.sha512, digest.sha512);
    }
    return null;
  }

  /** Moves the image to "killed" if it still holds the data that failed (not re-uploaded or deleted since). */
  private async markKilled(image: RecordedData): Promise<boolean> {
    return this.store.transaction(async (stores) => {
      const row = await stores.images.findForUpdate(image.id);
      if (!row || row.blob_key !== image.blobKey || !MARKABLE.includes(row.status)) return false;
      await stores.images.update(image.id, {
        status: transition({ id: row.id, status: row.status as ImageStatus }, 'killed'),
        updated_at: isoNow(this.clock),
      });
      return true;
    });
  }
}

async function hashStream(stream: Readable): Promise<{ size: number; md5: string; sha512: string }> {
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    md5.update(chunk);
    sha512.update(chunk);
  }
  return { size, md5: md5.digest('hex'), sha512: sha512.digest('hex') };
}
