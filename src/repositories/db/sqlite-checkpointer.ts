// WAL checkpoints of a cluster's SQLite file, off the workers' event loops.
//
// By default SQLite checkpoints inside the COMMIT that takes the write-ahead log past 1000 pages: that commit
// copies the pages into the database file and fsyncs both files, synchronously. An add-member writes ~28
// pages, so every ~36th one blocked its worker for 5-130 ms (measured: commit p50 82 us, p99 11 ms, 70% of
// all commit time in those checkpoints; bench/RESULTS.md "Issue 10, third pass"), with every request of that
// worker waiting behind it. In a cluster the workers raise their automatic checkpoint to a safety net
// (WORKER_AUTOCHECKPOINT_PAGES, reached only if this thread falls behind) and the primary runs this thread,
// which checkpoints every CHECKPOINT_INTERVAL_MS on its own connection. A PASSIVE checkpoint takes no lock
// that writers need: they go on appending to the log while it copies and syncs. Durability is unchanged
// (synchronous = NORMAL, as the workers: the log is synced before each checkpoint, the file after it).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the thread checkpoints: the log grows by what the workers write in this time. */
export const CHECKPOINT_INTERVAL_MS = 50;

/** A worker's own automatic checkpoint while the thread runs (SQLite's default is 1000; ~80 MiB here). */
export const WORKER_AUTOCHECKPOINT_PAGES = 20_000;

const SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('synchronous = NORMAL');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
setInterval(() => {
  // SQLITE_BUSY: another connection is checkpointing; the next tick tries again.
  try { checkpoint.get(); } catch {}
}, workerData.intervalMs);
`;

/** Starts the checkpoint thread for an SQLite file (in WAL mode, created already). */
export function startCheckpointer(file: string, onError: (err: unknown) => void): { stop(): Promise<void> } {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(SOURCE, {
    eval: true,
    workerData: { module, file, intervalMs: CHECKPOINT_INTERVAL_MS },
  });
  // It never keeps the primary alive; if it fails (said in the log), the workers' safety net bounds the log.
  worker.unref();
  worker.on('error', onError);
  return {
    stop: async () => {
      await worker.terminate();
    },
  };
}
