// Accounts: one account is one Keystone user and one project with the same ID and name.
// Every write goes through the account repository; passwords are stored only as scrypt hashes.
import { fail } from '../domain/errors.js';
import { isAccountId, newAccountId } from '../domain/ids.js';
import { isoNow, systemClock } from './clock.js';
import type { Account } from '../domain/types.js';
import type { AccountRepository } from '../repositories/db/account.repository.js';
import type { TokenRepository } from '../repositories/db/token.repository.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, generatePassword, hashPassword } from './passwords.js';
import type { TokenCache } from './token-cache.js';
import { publicAccount } from './public-account.js';

export const MAX_ACCOUNT_NAME_LENGTH = 64;
// Letters, digits and . _ @ -; starts with a letter or digit; not all digits (that would read as an ID).
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;

export interface CreateAccountInput {
  name: string;
  /** Numeric ID; generated when absent. */
  id?: string;
  /** Generated when absent (and then returned once). */
  password?: string;
  isAdmin?: boolean;
}

export interface CreatedAccount {
  account: Account;
  /** The password, when it was generated here; null when the caller supplied it. */
  generatedPassword: string | null;
}

export interface ListAccountsOptions {
  includeDisabled?: boolean;
  limit?: number;
}

export function validateAccountName(name: string): void {
  if (typeof name !== 'string' || name.length < 1 || name.length > MAX_ACCOUNT_NAME_LENGTH) {
    throw fail('InvalidInput', `account name must be 1 to ${MAX_ACCOUNT_NAME_LENGTH} characters`);
  }
  if (!NAME_PATTERN.test(name) || /^[0-9]+$/.test(name)) {
    throw fail('InvalidInput', 'account name may use letters, digits and . _ @ - and must not be all digits');
  }
}

export function validatePassword(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw fail('InvalidInput', `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw fail('InvalidInput', `password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
}

export class AccountService {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly tokens: TokenRepository,
    /** Console sessions end with the account's tokens (password change, disable). */
    private readonly sessions?: Pick<TokenRepository, 'revokeAllForAccount'>,
    /** This process's credential caches (tokens, API keys) forget the account's at once (others: their bound). */
    private readonly tokenCache?: Pick<TokenCache, 'forgetAccount'>,
  ) {}

  /** Every credential issued on a password (Keystone tokens, console sessions) stops working. */
  private async revokeCredentials(id: string, now: string): Promise<void> {
    await this.tokens.revokeAllForAccount(id, now);
    this.tokenCache?.forgetAccount(id);
    await this.sessions?.revokeAllForAccount(id, now);
  }

  async get(id: string): Promise<Account | null> {
    if (!isAccountId(id)) return null;
    const record = await this.accounts.findById(id);
    return record ? publicAccount(record) : null;
  }

  async getByName(name: string): Promise<Account | null> {
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_ACCOUNT_NAME_LENGTH) return null;
    const record = await this.accounts.findByName(name);
    return record ? publicAccount(record) : null;
  }

  /** True for an existing account that is not disabled (the sharing rules use this). */
  async exists(id: string): Promise<boolean> {
    const account = await this.get(id);
    return account !== null && account.disabledAt === null;
  }

  async create(input: CreateAccountInput): Promise<CreatedAccount> {
    validateAccountName(input.name);
    if (input.id !== undefined && !isAccountId(input.id)) {
      throw fail('InvalidInput', 'account ID must be 5 to 20 digits, not starting with 0');
    }
    if (input.password !== undefined) validatePassword(input.password);
    const password = input.password ?? generatePassword();
    const passwordHash = await hashPassword(password);
    const createdAt = isoNow(systemClock);

    // A generated ID may collide with an existing one (10 random digits); try a few more.
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = input.id ?? newAccountId();
      const outcome = await this.accounts.insert({
        id,
        name: input.name,
        passwordHash,
        isAdmin: input.isAdmin ?? false,
        createdAt,
      });
      if (outcome === 'ok') {
        const account: Account = {
          id,
          name: input.name,
          isAdmin: input.isAdmin ?? false,
          createdAt,
          updatedAt: createdAt,
          disabledAt: null,
        };
        return { account, generatedPassword: input.password === undefined ? password : null };
      }
      if (outcome === 'name-taken') throw fail('Conflict', `an account named "${input.name}" already exists`);
      if (input.id !== undefined) throw fail('Conflict', `an account with ID ${input.id} already exists`);
    }
    throw fail('Conflict', 'could not allocate an account ID; try again');
  }

  async list(options: ListAccountsOptions = {}): Promise<Account[]> {
    const limit = Math.min(Math.max(options.limit ?? 1000, 1), 10000);
    return this.accounts.list({ includeDisabled: options.includeDisabled ?? true, limit });
  }

  /** Disables an account and revokes its tokens and console sessions. Disabling twice is allowed. */
  async disable(id: string): Promise<Account> {
    const record = isAccountId(id) ? await this.accounts.findById(id) : null;
    if (!record) throw fail('AccountNotFound', `no account with ID ${id}`);
    const now = isoNow(systemClock);
    if (record.disabledAt === null) await this.accounts.setDisabled(id, now, now);
    await this.revokeCredentials(id, now);
    return (await this.get(id)) as Account;
  }

  async enable(id: string): Promise<Account> {
    const record = isAccountId(id) ? await this.accounts.findById(id) : null;
    if (!record) throw fail('AccountNotFound', `no account with ID ${id}`);
    if (record.disabledAt !== null) await this.accounts.setDisabled(id, null, isoNow(systemClock));
    return (await this.get(id)) as Account;
  }

  /** Sets a new password (generated when absent, then returned) and revokes the account's tokens and sessions. */
  async setPassword(id: string, password?: string): Promise<{ generatedPassword: string | null }> {
    if (password !== undefined) validatePassword(password);
    const record = isAccountId(id) ? await this.accounts.findById(id) : null;
    if (!record) throw fail('AccountNotFound', `no account with ID ${id}`);
    const value = password ?? generatePassword();
    const now = isoNow(systemClock);
    await this.accounts.setPasswordHash(id, await hashPassword(value), now);
    await this.revokeCredentials(id, now);
    return { generatedPassword: password === undefined ? value : null };
  }

  /**
   * First start: when the database has no account at all, creates the admin account from the configured
   * ID/name/password (generating what is empty). Returns null when accounts already exist. Safe when several
   * nodes start at once on an empty database: the loser of the race sees a conflict and returns null.
   */
  async bootstrapAdmin(input: {
    id: string;
    name: string;
    password: string;
  }): Promise<CreatedAccount | null> {
    if ((await this.accounts.count()) > 0) return null;
    try {
      return await this.create({
        name: input.name || 'admin',
        ...(input.id ? { id: input.id } : {}),
        ...(input.password ? { password: input.password } : {}),
        isAdmin: true,
      });
    } catch (err) {
      if (err instanceof Error && 'code' in err && err.code === 'Conflict') return null;
      throw err;
    }
  }
}
