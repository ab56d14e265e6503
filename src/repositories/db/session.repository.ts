// Web console sessions, stored only as the sha256 of the session token (like Keystone tokens), so any node
// sharing the database can check a session and a leaked table holds no usable one.
import type { Db } from './database.js';
import {
  deleteExpiredCredentials,
  revokeAccountCredentials,
  revokeCredential,
} from './revocable-credentials.js';

export interface StoredSession {
  tokenHash: string;
  accountId: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  /** When the session was last used; null for sessions older than this column (their login counts). */
  lastSeenAt: string | null;
}

export interface SessionRepository {
  insert(
    session: Omit<StoredSession, 'revokedAt' | 'lastSeenAt'> & { clientAddress: string | null },
  ): Promise<void>;
  findByHash(tokenHash: string): Promise<StoredSession | null>;
  /** Records a use at `now`, unless one at or after `unlessSince` is recorded already (fewer writes). */
  touch(tokenHash: string, now: string, unlessSince: string): Promise<void>;
  revoke(tokenHash: string, now: string): Promise<boolean>;
  revokeAllForAccount(accountId: string, now: string): Promise<number>;
  deleteExpired(before: string): Promise<number>;
}

export class KyselySessionRepository implements SessionRepository {
  constructor(private readonly db: Db) {}

  async insert(
    session: Omit<StoredSession, 'revokedAt' | 'lastSeenAt'> & { clientAddress: string | null },
  ): Promise<void> {
    await this.db.kysely
      .insertInto('console_sessions')
      .values({
        token_hash: session.tokenHash,
        account_id: session.accountId,
        created_at: session.createdAt,
        expires_at: session.expiresAt,
        revoked_at: null,
        client_address: session.clientAddress,
        last_seen_at: session.createdAt,
      })
      .execute();
  }

  async touch(tokenHash: string, now: string, unlessSince: string): Promise<void> {
    await this.db.kysely
      .updateTable('console_sessions')
      .set({ last_seen_at: now })
      .where('token_hash', '=', tokenHash)
      .where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', unlessSince)]))
      .execute();
  }

  async findByHash(tokenHash: string): Promise<StoredSession | null> {
    const row = await this.db.kysely
      .selectFrom('console_sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row) return null;
    return {
      tokenHash: row.token_hash,
      accountId: row.account_id,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      lastSeenAt: row.last_seen_at,
    };
  }

  revoke(tokenHash: string, now: string): Promise<boolean> {
    return revokeCredential(this.db, 'console_sessions', tokenHash, now);
  }

  revokeAllForAccount(accountId: string, now: string): Promise<number> {
    return revokeAccountCredentials(this.db, 'console_sessions', accountId, now);
  }

  deleteExpired(before: string): Promise<number> {
    return deleteExpiredCredentials(this.db, 'console_sessions', before);
  }
}
