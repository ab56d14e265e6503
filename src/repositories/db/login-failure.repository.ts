// Fixed-window counters of login attempts per key (the keys are AuthService's: account, address, and the
// pair of both).
// Each hit is one atomic upsert, so concurrent attempts on several nodes are all counted.
import { sql } from 'kysely';
import type { Db } from './database.js';

export interface LoginCounter {
  failures: number;
  windowStart: string;
}

export interface LoginFailureRepository {
  /**
   * Adds one to the key's counter and returns the new value. A window that started at or before
   * `windowCutoff` is over: the counter restarts at 1 with `windowStart = now`.
   */
  hit(key: string, now: string, windowCutoff: string): Promise<LoginCounter>;
  /** Takes back one hit (an attempt that turned out to succeed); never below zero. */
  undo(key: string): Promise<void>;
  clear(key: string): Promise<void>;
  /** Removes every counter whose key starts with `prefix`; returns how many. */
  clearPrefix(prefix: string): Promise<number>;
  /** Removes counters whose window is over. */
  deleteStale(windowCutoff: string): Promise<number>;
}

export class KyselyLoginFailureRepository implements LoginFailureRepository {
  constructor(private readonly db: Db) {}

  async hit(key: string, now: string, windowCutoff: string): Promise<LoginCounter> {
    // In both SQLite and PostgreSQL every SET expression sees the row as it was before the update.
    const row = await this.db.kysely
      .insertInto('login_failures')
      .values({ key, window_start: now, failures: 1 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: sql<number>`case when login_failures.window_start <= ${windowCutoff} then 1 else login_failures.failures + 1 end`,
          window_start: sql<string>`case when login_failures.window_start <= ${windowCutoff} then ${now} else login_failures.window_start end`,
        }),
      )
      .returning(['failures', 'window_start'])
      .executeTakeFirstOrThrow();
    return { failures: Number(row.failures), windowStart: row.window_start };
  }

  async undo(key: string): Promise<void> {
    await this.db.kysely
      .updateTable('login_failures')
      .set({ failures: sql<number>`failures - 1` })
      .where('key', '=', key)
      .where('failures', '>', 0)
      .execute();
  }

  async clear(key: string): Promise<void> {
    await this.db.kysely.deleteFrom('login_failures').where('key', '=', key).execute();
  }

  async clearPrefix(prefix: string): Promise<number> {
    // substr instead of LIKE: no wildcard in the prefix can widen the match.
    const result = await this.db.kysely
      .deleteFrom('login_failures')
      .where(sql<string>`substr(key, 1, ${prefix.length})`, '=', prefix)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteStale(windowCutoff: string): Promise<number> {
    const result = await this.db.kysely
      .deleteFrom('login_failures')
      .where('window_start', '<=', windowCutoff)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
