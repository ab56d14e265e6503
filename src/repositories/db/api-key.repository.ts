// API key pairs (Tencent SecretId/SecretKey). Only the sealed secret is stored; see services/secret-box.ts.
import type { Db } from './database.js';
import type { ApiKeyRow } from './schema.js';

export interface ActiveApiKey {
  secretId: string;
  accountId: string;
  isAdmin: boolean;
  secretKeyEncrypted: string;
}

/** The API keys as the service uses them; KyselyApiKeyRepository stores them in the database. */
export interface ApiKeyRepository {
  /**
   * Inserts a key unless the account already holds `maxPerAccount` keys (disabled ones count), never exceeding
   * the limit under concurrent creations.
   */
  insertWithinLimit(row: ApiKeyRow, maxPerAccount: number): Promise<'ok' | 'limit' | 'account-not-found'>;
  accountExists(accountId: string): Promise<boolean>;
  listByAccount(accountId: string): Promise<ApiKeyRow[]>;
  /** An enabled key of an enabled account, or undefined. */
  findActive(secretId: string): Promise<ActiveApiKey | undefined>;
  /** Enables a key of the account again; false when the account has no such key. */
  enable(accountId: string, secretId: string): Promise<boolean>;
  /** Disables the account's key if it is still enabled; false when no such key exists. */
  disable(accountId: string, secretId: string, at: string): Promise<boolean>;
  delete(accountId: string, secretId: string): Promise<boolean>;
}

export class KyselyApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly db: Db) {}

  /**
   * Inserts a key unless the account already holds `maxPerAccount` keys (disabled ones count: deleting frees a
   * slot). The count and the insert run in one transaction holding the account row's lock on PostgreSQL
   * (`for update`), and SQLite serialises writers, so concurrent creations can never exceed the limit.
   * Returns 'account-not-found' | 'limit' | 'ok'.
   */
  async insertWithinLimit(
    row: ApiKeyRow,
    maxPerAccount: number,
  ): Promise<'ok' | 'limit' | 'account-not-found'> {
    return this.db.kysely.transaction().execute(async (trx) => {
      let accountQuery = trx.selectFrom('accounts').select('id').where('id', '=', row.account_id);
      if (this.db.dialect === 'postgres') accountQuery = accountQuery.forUpdate();
      const account = await accountQuery.executeTakeFirst();
      if (!account) return 'account-not-found';
      const { count } = await trx
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('account_id', '=', row.account_id)
        .executeTakeFirstOrThrow();
      if (Number(count) >= maxPerAccount) return 'limit';
      await trx.insertInto('api_keys').values(row).execute();
      return 'ok';
    });
  }

  async accountExists(accountId: string): Promise<boolean> {
    const row = await this.db.kysely
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', accountId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async listByAccount(accountId: string): Promise<ApiKeyRow[]> {
    return this.db.kysely
      .selectFrom('api_keys')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .orderBy('secret_id')
      .execute();
  }

  /** An enabled key of an enabled account, or undefined. */
  async findActive(secretId: string): Promise<ActiveApiKey | undefined> {
    const row = await this.db.kysely
      .selectFrom('api_keys')
      .innerJoin('accounts', 'accounts.id', 'api_keys.account_id')
      .select([
        'api_keys.secret_id as secretId',
        'api_keys.account_id as accountId',
        'api_keys.secret_key_encrypted as secretKeyEncrypted',
        'accounts.is_admin as isAdmin',
      ])
      .where('api_keys.secret_id', '=', secretId)
      .where('api_keys.disabled_at', 'is', null)
      .where('accounts.disabled_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    return { ...row, isAdmin: Number(row.isAdmin) === 1 };
  }

  /** Sets disabled_at on the account's key if it is still enabled; false when no such key exists. */
  /** Enables a key of the account again; false when the account has no such key. */
  async enable(accountId: string, secretId: string): Promise<boolean> {
    const result = await this.db.kysely
      .updateTable('api_keys')
      .set({ disabled_at: null })
      .where('secret_id', '=', secretId)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async disable(accountId: string, secretId: string, at: string): Promise<boolean> {
    const found = await this.db.kysely
      .selectFrom('api_keys')
      .select('disabled_at')
      .where('secret_id', '=', secretId)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    if (!found) return false;
    await this.db.kysely
      .updateTable('api_keys')
      .set({ disabled_at: at })
      .where('secret_id', '=', secretId)
      .where('account_id', '=', accountId)
      .where('disabled_at', 'is', null)
      .execute();
    return true;
  }

  async delete(accountId: string, secretId: string): Promise<boolean> {
    const result = await this.db.kysely
      .deleteFrom('api_keys')
      .where('secret_id', '=', secretId)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
