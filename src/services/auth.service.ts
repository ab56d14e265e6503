// Authentication: password logins that issue tokens, and token checks for every surface.
// Tokens are 32 random bytes (base64url); only their sha256 is stored, so a database leak yields no usable
// token. Every failure (wrong password, unknown user, disabled account, expired or revoked token) is the same
// Unauthenticated error, with no hint which part was wrong.
import { createHash, randomBytes } from 'node:crypto';
import { fail } from '../domain/errors.js';
import { isAccountId } from '../domain/ids.js';
import type { Account, Caller } from '../domain/types.js';
import type { AccountRecord, AccountRepository } from '../repositories/db/account.repository.js';
import type { LoginCounter, LoginFailureRepository } from '../repositories/db/login-failure.repository.js';
import type { TokenRepository } from '../repositories/db/token.repository.js';
import { MAX_PASSWORD_LENGTH, dummyPasswordHash, verifyPassword } from './passwords.js';
import { publicAccount } from './public-account.js';
import { TokenCache } from './token-cache.js';

/** Longest token string we even look at (ours are 43 characters). */
const MAX_TOKEN_LENGTH = 512;
const MAX_REFERENCE_LENGTH = 255;

export interface AuthSettings {
  tokenTtlSeconds: number;
  /** Failed logins to one account from one address (the limit a guesser meets first). */
  maxFailuresPerAccountAddress: number;
  /** Failed logins from one address, to any accounts. */
  maxFailuresPerAddress: number;
  /** Failed logins to one account from all addresses together: a ceiling for distributed guessing only. */
  maxFailuresPerAccount: number;
  windowSeconds: number;
}

/** A domain reference as Keystone clients send it: `{"id":"default"}` or `{"name":"Default"}`. */
export interface DomainRef {
  id?: string;
  name?: string;
}

export interface PasswordLogin {
  user: { id?: string; name?: string; domain?: DomainRef };
  password: string;
  /** Project scope; absent means unscoped, which is scoped to the account's own project. */
  project?: { id?: string; name?: string; domain?: DomainRef };
  /** The client's address, for the per-address failure limit. */
  clientAddress: string;
}

export interface TokenInfo {
  account: Account;
  auditId: string;
  methods: string[];
  issuedAt: string;
  expiresAt: string;
}

export interface IssuedToken extends TokenInfo {
  token: string;
}

/** The one domain there is. Accounts live in it; its ID is `default` and its name `Default`. */
export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' } as const;

