// PostgreSQL prepared statements for Kysely. Kysely's pg driver sends every query as an unnamed statement,
// so PostgreSQL parses and analyses the same SQL text on every request. node-postgres prepares a statement
// once per connection when the query carries a name ({ name, text, values }); this pool wrapper gives each
// data statement (SELECT, INSERT, UPDATE, DELETE, WITH) a name derived from its SQL text, so every later
// run on that connection is only Bind + Execute. Bounds: at most MAX_PER_CONNECTION named statements per
// connection (later new texts run unnamed, as before), and the text-to-name table is bounded too.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

/** Named statements one connection keeps at most; the service issues a few dozen distinct texts. */
export const MAX_PER_CONNECTION = 200;
const MAX_NAMES = 2000;
const NAMED = /^\s*(select|insert|update|delete|with)\b/i;

/** SQL text -> statement name (a hash, so every process and connection agrees on it), oldest out first. */
const names = new Map<string, string>();

export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `k_${createHash('sha1').update(text).digest('hex')}`;
    if (names.size >= MAX_NAMES) names.delete(names.keys().next().value as string);
    names.set(text, name);
  }
  return name;
}

interface ClientState {
  /** Names prepared on this connection (or being prepared). */
  prepared: Set<string>;
  /** Names whose statement the server refused to reuse (a schema change): run unnamed from now on. */
  stale: Set<string>;
}

type QueryResult = pg.QueryResult<Record<string, unknown>>;

/** pg's "cached plan must not change result type", after a migration changed a table under a statement. */
function isStalePlan(err: unknown): boolean {
  return (err as { code?: unknown }).code === '0A000';
}

function wrapClient(client: pg.PoolClient): PostgresPoolClient {
  const state: ClientState = { prepared: new Set(), stale: new Set() };
  const raw = client as unknown as {
    query(config: unknown, values?: unknown): unknown;
    release(destroy?: boolean): void;
    getTransactionStatus?: () => string | null;
  };
  const query = async (text: string, values?: readonly unknown[]): Promise<QueryResult> => {
    const name = NAMED.test(text) ? statementName(text) : undefined;
    const usable =
      name !== undefined &&
      !state.stale.has(name) &&
      (state.prepared.has(name) || state.prepared.size < MAX_PER_CONNECTION);
    if (!usable) return (await raw.query(text, values)) as QueryResult;
    state.prepared.add(name);
    try {
      return (await raw.query({ name, text, values })) as QueryResult;
    } catch (err) {
      if (!isStalePlan(err)) throw err;
      // Never use this name again on this connection; outside a transaction, run the query unnamed now.
      state.stale.add(name);
      if (raw.getTransactionStatus?.() !== 'I') throw err;
      return (await raw.query(text, values)) as QueryResult;
    }
  };
  return {
    // Kysely calls query(text, values) for queries and query(cursor) for streams: the latter pass through.
    query: ((config: unknown, values?: readonly unknown[]) =>
      typeof config === 'string'
        ? query(config, values)
        : raw.query(config, values)) as PostgresPoolClient['query'],
    release: (destroy?: boolean) => client.release(destroy),
  };
}

/** The pool as Kysely's PostgresDialect takes it, naming statements on every connection it hands out. */
export function preparingPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    connect: async () => {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) {
        w = wrapClient(client);
        wrapped.set(client, w);
      }
      return w;
    },
    end: () => pool.end(),
  };
}
