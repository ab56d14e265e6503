// Wiring only: config -> database -> blob store -> services -> HTTP app. Nothing else lives here.
import cluster from 'node:cluster';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { publicBaseUrl, type Config } from './config.js';
import {
  databaseExists,
  describeDatabase,
  migrateToLatest,
  openDatabase,
  pingDatabase,
  type Db,
} from './repositories/db/database.js';
import type { BlobStore } from './repositories/blob/blob-store.js';
import { openBlobStore } from './repositories/blob/open-blob-store.js';
import type { Clock } from './services/clock.js';
import { createServices, type Services } from './services/container.js';
import { buildApp } from './http/app.js';
import { createLogger } from './logging.js';
import { metrics } from './metrics.js';

export interface RunningServer {
  app: FastifyInstance;
  db: Db;
  services: Services;
  config: Config;
  /** The base URL the server listens on, e.g. http://127.0.0.1:9292 (links use `publicUrl`). */
  url: string;
  /** The base URL clients use, from `server.publicUrl` (behind a balancer), else the same as `url`. */
  publicUrl: string;
  /** Set when this start created the first admin account. */
  admin: BootstrappedAdmin | null;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** PostgreSQL schema to use (tests isolate themselves this way); default: config.database.schema. */
  databaseSchema?: string;
  /** Where the one-time first-start notice (who the new admin is, where its password is) goes; default: stdout. */
  announce?: (line: string) => void;
  /** True when the notice reaches a person's terminal (default: stdout is a TTY): the password is shown there
   * instead of being written to <dataDir>/admin-password. */
  announceToTerminal?: boolean;
  /** The clock the sharing rules read (default: the system clock; tests move it across a share's end). */
  clock?: Clock;
}

/** The admin account created on first start with an empty database (password only when generated). */
export interface BootstrappedAdmin {
  id: string;
  name: string;
  generatedPassword: string | null;
}

export function databaseUrl(config: Config): string {
  return config.database.url || join(config.dataDir, 'imageshare.sqlite');
}

/** Where a client on this machine reaches the listener (a wildcard address is reached on loopback). */
function listenUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '') return `http://127.0.0.1:${port}`;
  if (host === '::') return `http://[::1]:${port}`;
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.log.level);
  // A cluster's primary opened the database first and said so (src/cluster.ts); its workers only open it.
  const { db, services, blobs } = cluster.isWorker
    ? // The cluster's primary checkpoints an SQLite file for its workers (src/cluster.ts).
      await openServices(config, { ...options, checkpointedElsewhere: true })
    : await openServicesAnnounced(config, options, logger);
  await blobs.init();
  const admin = await createFirstAdmin(services, config, logger, options);

  metrics.collectDefaults();
  metrics.setPoolSource(db.poolStats ?? null);
  metrics.setOutboxSource(() => services.notifications.backlog());
  const app = await buildApp({
    config,
    readiness: { database: () => pingDatabase(db), blobs: () => blobs.ping() },
    services,
    logger,
  });
  await app.listen({ host: config.server.host, port: config.server.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  // With port 0 (tests) the real port is only known now; the catalog and Location headers need it.
  if (config.server.port === 0) config.server.port = port;
  const url = listenUrl(config.server.host, port);
  const publicUrl = publicBaseUrl(config);

  // Housekeeping: drop expired tokens and finished login-failure windows now and then (any node may do it).
  const purge = setInterval(() => {
    services.auth.purgeExpired().catch((err: unknown) => app.log.warn({ err }, 'token purge failed'));
    services.sessions.purgeExpired().catch((err: unknown) => app.log.warn({ err }, 'session purge failed'));
    // The recycle bin: binned images past their retention are deleted for good (safe on every node at once).
    services.images.purgeRecycleBin().then(
      (purged) => purged > 0 && app.log.info({ purged }, 'recycle bin purged expired images'),
      (err: unknown) => app.log.warn({ err }, 'recycle bin purge failed'),
    );
  }, 10 * 60_000);
  purge.unref();
  const sweep = scheduleBlobSweep(config, services, app.log);
  // Every node delivers the webhook outbox and raises "expiring soon" (both safe on several nodes at once).
  const notifier = services.notifications.startBackground({
    pollIntervalMs: config.notifications.webhooks.pollIntervalMs,
    scanIntervalMs: config.notifications.scanIntervalSeconds * 1000,
    log: app.log,
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(purge);
      sweep.stop();
      await notifier.stop();
      await app.close();
      await db.close();
      await blobs.close();
    })());
  return { app, db, services, config, url, publicUrl, admin, close };
}