export function isDefaultDomain(ref: DomainRef | undefined): boolean {
  if (!ref) return true;
  if (ref.id !== undefined) return ref.id === DEFAULT_DOMAIN.id;
  if (ref.name !== undefined) return ref.name === DEFAULT_DOMAIN.name;
  return false;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function unauthenticated(): Error {
  return fail('Unauthenticated', 'The request you have made requires authentication.');
}

export class AuthService {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly tokens: TokenRepository,
    private readonly failures: LoginFailureRepository,
    private readonly settings: AuthSettings,
    /** Issuing a token or a session is a write of the account: it takes from the account's write limit. */
    private readonly writeLimits: { take(accountId: string): void } = { take: () => undefined },
    private readonly clock: () => number = Date.now,
    /** Valid tokens seen a moment ago (see TokenCache for the staleness bound); off unless given. */
    private readonly cache: TokenCache = new TokenCache(0),
  ) {}

  /**
   * The check every authenticated request makes: the token must exist, be neither expired nor revoked,
   * and belong to an account that is not disabled. Throws DomainError('Unauthenticated') otherwise.
   */
  async authenticate(token: string | undefined): Promise<Caller> {
    const info = await this.lookup(token);
    if (!info) throw unauthenticated();
    return { accountId: info.account.id, isAdmin: info.account.isAdmin };
  }

  /** The token's details, or null when it is unknown, expired, revoked or its account disabled. */
  async lookup(token: string | undefined): Promise<TokenInfo | null> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    const tokenHash = hashToken(token);
    const cached = this.cache.get(tokenHash);
    if (cached) return cached;
    const stored = await this.tokens.findByHash(tokenHash);
    if (!stored || stored.revokedAt !== null) return null;
    if (Date.parse(stored.expiresAt) <= this.clock()) return null;
    const record = await this.accounts.findById(stored.accountId);
    if (!record || record.disabledAt !== null) return null;
    const info: TokenInfo = {
      account: publicAccount(record),
      auditId: stored.auditId,
      methods: stored.methods,
      issuedAt: stored.issuedAt,
      expiresAt: stored.expiresAt,
    };
    this.cache.set(tokenHash, info);
    return info;
  }

  /**
   * Password login, under the failed-login limits (see checkPassword). While limited, even a right password is
   * refused with RateLimited (details.retryAfterSeconds).
   */
  async login(input: PasswordLogin): Promise<IssuedToken> {
    const record = await this.checkPassword(input);
    this.writeLimits.take(record.id);
    return this.issue(record, ['password']);
  }

  /** Takes one write from the account's write limit (for the console's sessions, issued elsewhere). */
  takeWrite(accountId: string): void {
    this.writeLimits.take(accountId);
  }

  /**
   * The password check behind every login (Keystone tokens, console sessions). Returns the account, or throws
   * Unauthenticated or RateLimited.
   *
   * Failed attempts are counted in fixed windows per (account, address) pair and per address, and only the
   * attempts those two let through count against the account's own ceiling. So a guesser at one address
   * meets its pair limit long before the account's ceiling, and cannot lock the user out from the user's
   * addresses: only many addresses together (distributed guessing) reach the ceiling. An attempt counts before
   * the password is checked, so parallel guesses cannot slip past a limit; a success takes its counts back.
   */
  async checkPassword(input: PasswordLogin): Promise<AccountRecord> {
    const password = input.password;
    if (typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) throw unauthenticated();

    const record = await this.findUser(input.user);
    const who = record
      ? record.id
      : `user:${hashToken(JSON.stringify([input.user.id ?? null, input.user.name ?? null]))}`;
    const address = String(input.clientAddress).slice(0, 100);
    const keys = loginFailureKeys(who, address);

    const nowMs = this.clock();
    const now = new Date(nowMs).toISOString();
    const cutoff = new Date(nowMs - this.settings.windowSeconds * 1000).toISOString();
    const byPair = await this.failures.hit(keys.pair, now, cutoff);
    const byAddress = await this.failures.hit(keys.address, now, cutoff);
    this.refuseOverLimits(nowMs, [
      [byPair, this.settings.maxFailuresPerAccountAddress],
      [byAddress, this.settings.maxFailuresPerAddress],
    ]);
    const byAccount = await this.failures.hit(keys.account, now, cutoff);
    this.refuseOverLimits(nowMs, [[byAccount, this.settings.maxFailuresPerAccount]]);

    // Verify even when there is no such user, against a dummy hash, so timing tells nothing.
    const ok = await verifyPassword(password, record?.passwordHash ?? (await dummyPasswordHash()));
    if (!record || !ok || record.disabledAt !== null || !this.projectMatches(record, input.project)) {
      throw unauthenticated();
    }

    await this.failures.clear(keys.pair);
    await this.failures.undo(keys.address);
    await this.failures.undo(keys.account);
    return record;
  }

  /**
   * Clears an account's failed-login counters: its ceiling and every (account, address) pair. The operator's
   * `imageshare account unlock ID`; per-address counters stay (they belong to the addresses, not the account).
   */
  async unlock(accountId: string): Promise<{ addressPairs: number }> {
    const keys = loginFailureKeys(accountId, '');
    await this.failures.clear(keys.account);
    return { addressPairs: await this.failures.clearPrefix(keys.pairPrefix) };
  }

  /** Throws RateLimited when a counter is over its limit; Retry-After is when the last such window ends. */
  private refuseOverLimits(nowMs: number, counters: Array<[LoginCounter, number]>): void {
    const ends = counters
      .filter(([counter, limit]) => counter.failures > limit)
      .map(([counter]) => Date.parse(counter.windowStart) + this.settings.windowSeconds * 1000);
    if (ends.length === 0) return;
    const retryAfterSeconds = Math.max(1, Math.ceil((Math.max(...ends) - nowMs) / 1000));
    throw fail('RateLimited', 'Too many failed login attempts; try again later.', { retryAfterSeconds });
  }

  /** Revokes a token. Returns false when the token is unknown, expired or already revoked. */
  async revoke(token: string): Promise<boolean> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return false;
    const info = await this.lookup(token);
    if (!info) return false;
    this.cache.forget(hashToken(token));
    return this.tokens.revoke(hashToken(token), new Date(this.clock()).toISOString());
  }

  /** Deletes expired tokens and finished failure counters; safe to run from any node at any time. */
  async purgeExpired(): Promise<{ tokens: number; counters: number }> {
    const nowMs = this.clock();
    const tokens = await this.tokens.deleteExpired(new Date(nowMs).toISOString());
    const counters = await this.failures.deleteStale(
      new Date(nowMs - this.settings.windowSeconds * 1000).toISOString(),
    );
    return { tokens, counters };
  }

  private async findUser(user: PasswordLogin['user']): Promise<AccountRecord | null> {
    if (!user || !isDefaultDomainForUser(user)) return null;
    if (typeof user.id === 'string') {
      return isAccountId(user.id) ? this.accounts.findById(user.id) : null;
    }
    if (typeof user.name === 'string' && user.name.length > 0 && user.name.length <= MAX_REFERENCE_LENGTH) {
      return this.accounts.findByName(user.name);
    }
    return null;
  }

  /** The only project an account may scope to is its own (same ID and name). */
  private projectMatches(record: AccountRecord, project: PasswordLogin['project']): boolean {
    if (!project) return true;
    if (typeof project.id === 'string') return project.id === record.id;
    if (typeof project.name === 'string')
      return project.name === record.name && isDefaultDomain(project.domain);
    return false;
  }

  private async issue(record: AccountRecord, methods: string[]): Promise<IssuedToken> {
    const token = randomBytes(32).toString('base64url');
    const nowMs = this.clock();
    const issuedAt = new Date(nowMs).toISOString();
    const expiresAt = new Date(nowMs + this.settings.tokenTtlSeconds * 1000).toISOString();
    const auditId = randomBytes(16).toString('base64url');
    await this.tokens.insert({
      tokenHash: hashToken(token),
      accountId: record.id,
      auditId,
      methods,
      issuedAt,
      expiresAt,
    });
    return { token, account: publicAccount(record), auditId, methods, issuedAt, expiresAt };
  }
}

/**
 * The counters one login attempt touches. `who` is an account ID, or `user:<hash>` for a reference to no
 * account (so guessing at names is limited the same way).
 */
export function loginFailureKeys(who: string, address: string) {
  return {
    account: `account:${who}`,
    address: `addr:${address}`,
    pair: `pair:${who}@${address}`,
    pairPrefix: `pair:${who}@`,
  };
}

/** A user given by ID needs no domain; one given by name must be in the Default domain. */
function isDefaultDomainForUser(user: PasswordLogin['user']): boolean {
  if (typeof user.id === 'string') return user.domain === undefined || isDefaultDomain(user.domain);
  return user.domain !== undefined && isDefaultDomain(user.domain);
}
