// Web console sessions, stored only as the sha256 of the session token (like Keystone tokens), so any node
// sharing the database can check a session and a leaked table holds no usable one.
import type { Db } from './database.js';

export interface StoredSession {
  tokenHash: string;
  accountId: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

export interface SessionRepository {
  insert(session: Omit<StoredSession, 'revokedAt'> & { clientAddress: string | null }): Promise<void>;
  findByHash(tokenHash: string): Promise<StoredSession | null>;
  revoke(tokenHash: string, now: string): Promise<boolean>;
  revokeAllForAccount(accountId: string, now: string): Promise<number>;
  deleteExpired(before: string): Promise<number>;
}

export class KyselySessionRepository implements SessionRepository {
  constructor(private readonly db: Db) {}

  async insert(session: Omit<StoredSession, 'revokedAt'> & { clientAddress: string | null }): Promise<void> {
    await this.db.kysely
      .insertInto('console_sessions')
      .values({
        token_hash: session.tokenHash,
        account_id: session.accountId,
        created_at: session.createdAt,
        expires_at: session.expiresAt,
        revoked_at: null,
        client_address: session.clientAddress,
      })
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
    };
  }

  async revoke(tokenHash: string, now: string): Promise<boolean> {
    const result = await this.db.kysely
      .updateTable('console_sessions')
      .set({ revoked_at: now })
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async revokeAllForAccount(accountId: string, now: string): Promise<number> {
    const result = await this.db.kysely
      .updateTable('console_sessions')
      .set({ revoked_at: now })
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async deleteExpired(before: string): Promise<number> {
    const result = await this.db.kysely
      .deleteFrom('console_sessions')
      .where('expires_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
