// The blob stores suites run against: a local folder and a bucket on the real S3 test server
// (test/helpers/s3.ts). Each `create()` gives a fresh, empty place and the settings to reach it from an
// in-process store, an in-process server (config overrides) or a server process (environment).
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBlobKey } from '../../src/repositories/blob/blob-rules.js';
import type { BlobStore } from '../../src/repositories/blob/blob-store.js';
import { LocalBlobStore } from '../../src/repositories/blob/local-blob-store.js';
import { S3BlobStore } from '../../src/repositories/blob/s3-blob-store.js';
import { createTestBucket, s3SkipReason } from './s3.js';

export interface BlobPlace {
  /** A store on the place, as one node sees it. */
  store: BlobStore;
  overrides: Record<string, string>;
  env: Record<string, string>;
  /** Every blob and pending upload the place holds, as the storage itself reports them. */
  contents(): Promise<{ objects: string[]; uploads: string[] }>;
  /** Reads and rewrites a stored blob behind the service's back (as disk rot or a careless operator would). */
  tamper(key: string, change: (data: Buffer) => Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface BlobTarget {
  name: 'local' | 's3';
  skipReason: string | null;
  create(): Promise<BlobPlace>;
}

async function collectKeys(store: BlobStore) {
  const objects: string[] = [];
  const uploads: string[] = [];
  for await (const blob of store.list()) objects.push(blob.key);
  for await (const upload of store.listPending()) uploads.push(upload.ref);
  return { objects, uploads };
}

export const blobTargets: BlobTarget[] = [
  {
    name: 'local',
    skipReason: null,
    async create() {
      const dir = mkdtempSync(join(tmpdir(), 'imageshare-blobs-'));
      const store = new LocalBlobStore(dir, { nodeId: 'test-node' });
      await store.init();
      return {
        store,
        overrides: { 'blob.dir': dir },
        env: { IMAGESHARE_BLOB__DIR: dir },
        contents: () => collectKeys(store),
        tamper: async (key, change) => {
          const file = join(dir, assertBlobKey(key));
          writeFileSync(file, change(readFileSync(file)));
        },
        close: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 's3',
    skipReason: s3SkipReason(),
    async create() {
      const bucket = await createTestBucket();
      const store = new S3BlobStore(bucket.settings);
      return {
        store,
        overrides: bucket.overrides,
        env: bucket.env,
        // Straight from the server, not through our store's listing.
        contents: () => bucket.contents(),
        tamper: async (key, change) => {
          const Key = `${bucket.settings.prefix}${assertBlobKey(key)}`;
          const got = await bucket.client.send(new GetObjectCommand({ Bucket: bucket.settings.bucket, Key }));
          const data = Buffer.from(await got.Body!.transformToByteArray());
          await bucket.client.send(
            new PutObjectCommand({ Bucket: bucket.settings.bucket, Key, Body: change(data) }),
          );
        },
        close: async () => {
          await store.close();
          await bucket.remove();
        },
      };
    },
  },
];
