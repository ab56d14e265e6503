// Services over a real test database and a temporary blob folder, for service-level suites.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config.js';
import type { BlobStore } from '../../src/repositories/blob/blob-store.js';
import { LocalBlobStore } from '../../src/repositories/blob/local-blob-store.js';
import { createServices, type Services } from '../../src/services/container.js';
import type { Clock } from '../../src/services/clock.js';
import type { RequestContext } from '../../src/services/context.js';
import type { DatabaseTarget, TestDatabase } from './databases.js';

export interface ServiceHarness {
  services: Services;
  config: Config;
  database: TestDatabase;
  blobDir: string;
  /** A new enabled account; returns its request context in the given region (default region by default). */
  account(options?: { admin?: boolean; region?: string }): Promise<RequestContext>;
  close(): Promise<void>;
}

let counter = 0;

export interface HarnessOptions {
  /**
   * Wraps the real blob store, e.g. to run a step of the test while a service is between its checks and
   * its transaction (image data is copied there).
   */
  wrapBlobs?: (blobs: BlobStore) => BlobStore;
  /** The sharing rules' clock (default: the system clock). */
  clock?: Clock;
}

export async function serviceHarness(
  target: DatabaseTarget,
  overrides: Record<string, string> = {},
  options: HarnessOptions = {},
): Promise<ServiceHarness> {
  const database = await target.create();
  const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-svc-'));
  const config = loadConfig({ env: {}, file: '', overrides: { dataDir, ...overrides } });
  const blobDir = join(dataDir, 'images');
  const blobs = new LocalBlobStore(blobDir);
  await blobs.init();
  const services = createServices({
    config,
    db: database.db,
    blobs: options.wrapBlobs?.(blobs) ?? blobs,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    services,
    config,
    database,
    blobDir,
    async account(options = {}) {
      counter += 1;
      const { account } = await services.accounts.create({
        name: `user${process.pid}x${counter}`,
        password: 'correct horse battery',
        isAdmin: options.admin ?? false,
      });
      return {
        caller: { accountId: account.id, isAdmin: account.isAdmin },
        region: options.region ?? (config.regions[0] as string),
        // Service tests stand in for a surface; the console's is the one with no protocol of its own.
        surface: 'console',
      };
    },
    async close() {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function bytes(text: string): Readable {
  return Readable.from([Buffer.from(text)]);
}

/** The same caller seen through another region's endpoint. */
export function inRegion(ctx: RequestContext, region: string): RequestContext {
  return { ...ctx, region };
}
