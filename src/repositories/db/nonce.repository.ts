// Nonces seen on signed Tencent requests (v1 and legacy v2 signatures), to refuse replays.
import type { Db } from './database.js';

export class NonceRepository {
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

  /** Deletes every nonce seen before `before` (uses the seen_at index). */
  async purgeSeenBefore(before: string): Promise<number> {
    const result = await this.db.kysely
      .deleteFrom('used_nonces')
      .where('seen_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
