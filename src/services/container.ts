// Builds every service once, over one database and one blob store. The HTTP surfaces and the CLI
// receive this container; nothing else constructs services.
import type { Config } from '../config.js';
import type { Db } from '../repositories/db/database.js';
import type { BlobStore } from '../repositories/blob/blob-store.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Services {}

export interface ServiceDeps {
  config: Config;
  db: Db;
  blobs: BlobStore;
}

export function createServices(_deps: ServiceDeps): Services {
  return {};
}
