// Builds the configured blob store: the local folder (default) or an S3 bucket.
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config.js';
import type { BlobStore } from './blob-store.js';
import { LocalBlobStore } from './local-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

export function openBlobStore(config: Config): BlobStore {
  const { blob } = config;
  if (blob.backend === 's3') {
    const { partSizeMiB, ...s3 } = blob.s3;
    return new S3BlobStore({ ...s3, partSizeBytes: partSizeMiB * 1024 * 1024 });
  }
  return new LocalBlobStore(blob.dir || join(config.dataDir, 'images'), {
    nodeId: blob.nodeId || hostname(),
    staleAfterMs: config.images.uploadStaleSeconds * 1000,
    directIo: blob.directIo,
  });
}
