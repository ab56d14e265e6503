// Keystone tokens, stored only as the sha256 of the token. Any node sharing the database can validate them.
import type { Db } from './database.js';
import {
  deleteExpiredCredentials,
  revokeAccountCredentials,
  revokeCredential,
} from './revocable-credentials.js';

export interface StoredToken {
  tokenHash: string;
  accountId: string;
  auditId: string;
  methods: string[];
  issuedAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

export interface TokenRepository {
  insert(token: Omit<StoredToken, 'revokedAt'>): Promise<void>;
  findByHash(tokenHash: string): Promise<StoredToken | null>;
  /** Marks one token revoked; false when it does not exist or was already revoked. */
  revoke(tokenHash: string, now: string): Promise<boolean>;
  revokeAllForAccount(accountId: string, now: string): Promise<number>;
  /** Removes tokens that expired before `before`; returns how many. */
  deleteExpired(before: string): Promise<number>;
}

export class KyselyTokenRepository implements TokenRepository {
  constructor(private readonly db: Db) {}

  async insert(token: Omit<StoredToken, 'revokedAt'>): Promise<void> {
    await this.db.kysely
      .insertInto('tokens')
      .values({
        token_hash: token.tokenHash,
        account_id: token.accountId,
        audit_id: token.auditId,
        methods: token.methods.join(','),
        issued_at: token.issuedAt,
        expires_at: token.expiresAt,
        revoked_at: null,
      })
      .execute();
  }

  async findByHash(tokenHash: string): Promise<StoredToken | null> {
    const row = await this.db.kysely
      .selectFrom('tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row) return null;
    return {
      tokenHash: row.token_hash,
      accountId: row.account_id,
      auditId: row.audit_id,
      methods: row.methods.split(',').filter(Boolean),
      issuedAt: row.issued_at,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
    };
  }

  revoke(tokenHash: string, now: string): Promise<boolean> {
    return revokeCredential(this.db, 'tokens', tokenHash, now);
  }

  revokeAllForAccount(accountId: string, now: string): Promise<number> {
    return revokeAccountCredentials(this.db, 'tokens', accountId, now);
  }

  deleteExpired(before: string): Promise<number> {
    return deleteExpiredCredentials(this.db, 'tokens', before);
  }
}
