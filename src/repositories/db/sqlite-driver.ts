// The SQLite driver: one connection per process, shared by every request, whose waits for the write lock
// never block the event loop.
//
// Several processes (server.workers) write one file, and SQLite lets one write at a time. With a
// busy_timeout, a process that finds the lock taken waits inside SQLite's busy handler, which *sleeps the
// thread* (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms ...): better-sqlite3 is synchronous, so the whole
// worker stopped answering, reads included, and the later sleeps overshoot a lock held for a millisecond
// (add-member's p99 was 101.7 ms at 16 connections, bench/RESULTS.md). Here the connection's busy_timeout
// is 0: a statement that finds the lock taken fails at once with SQLITE_BUSY, and is tried again after a
// short, jittered timer wait, the event loop serving other requests meanwhile. The overall limit and the
// final error are busy_timeout's: SQLITE_BUSY after WRITE_LOCK_WAIT_MS.
import {
  CompiledQuery,
  SelectQueryNode,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDatabase,
} from 'kysely';

/** How long a statement waits in all for another process's write lock (busy_timeout's 5 s before). */
export const WRITE_LOCK_WAIT_MS = 5000;

/** Longest single wait between two tries: short, so a lock freed after 1 ms is not found 100 ms later. */
const MAX_BACKOFF_MS = 4;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * The wait before try number `attempt` (0 = the first retry): 1 ms, then random up to 2 and 4 ms. The jitter
 * keeps two processes that both wait from trying in step.
 */
function backoffMs(attempt: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, 2 ** attempt);
  return 1 + Math.floor(Math.random() * ceiling);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Turns: the process's one connection serves one query or one transaction at a time (as Kysely's own). */
class ConnectionMutex {
  private held: Promise<void> | undefined;
  private release: (() => void) | undefined;

  async lock(): Promise<void> {
    while (this.held) await this.held;
    this.held = new Promise((resolve) => (this.release = resolve));
  }

  unlock(): void {
    const release = this.release;
    this.held = undefined;
    this.release = undefined;
    release?.();
  }
}

/**
 * Turns at the write lock, first come first served: one transaction of this process at a time tries for (and
 * then holds) SQLite's write lock; the others wait here, in order, without the connection, so reads go on.
 *
 * Without them every waiting transaction of the process polled BEGIN IMMEDIATE on its own jittered timer, and
 * whichever try came first after the lock fell free won it: a transaction that had waited longest could lose
 * round after round to ones that had just arrived (which try at once), and that was add-member's p99 at 16
 * connections (bench/RESULTS.md, "Issue 10, fourth pass"). Now one poller per process meets the other
 * process's one, and each process serves its own transactions in the order they asked.
 */
class WriteTurns {
  private held = false;
  private readonly waiting: Array<() => void> = [];

  /** Takes the turn when nobody holds it; false when someone does (then wait with take()). */
  tryTake(): boolean {
    if (this.held) return false;
    this.held = true;
    return true;
  }

  /** Resolves when the turns asked for before this one have been passed on. */
  take(): Promise<void> {
    if (this.tryTake()) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Passes the turn to the longest waiting transaction (still held: it is theirs now), or frees it. */
  pass(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held = false;
  }
}

class SqliteConnection implements DatabaseConnection {
  /** Between BEGIN IMMEDIATE and its end: the write lock is ours, so SQLITE_BUSY cannot come from waiting. */
  inTransaction = false;

  constructor(private readonly db: SqliteDatabase) {}

  /** Runs one statement now; throws SQLITE_BUSY as SQLite reports it. */
  runOnce<R>(compiledQuery: CompiledQuery): QueryResult<R> {
    const { sql, parameters } = compiledQuery;
    const statement = this.db.prepare(sql);
    if (statement.reader) return { rows: statement.all(parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return {
      numAffectedRows: BigInt(changes),
      insertId: BigInt(lastInsertRowid),
      rows: [],
    };
  }

  /**
   * A statement outside a transaction (an autocommit write such as a token's last use, a nonce, a login
   * failure; the migration lock's BEGIN IMMEDIATE) waits for the lock by timer. It keeps the connection
   * meanwhile: a caller may hold it for several statements (Kysely's connection()), which must not interleave
   * with others.
   */
  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (this.inTransaction) return this.runOnce<R>(compiledQuery);
    const deadline = Date.now() + WRITE_LOCK_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return this.runOnce<R>(compiledQuery);
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) throw error;
      }
      await sleep(backoffMs(attempt));
    }
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const { sql, parameters, query } = compiledQuery;
    if (!SelectQueryNode.is(query))
      throw new Error('Sqlite driver only supports streaming of select queries');
    for (const row of this.db.prepare(sql).iterate(parameters)) yield { rows: [row as R] };
  }
}

/**
 * Kysely's SqliteDriver with two differences: transactions begin with BEGIN IMMEDIATE, and a transaction
 * waiting for another process's write lock gives the connection back between its tries, so this process's
 * reads (and its own lock-free work) go on while it waits.
 *
 * IMMEDIATE: with Kysely's plain BEGIN, two processes on one file could both read (say, a member count) and
 * then fail with SQLITE_BUSY when both try to write; with IMMEDIATE the second waits for the lock and then
 * reads what the first wrote.
 */
export class NonBlockingSqliteDriver implements Driver {
  private readonly mutex = new ConnectionMutex();
  private readonly turns = new WriteTurns();
  private connection: SqliteConnection | undefined;

  constructor(private readonly database: SqliteDatabase) {}

  async init(): Promise<void> {
    this.connection = new SqliteConnection(this.database);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.mutex.lock();
    return this.connection as SqliteConnection;
  }

  async releaseConnection(): Promise<void> {
    this.mutex.unlock();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const sqlite = connection as SqliteConnection;
    const begin = CompiledQuery.raw('begin immediate');
    const deadline = Date.now() + WRITE_LOCK_WAIT_MS;
    if (!this.turns.tryTake()) {
      // Earlier transactions of this process go first; the connection serves others meanwhile.
      this.mutex.unlock();
      try {
        await this.turns.take();
      } finally {
        await this.mutex.lock();
      }
    }
    for (let attempt = 0; ; attempt++) {
      try {
        sqlite.runOnce(begin);
        sqlite.inTransaction = true;
        return;
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) {
          // Nothing began, so Kysely will not roll back: the turn is passed on here.
          this.turns.pass();
          throw error;
        }
      }
      // Nothing has begun: the connection is free for others until the next try. Kysely releases it
      // after this throws or the transaction ends, so it is held again whatever happens next.
      this.mutex.unlock();
      try {
        await sleep(backoffMs(attempt));
      } finally {
        await this.mutex.lock();
      }
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const sqlite = connection as SqliteConnection;
    // A failed COMMIT keeps the turn: Kysely rolls back next, and that passes it on.
    sqlite.runOnce(CompiledQuery.raw('commit'));
    sqlite.inTransaction = false;
    this.turns.pass();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const sqlite = connection as SqliteConnection;
    try {
      sqlite.runOnce(CompiledQuery.raw('rollback'));
    } finally {
      sqlite.inTransaction = false;
      this.turns.pass();
    }
  }

  async destroy(): Promise<void> {
    this.database.close();
  }
}
