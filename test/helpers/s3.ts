// A real S3-compatible server for the S3 suites: OpenStack Swift with s3api on loopback.
//   - TEST_S3_ENDPOINT=http://127.0.0.1:PORT (set by .ci/run, which starts one server for the whole run):
//     that server is used, with the credentials of ../shared/tools/swift-s3.sh (test:tester / testing,
//     or TEST_S3_ACCESS_KEY / TEST_S3_SECRET_KEY).
//   - otherwise, when Swift is installed, this process starts its own through ../shared/tools/swift-s3.sh
//     in a temporary folder on a free port and stops it at exit. Swift's back-end ports are fixed, so only
//     one such server can run on a machine at a time: running several S3 suites at once needs
//     TEST_S3_ENDPOINT.
// Without either, S3 suites skip, or fail under REQUIRE_ALL_SUITES=1. Every suite works in its own bucket.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3BlobStoreSettings } from '../../src/repositories/blob/s3-blob-store.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const SWIFT_S3_SCRIPT = resolve(repoRoot, '..', 'shared', 'tools', 'swift-s3.sh');
const SWIFT_PROXY = '/usr/bin/swift-proxy-server';

for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'])
  delete process.env[k];

/** Null when an S3 server is available (given or startable); else why S3 suites skip. */
export function s3SkipReason(): string | null {
  if (process.env.TEST_S3_ENDPOINT) return null;
  const missing = !existsSync(SWIFT_PROXY)
    ? `${SWIFT_PROXY} is missing (apt-get install swift swift-proxy swift-account swift-container swift-object python3-swift) and TEST_S3_ENDPOINT is not set`
    : !existsSync(SWIFT_S3_SCRIPT)
      ? `${SWIFT_S3_SCRIPT} is missing and TEST_S3_ENDPOINT is not set`
      : null;
  if (missing && process.env.REQUIRE_ALL_SUITES === '1') {
    throw new Error(`REQUIRE_ALL_SUITES=1 but no S3 server: ${missing}`);
  }
  return missing;
}

export interface TestBucket {
  /** Store settings for this bucket (small parts so that multipart paths run on small data). */
  settings: S3BlobStoreSettings;
  /** The same settings as IMAGESHARE_* environment variables, for server processes. */
  env: Record<string, string>;
  /** The same settings as dotted config overrides, for in-process test servers. */
  overrides: Record<string, string>;
  /** A raw client on the bucket, for checking what the server really holds. */
  client: S3Client;
  /** Object keys and pending multipart uploads under the prefix, as the server reports them. */
  contents(): Promise<{ objects: string[]; uploads: string[] }>;
  /** Empties and removes the bucket. */
  remove(): Promise<void>;
}

let started: Promise<string> | undefined;

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/** The endpoint of the S3 server to use, starting one for this process when none was given. */
export function s3Endpoint(): Promise<string> {
  if (process.env.TEST_S3_ENDPOINT) return Promise.resolve(process.env.TEST_S3_ENDPOINT);
  started ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swift-s3-'));
    const port = await freePort();
    const env = { ...process.env, SWIFT_S3_DIR: dir, SWIFT_S3_PORT: String(port) };
    execFileSync('sh', [SWIFT_S3_SCRIPT, 'start'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    process.once('exit', () => {
      try {
        execFileSync('sh', [SWIFT_S3_SCRIPT, 'stop'], { env, stdio: 'ignore' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    return `http://127.0.0.1:${port}`;
  })();
  return started;
}

/** A fresh, empty bucket on the test server. */
export async function createTestBucket(options: { prefix?: string; partSizeMiB?: number } = {}) {
  const endpoint = await s3Endpoint();
  const bucket = `t-${randomBytes(6).toString('hex')}`;
  const prefix = options.prefix ?? 'images/';
  const partSizeMiB = options.partSizeMiB ?? 5;
  const accessKeyId = process.env.TEST_S3_ACCESS_KEY ?? 'test:tester';
  const secretAccessKey = process.env.TEST_S3_SECRET_KEY ?? 'testing';
  const settings: S3BlobStoreSettings = {
    endpoint,
    region: 'us-east-1',
    bucket,
    prefix,
    accessKeyId,
    secretAccessKey,
    forcePathStyle: true,
    partSizeBytes: partSizeMiB * 1024 * 1024,
    uploadConcurrency: 2,
    createBucket: false,
  };
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));

  const overrides: Record<string, string> = {
    'blob.backend': 's3',
    'blob.s3.endpoint': endpoint,
    'blob.s3.region': 'us-east-1',
    'blob.s3.bucket': bucket,
    'blob.s3.prefix': prefix,
    'blob.s3.accessKeyId': accessKeyId,
    'blob.s3.secretAccessKey': secretAccessKey,
    'blob.s3.forcePathStyle': 'true',
    'blob.s3.partSizeMiB': String(partSizeMiB),
  };
  const env: Record<string, string> = {};
  for (const [path, value] of Object.entries(overrides)) {
    const name = path
      .split('.')
      .map((part) => part.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase())
      .join('__');
    env[`IMAGESHARE_${name}`] = value;
  }

  const contents = async () => {
    const objects: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) objects.push(o.Key as string);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    const uploads = (listed.Uploads ?? []).map((u) => `${u.Key}#${u.UploadId}`);
    return { objects, uploads };
  };

  const remove = async () => {
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of listed.Uploads ?? []) {
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }),
      );
    }
    for (const key of (await contents()).objects) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    client.destroy();
  };
  return { settings, env, overrides, client, contents, remove } satisfies TestBucket;
}
