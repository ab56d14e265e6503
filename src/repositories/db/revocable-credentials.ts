// Keystone tokens and console sessions are the same kind of row: a secret kept only as its sha256, owned by an
// account, with an expiry and a revocation time. Revoking and purging them is written once, here.
import type { Db } from './database.js';

/** The tables that hold hashed, revocable credentials (each has token_hash, account_id, expires_at, revoked_at). */
export type CredentialTable = 'tokens' | 'console_sessions';

/** Marks one credential revoked; false when it does not exist or was already revoked. */
export async function revokeCredential(
  db: Db,
  table: CredentialTable,
  tokenHash: string,
  now: string,
): Promise<boolean> {
  const result = await db.kysely
    .updateTable(table)
    .set({ revoked_at: now })
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Revokes every live credential of an account; returns how many. */
export async function revokeAccountCredentials(
  db: Db,
  table: CredentialTable,
  accountId: string,
  now: string,
): Promise<number> {
  const result = await db.kysely
    .updateTable(table)
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Removes credentials that expired before `before`; returns how many. */
export async function deleteExpiredCredentials(
  db: Db,
  table: CredentialTable,
  before: string,
): Promise<number> {
  const result = await db.kysely.deleteFrom(table).where('expires_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
