// `server.workers`: several processes serving one port through Node's cluster module. The primary does
// what must happen once (migrate the schema, clear this node's stale uploads, create and announce the first
// admin), then forks the workers, each a full `startServer` with its own database connections (SQLite: WAL,
// BEGIN IMMEDIATE for writes, the write lock awaited by timer; PostgreSQL: `database.poolSize` connections
// per worker). On SQLite the primary also checkpoints the write-ahead log on a thread of its own, so that no
// worker's COMMIT stops its event loop to copy and sync the log (sqlite-checkpointer.ts). The
// primary accepts connections and hands them to the workers in turn (round robin); it serves no request
// itself. SIGTERM or SIGINT to the primary stops every worker gracefully (each closes its listener, finishes
// its requests, closes its database) and then the primary exits.
//
// Everything a worker keeps in memory is a cache of the database (see AuthService's token cache), never the
// only copy of a fact: any worker may serve any request, exactly as any node of a multi-node setup may.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createLogger } from './logging.js';
import { serveClusterMetrics } from './metrics.js';
import { isPostgresUrl } from './repositories/db/database.js';
import { startCheckpointer } from './repositories/db/sqlite-checkpointer.js';
import {
  createFirstAdmin,
  databaseUrl,
  openServicesAnnounced,
  startServer,
  type RunningServer,
  type StartOptions,
} from './main.js';
import { workerExecArgv } from './worker-heap.js';

/** How many processes serve: `server.workers`, with 0 meaning one per core. */
export function workerCount(config: Config): number {
  const wanted = Math.floor(config.server.workers);
  return wanted > 0 ? wanted : availableParallelism();
}

/** What a worker tells the primary once it listens. */
interface ListeningMessage {
  type: 'imageshare:listening';
  url: string;
  publicUrl: string;
}

function isListeningMessage(message: unknown): message is ListeningMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'imageshare:listening'
  );
}

export interface ServeHandle {
  /** The URL the server listens on, once every worker listens. */
  url: string;
  publicUrl: string;
  workers: number;
  /** Stops every worker gracefully (or this process's server when not clustered). */
  close(): Promise<void>;
}

/**
 * `imageshare serve` (SIGTERM and SIGINT stop it gracefully): one process when `server.workers` resolves to 1, else a cluster. In a worker process
 * this starts that worker's server and returns null (the primary speaks for the cluster).
 */
export async function serve(config: Config, options: StartOptions = {}): Promise<ServeHandle | null> {
  const count = workerCount(config);
  if (cluster.isWorker) {
    const server = await startServer(config, options);
    handleStopSignals(server);
    const message: ListeningMessage = {
      type: 'imageshare:listening',
      url: server.url,
      publicUrl: server.publicUrl,
    };
    process.send?.(message);
    return null;
  }
  if (count <= 1) {
    const server = await startServer(config, options);
    handleStopSignals(server);
    return { url: server.url, publicUrl: server.publicUrl, workers: 1, close: () => server.close() };
  }
  return startPrimary(config, count, options);
}

function handleStopSignals(server: RunningServer): void {
  const shutdown = (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/** A worker that dies within this long of its start is a failed start (bad port, bad config): give up. */
const MIN_HEALTHY_MS = 5_000;
/** A worker that does not stop within this long of SIGTERM is killed. */
const STOP_TIMEOUT_MS = 30_000;

async function startPrimary(config: Config, count: number, options: StartOptions): Promise<ServeHandle> {
  const logger: Logger = options.logger ?? createLogger(config.log.level);
  // Once for the whole cluster, before any worker exists: schema, stale uploads of this node, first admin.
  const { db, services, blobs } = await openServicesAnnounced(config, options, logger);
  try {
    await blobs.init();
    await createFirstAdmin(services, config, logger, options);
  } finally {
    await db.close();
    await blobs.close();
  }

  const url = databaseUrl(config);
  const checkpointer =
    isPostgresUrl(url) || url === ':memory:'
      ? undefined
      : startCheckpointer(url, (err) => logger.error({ err }, 'SQLite checkpoint thread failed'));

  // A scrape reaches one worker: it asks the primary, which sums every worker's registry.
  if (config.metrics.token) serveClusterMetrics();

  // Workers start with a smaller young generation than node's default (worker-heap.ts says why).
  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS) });

  let stopping = false;
  const startedAt = new Map<Worker, number>();
  const fork = () => {
    const worker = cluster.fork();
    startedAt.set(worker, Date.now());
    return worker;
  };

  const first = await new Promise<ListeningMessage>((resolve, reject) => {
    let listening = 0;
    let firstMessage: ListeningMessage | undefined;
    const onMessage = (_worker: Worker, message: unknown) => {
      if (!isListeningMessage(message)) return;
      firstMessage ??= message;
      if (++listening === count) {
        cluster.off('message', onMessage);
        cluster.off('exit', onEarlyExit);
        resolve(firstMessage);
      }
    };
    const onEarlyExit = (worker: Worker, code: number | null, signal: string | null) => {
      cluster.off('message', onMessage);
      cluster.off('exit', onEarlyExit);
      stopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      reject(new Error(`worker ${worker.process.pid} exited during start (code ${code}, signal ${signal})`));
    };
    cluster.on('message', onMessage);
    cluster.on('exit', onEarlyExit);
    for (let i = 0; i < count; i++) fork();
  });

  // A worker that dies later is replaced, unless it keeps dying at once (then the cluster stops).
  cluster.on('exit', (worker, code, signal) => {
    const livedMs = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) return;
    logger.error({ pid: worker.process.pid, code, signal, livedMs }, 'worker exited; starting another');
    if (livedMs < MIN_HEALTHY_MS) {
      logger.error('worker died right after its start: stopping the cluster');
      void close().then(() => process.exit(1));
      return;
    }
    fork();
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      const codes = await Promise.all(workers.map((worker) => stopWorker(worker)));
      await checkpointer?.stop();
      // The cluster stopped cleanly only if every worker did (closed its server and database, exit 0).
      if (codes.some((code) => code !== 0)) throw new Error(`workers exited with ${codes.join(', ')}`);
    })());
  const shutdown = (signal: string) => {
    logger.info({ signal, workers: count }, 'shutting down all workers');
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'a worker did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  return { url: first.url, publicUrl: first.publicUrl, workers: count, close };
}

/** Resolves with the worker's exit code (null when a signal ended it). */
function stopWorker(worker: Worker): Promise<number | null> {
  if (worker.isDead()) return Promise.resolve(worker.process.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
    worker.once('exit', (code: number | null) => {
      clearTimeout(timer);
      resolve(code);
    });
    // SIGTERM, not worker.disconnect(): the worker's own handler closes the server and the database.
    worker.process.kill('SIGTERM');
  });
}