/**
 * The first start's admin: created when the database has no account yet, and announced once. Safe when
 * several processes start at once on one database: the account name is unique, so exactly one insert wins
 * and only its process announces (and writes the password file).
 */
export async function createFirstAdmin(
  services: Services,
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<BootstrappedAdmin | null> {
  const created = await services.accounts.bootstrapAdmin(config.admin);
  if (!created) return null;
  const admin = {
    id: created.account.id,
    name: created.account.name,
    generatedPassword: created.generatedPassword,
  };
  announceAdmin(admin, config, logger, options);
  return admin;
}

export function adminPasswordFile(config: Config): string {
  return join(config.dataDir, 'admin-password');
}

/**
 * Tells the operator about the first admin. A generated password never goes to stdout when stdout is not a
 * terminal (it is then usually a log collector): it is written once to <dataDir>/admin-password, readable by
 * the owner only, and the notice and the log say where.
 */
function announceAdmin(
  admin: BootstrappedAdmin,
  config: Config,
  logger: Logger,
  options: StartOptions,
): void {
  const announce = options.announce ?? ((line: string) => console.log(line));
  const who = `admin account: id=${admin.id} name=${admin.name}`;
  if (!admin.generatedPassword) {
    announce(who);
    logger.info({ adminId: admin.id }, 'admin account created with the configured password');
    return;
  }
  if (options.announceToTerminal ?? process.stdout.isTTY === true) {
    announce(`${who} password=${admin.generatedPassword}`);
    logger.info({ adminId: admin.id }, 'admin account created; its password was shown on the terminal');
    return;
  }
  const file = adminPasswordFile(config);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${admin.generatedPassword}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its mode on write
  announce(`${who} password-file=${file}`);
  logger.info({ adminId: admin.id, passwordFile: file }, 'admin account created; password written to file');
}

/**
 * openServices for `serve`, saying on every start which database it opened and whether this start created it,
 * so an operator who started the service from the wrong folder sees which database it used.
 */
export async function openServicesAnnounced(config: Config, options: StartOptions, logger: Logger) {
  const schema = options.databaseSchema ?? (config.database.schema || undefined);
  const existed = await databaseExists(databaseUrl(config), schema);
  const opened = await openServices(config, options);
  logger.info(
    { database: describeDatabase(databaseUrl(config), schema), created: !existed },
    'database opened',
  );
  return opened;
}

/**
 * Opens the configured database, brings its schema up to date and builds the services over it: what both
 * `serve` and the administrative CLI commands need. The blob store is not initialised here (its init clears
 * this node's stale temporary files, which only a starting server may do).
 */
export async function openServices(
  config: Config,
  options: Pick<StartOptions, 'databaseSchema' | 'clock'> & { checkpointedElsewhere?: boolean } = {},
): Promise<{ db: Db; services: Services; blobs: BlobStore }> {
  const schema = options.databaseSchema ?? (config.database.schema || undefined);
  const db = openDatabase({
    url: databaseUrl(config),
    schema,
    statementTimeoutMs: config.database.statementTimeoutMs,
    poolSize: config.database.poolSize,
    checkpointedElsewhere: options.checkpointedElsewhere ?? false,
  });
  try {
    await migrateToLatest(db, schema);
  } catch (err) {
    await db.close();
    throw err;
  }
  const blobs = openBlobStore(config);
  const services = createServices({ config, db, blobs, clock: options.clock });
  return { db, services, blobs };
}

/**
 * Every node sweeps unreferenced blob data now and then (see BlobSweepService: safe on several nodes at
 * once). The first run comes at a random point of the first interval, so nodes started together spread out.
 */
function scheduleBlobSweep(
  config: Config,
  services: Services,
  log: FastifyInstance['log'],
): { stop(): void } {
  const intervalMs = config.blob.sweepIntervalSeconds * 1000;
  if (intervalMs <= 0) return { stop: () => undefined };
  let timer: NodeJS.Timeout;
  const run = () => {
    services.blobSweep.sweep({ dryRun: false }).then(
      (report) => {
        const found = report.orphanBlobs.length + report.abandonedUploads.length;
        if (found > 0 || report.failures > 0) {
          log.info(
            {
              orphanBlobs: report.orphanBlobs.length,
              abandonedUploads: report.abandonedUploads.length,
              failures: report.failures,
            },
            'blob sweep removed unreferenced data',
          );
        }
      },
      (err: unknown) => log.warn({ err }, 'blob sweep failed'),
    );
    timer = setTimeout(run, intervalMs).unref();
  };
  timer = setTimeout(run, Math.random() * intervalMs).unref();
  return { stop: () => clearTimeout(timer) };
}
