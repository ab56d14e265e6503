// Wiring only: config -> database -> blob store -> services -> HTTP app. Nothing else lives here.
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { publicBaseUrl, type Config } from './config.js';
import { migrateToLatest, openDatabase, type Db } from './repositories/db/database.js';
import { LocalBlobStore } from './repositories/blob/local-blob-store.js';
import { createServices, type Services } from './services/container.js';
import { buildApp } from './http/app.js';

export interface RunningServer {
  app: FastifyInstance;
  db: Db;
  services: Services;
  config: Config;
  /** The base URL the server listens on, e.g. http://127.0.0.1:9292 */
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** PostgreSQL schema to use (tests isolate themselves this way). */
  databaseSchema?: string;
}

export function databaseUrl(config: Config): string {
  return config.database.url || join(config.dataDir, 'imageshare.sqlite');
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: config.log.level });
  const db = openDatabase({ url: databaseUrl(config), schema: options.databaseSchema });
  await migrateToLatest(db, options.databaseSchema);
  const blobs = new LocalBlobStore(config.blob.dir || join(config.dataDir, 'images'));
  await blobs.init();
  const services = createServices({ config, db, blobs });

  const app = await buildApp({ config, db, services, logger });
  await app.listen({ host: config.server.host, port: config.server.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  // With port 0 (tests) the real port is only known now; the catalog and Location headers need it.
  if (config.server.port === 0) config.server.port = port;
  const url = publicBaseUrl(config);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await app.close();
      await db.close();
    })());
  return { app, db, services, config, url, close };
}
