// Image data in an S3-compatible bucket (AWS S3, OpenStack Swift with s3api, MinIO, ...). Uploads stream
// through a multipart upload: at most (uploadConcurrency + 1) parts are in memory at a time, whatever the
// image's size, and the object appears only when CompleteMultipartUpload succeeds, so a failed or cut-off
// upload never leaves a partial object; its multipart upload is aborted (and, if the node died, the sweep
// aborts it later). Copies are server-side: CopyObject, or UploadPartCopy past the single-copy limit.
import { createRequire } from 'node:module';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { CompletedPart } from '@aws-sdk/client-s3';
import type * as S3Storage from '@aws-sdk/lib-storage';
import type { Config } from '../../config.js';
import { pipeline, type Readable } from 'node:stream';
import { HashingLimiter, assertBlobKey, isBlobKey, newBlobKey } from './blob-rules.js';
import type { BlobRange, BlobStore, ListedBlob, PendingUpload, StoredBlob } from './blob-store.js';

// The AWS SDK is loaded when the first S3 store is made: a server on the local folder never loads it (about
// 24 MiB of RSS per process; bench/RESULTS.md "Memory"). Both packages ship CommonJS, loaded synchronously.
const loadCommonJs = createRequire(import.meta.url);
let sdkModule: typeof S3Sdk | undefined;
let storageModule: typeof S3Storage | undefined;
const sdk = (): typeof S3Sdk => (sdkModule ??= loadCommonJs('@aws-sdk/client-s3') as typeof S3Sdk);
const storage = (): typeof S3Storage =>
  (storageModule ??= loadCommonJs('@aws-sdk/lib-storage') as typeof S3Storage);

/** The operator's S3 settings (each documented in config.ts), with the part size in bytes rather than MiB. */
export type S3BlobStoreSettings = Omit<Config['blob']['s3'], 'partSizeMiB'> & {
  /** Size of one multipart part; the largest image is partSize times the server's part limit. */
  partSizeBytes: number;
};

export interface S3CopyTuning {
  /** Largest object copied with one CopyObject (S3 allows 5 GiB); larger ones use UploadPartCopy. */
  singleCopyMaxBytes: number;
  /** Part size of a multipart copy. */
  copyPartBytes: number;
}

const GiB = 1024 ** 3;
const defaultCopyTuning: S3CopyTuning = { singleCopyMaxBytes: 5 * GiB, copyPartBytes: 1 * GiB };
const PING_TIMEOUT_MS = 3000;

