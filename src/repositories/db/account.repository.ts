// Accounts: one row per account (= Keystone user + project). The only place that reads or writes `accounts`.
import type { Db } from './database.js';
import type { AccountRow } from './schema.js';
import { fixedStatement } from './statement-shapes.js';
import type { Account } from '../../domain/types.js';

export interface AccountRecord extends Account {
  passwordHash: string;
}

export interface NewAccount {
  id: string;
  name: string;
  passwordHash: string;
  isAdmin: boolean;
  createdAt: string;
}

export interface AccountRepository {
  findById(id: string): Promise<AccountRecord | null>;
  findByName(name: string): Promise<AccountRecord | null>;
  /** Inserts; returns false when the id or the name is already taken. */
  insert(account: NewAccount): Promise<'ok' | 'id-taken' | 'name-taken'>;
  list(options: { includeDisabled: boolean; limit: number }): Promise<Account[]>;
  count(): Promise<number>;
  setDisabled(id: string, disabledAt: string | null, now: string): Promise<boolean>;
  setPasswordHash(id: string, passwordHash: string, now: string): Promise<boolean>;
}

function toRecord(row: AccountRow): AccountRecord {
  return {
    id: row.id,
    name: row.name,
    isAdmin: row.is_admin === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    disabledAt: row.disabled_at,
    passwordHash: row.password_hash,
  };
}

function toAccount(row: AccountRow): Account {
  const { passwordHash: _omit, ...account } = toRecord(row);
  return account;
}

export class KyselyAccountRepository implements AccountRepository {
  constructor(private readonly db: Db) {}

  async findById(id: string): Promise<AccountRecord | null> {
    const kysely = this.db.kysely;
    const statement = fixedStatement(`account by id ${this.db.dialect}`, { id }, (v) =>
      kysely.selectFrom('accounts').selectAll().where('id', '=', v.id),
    );
    const row = (await kysely.executeQuery<AccountRow>(statement)).rows[0];
    return row ? toRecord(row) : null;
  }

  async findByName(name: string): Promise<AccountRecord | null> {
    const row = await this.db.kysely
      .selectFrom('accounts')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async insert(account: NewAccount): Promise<'ok' | 'id-taken' | 'name-taken'> {
    // ON CONFLICT DO NOTHING on either unique column, then tell which one clashed: no error-message parsing.
    const result = await this.db.kysely
      .insertInto('accounts')
      .values({
        id: account.id,
        name: account.name,
        password_hash: account.passwordHash,
        is_admin: account.isAdmin ? 1 : 0,
        created_at: account.createdAt,
        updated_at: account.createdAt,
        disabled_at: null,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 1) return 'ok';
    const byId = await this.findById(account.id);
    return byId ? 'id-taken' : 'name-taken';
  }

  async list(options: { includeDisabled: boolean; limit: number }): Promise<Account[]> {
    let query = this.db.kysely.selectFrom('accounts').selectAll();
    if (!options.includeDisabled) query = query.where('disabled_at', 'is', null);
    const rows = await query.orderBy('created_at').orderBy('id').limit(options.limit).execute();
    return rows.map(toAccount);
  }

  async count(): Promise<number> {
    const row = await this.db.kysely
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async setDisabled(id: string, disabledAt: string | null, now: string): Promise<boolean> {
    const result = await this.db.kysely
      .updateTable('accounts')
      .set({ disabled_at: disabledAt, updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async setPasswordHash(id: string, passwordHash: string, now: string): Promise<boolean> {
    const result = await this.db.kysely
      .updateTable('accounts')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
