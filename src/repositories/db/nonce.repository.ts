// Replay protection for signed Tencent requests: nonces seen (v1 and legacy v2 signatures), and TC3 signatures
// bound to the action, region and version they were first used with.
import type { Db } from './database.js';

/** Replay protection as the service uses it; KyselyNonceRepository keeps it in the database. */
export interface NonceRepository {
  /** Records (secretId, nonce) as seen; false when it was already seen at or after `expiredBefore` (a replay). */
  remember(secretId: string, nonce: string, seenAt: string, expiredBefore: string): Promise<boolean>;
  /** Binds a TC3 signature to `binding` unless a live binding exists; returns the binding in force. */
  bindSignature(
    signature: string,
    binding: string,
    seenAt: string,
    expiredBefore: string,
  ): Promise<{ binding: string; seenAt: string } | undefined>;
  purgeSeenBefore(before: string): Promise<number>;
}

export class KyselyNonceRepository implements NonceRepository {
  constructor(private readonly db: Db) {}

  /**
   * Records (secretId, nonce) as seen at `seenAt`; false when it was already seen at or after `expiredBefore`
   * (a replay). An older sighting has expired and is replaced. The insert is `on conflict do nothing` on the
   * primary key, so of two concurrent requests with one nonce exactly one succeeds, on every node.
   */
  async remember(secretId: string, nonce: string, seenAt: string, expiredBefore: string): Promise<boolean> {
    await this.db.kysely
      .deleteFrom('used_nonces')
      .where('secret_id', '=', secretId)
      .where('nonce', '=', nonce)
      .where('seen_at', '<', expiredBefore)
      .execute();
    const result = await this.db.kysely
      .insertInto('used_nonces')
      .values({ secret_id: secretId, nonce, seen_at: seenAt })
      .onConflict((oc) => oc.columns(['secret_id', 'nonce']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /**
   * Binds a TC3 signature to `binding` at `seenAt` unless it is bound already (a sighting before
   * `expiredBefore` has expired and is replaced); returns the binding in force and when it was made. The first
   * insert wins on every node (primary key).
   */
  async bindSignature(
    signature: string,
    binding: string,
    seenAt: string,
    expiredBefore: string,
  ): Promise<{ binding: string; seenAt: string } | undefined> {
    // A live binding answers without a write: the delete below would remove nothing and the insert would do
    // nothing. Every repeat of a signature (an SDK client sends the same one for a whole second) then costs one
    // read instead of two writes, which on SQLite also serialised every worker and node behind the write lock.
    const live = await this.db.kysely
      .selectFrom('tc3_signature_bindings')
      .select(['binding', 'seen_at'])
      .where('signature', '=', signature)
      .where('seen_at', '>=', expiredBefore)
      .executeTakeFirst();
    if (live) return { binding: live.binding, seenAt: live.seen_at };
    await this.db.kysely
      .deleteFrom('tc3_signature_bindings')
      .where('signature', '=', signature)
      .where('seen_at', '<', expiredBefore)
      .execute();
    await this.db.kysely
      .insertInto('tc3_signature_bindings')
      .values({ signature, binding, seen_at: seenAt })
      .onConflict((oc) => oc.column('signature').doNothing())
      .execute();
    const row = await this.db.kysely
      .selectFrom('tc3_signature_bindings')
      .select(['binding', 'seen_at'])
      .where('signature', '=', signature)
      .executeTakeFirst();
    return row && { binding: row.binding, seenAt: row.seen_at };
  }

  /** Deletes every nonce and TC3 binding seen before `before` (uses the seen_at indexes). */
  async purgeSeenBefore(before: string): Promise<number> {
    const result = await this.db.kysely
      .deleteFrom('used_nonces')
      .where('seen_at', '<', before)
      .executeTakeFirst();
    const bindings = await this.db.kysely
      .deleteFrom('tc3_signature_bindings')
      .where('seen_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows) + Number(bindings.numDeletedRows);
  }
}