export class S3BlobStore implements BlobStore {
  private readonly client: S3Sdk.S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(
    private readonly settings: S3BlobStoreSettings,
    private readonly copyTuning: S3CopyTuning = defaultCopyTuning,
  ) {
    this.bucket = settings.bucket;
    this.prefix = settings.prefix;
    this.client = new (sdk().S3Client)({
      region: settings.region || 'us-east-1',
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      ...(settings.accessKeyId
        ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } }
        : {}),
      // Checksums only where S3 demands them: otherwise streamed bodies go out aws-chunked, which
      // S3-compatible servers such as Swift refuse; our own MD5 and SHA-512 cover the data end to end.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5000 },
    });
  }

  private objectKey(key: string): string {
    return this.prefix + assertBlobKey(key);
  }

  async init(): Promise<void> {
    if (!this.settings.createBucket) return;
    try {
      await this.client.send(new (sdk().HeadBucketCommand)({ Bucket: this.bucket }));
    } catch (err) {
      if (!isMissing(err)) throw err;
      await this.client.send(new (sdk().CreateBucketCommand)({ Bucket: this.bucket }));
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  async ping(): Promise<void> {
    await this.client.send(new (sdk().HeadBucketCommand)({ Bucket: this.bucket }), {
      abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS),
    });
  }

  async put(data: Readable, options: { maxBytes: number; keyPrefix: string }): Promise<StoredBlob> {
    const key = newBlobKey(options.keyPrefix);
    const hasher = new HashingLimiter(options.maxBytes);
    // A failing source (client gone) destroys the hasher, which fails the upload below.
    const body = pipeline(data, hasher, () => undefined);
    const upload = new (storage().Upload)({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: body },
      partSize: this.settings.partSizeBytes,
      queueSize: this.settings.uploadConcurrency,
      // On failure lib-storage aborts the multipart upload, so no parts stay behind.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      body.destroy();
      throw err;
    }
    return hasher.result(key);
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    const out = await this.client.send(
      new (sdk().GetObjectCommand)({
        Bucket: this.bucket,
        Key: this.objectKey(key),
        ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
      }),
    );
    return out.Body as Readable;
  }

  async copy(key: string, keyPrefix: string): Promise<string> {
    const newKey = newBlobKey(keyPrefix);
    const source = `${this.bucket}/${encodeURIComponent(this.objectKey(key))}`;
    const head = await this.client.send(
      new (sdk().HeadObjectCommand)({ Bucket: this.bucket, Key: this.objectKey(key) }),
    );
    const size = head.ContentLength ?? 0;
    if (size <= this.copyTuning.singleCopyMaxBytes) {
      await this.client.send(
        new (sdk().CopyObjectCommand)({
          Bucket: this.bucket,
          Key: this.objectKey(newKey),
          CopySource: source,
        }),
      );
    } else {
      await this.multipartCopy(source, this.objectKey(newKey), size);
    }
    return newKey;
  }

  /** Copies a large object part by part, server-side; any failure aborts the multipart upload. */
  private async multipartCopy(source: string, target: string, size: number): Promise<void> {
    const { UploadId } = await this.client.send(
      new (sdk().CreateMultipartUploadCommand)({ Bucket: this.bucket, Key: target }),
    );
    try {
      const parts: CompletedPart[] = [];
      const partBytes = this.copyTuning.copyPartBytes;
      for (let start = 0, n = 1; start < size; start += partBytes, n++) {
        const end = Math.min(start + partBytes, size) - 1;
        const out = await this.client.send(
          new (sdk().UploadPartCopyCommand)({
            Bucket: this.bucket,
            Key: target,
            UploadId,
            PartNumber: n,
            CopySource: source,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts.push({ PartNumber: n, ETag: out.CopyPartResult?.ETag });
      }
      await this.client.send(
        new (sdk().CompleteMultipartUploadCommand)({
          Bucket: this.bucket,
          Key: target,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (err) {
      await this.client
        .send(new (sdk().AbortMultipartUploadCommand)({ Bucket: this.bucket, Key: target, UploadId }))
        .catch(() => undefined); // the sweep aborts it later
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(
      new (sdk().DeleteObjectCommand)({ Bucket: this.bucket, Key: this.objectKey(key) }),
    );
  }

  async *list(): AsyncIterable<ListedBlob> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new (sdk().ListObjectsV2Command)({
          Bucket: this.bucket,
          Prefix: this.prefix,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        const key = (object.Key ?? '').slice(this.prefix.length);
        if (isBlobKey(key)) yield { key, modifiedAt: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async *listPending(): AsyncIterable<PendingUpload> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new (sdk().ListMultipartUploadsCommand)({
          Bucket: this.bucket,
          Prefix: this.prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const upload of page.Uploads ?? []) {
        const key = (upload.Key ?? '').slice(this.prefix.length);
        if (isBlobKey(key) && upload.UploadId) {
          yield { key, since: upload.Initiated ?? new Date(0), ref: upload.UploadId };
        }
      }
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  async abortPending(upload: PendingUpload): Promise<void> {
    try {
      await this.client.send(
        new (sdk().AbortMultipartUploadCommand)({
          Bucket: this.bucket,
          Key: this.objectKey(upload.key),
          UploadId: upload.ref,
        }),
      );
    } catch (err) {
      if (!isMissing(err)) throw err; // already completed or aborted (another node's sweep)
    }
  }
}

function isMissing(err: unknown): boolean {
  return (
    err instanceof sdk().S3ServiceException &&
    (err.$metadata.httpStatusCode === 404 || ['NoSuchUpload', 'NotFound', 'NoSuchBucket'].includes(err.name))
  );
}
