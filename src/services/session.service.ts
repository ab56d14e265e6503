// Web console sessions: a password login (account ID or name) through the same check and failed-login
// limits as Keystone, giving a random session token that lives in an HttpOnly cookie. Only its sha256 is
// stored. A session ends at its expiry, after `idleSeconds` without use (the last use is stored with the
// session, so every node enforces it), at logout, and when the account's password changes or the account is
// disabled (AccountService revokes its sessions with its tokens). The CSRF token is derived from the session
// token, so it needs no storage and changes with every session.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { fail } from '../domain/errors.js';
import { isAccountId } from '../domain/ids.js';
import type { Account } from '../domain/types.js';
import type { AccountRepository } from '../repositories/db/account.repository.js';
import type { SessionRepository } from '../repositories/db/session.repository.js';
import type { AccountService } from './account.service.js';
import { hashToken, type AuthService } from './auth.service.js';
import { publicAccount } from './public-account.js';

/** Longest session token we even look at (ours are 43 characters). */
const MAX_SESSION_TOKEN_LENGTH = 128;
const MAX_LOGIN_LENGTH = 255;

export interface ConsoleSession {
  account: Account;
  csrfToken: string;
  expiresAt: string;
}

export interface StartedSession extends ConsoleSession {
  /** Goes into the cookie; never stored. */
  token: string;
}

export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`csrf:${sessionToken}`, 'utf8').digest('base64url');
}

function unauthenticated(): Error {
  return fail('Unauthenticated', 'Log in to continue.');
}

/** A session that ran out (idle or absolute): the console says "your session expired" rather than "log in". */
function sessionExpired(): Error {
  return fail('Unauthenticated', 'Your session expired. Log in again.', { reason: 'sessionExpired' });
}

/** A use is written at most this often (and at least ten times per idle period), not on every request. */
const MAX_TOUCH_INTERVAL_MS = 60_000;

export class SessionService {
  constructor(
    private readonly auth: AuthService,
    private readonly accountService: AccountService,
    private readonly accounts: AccountRepository,
    private readonly sessions: SessionRepository,
    private readonly settings: { ttlSeconds: number; idleSeconds: number },
    private readonly clock: () => number = Date.now,
  ) {}

  /** Logs in with an account ID (digits) or an account name (never all digits) and the password. */
  async login(input: { login: string; password: string; clientAddress: string }): Promise<StartedSession> {
    const login = input.login;
    if (typeof login !== 'string' || login.length === 0 || login.length > MAX_LOGIN_LENGTH)
      throw unauthenticated();
    const user = isAccountId(login) ? { id: login } : { name: login, domain: { id: 'default' } };
    const record = await this.auth.checkPassword({
      user,
      password: input.password,
      clientAddress: input.clientAddress,
    });
    this.auth.takeWrite(record.id);
    const token = randomBytes(32).toString('base64url');
    const nowMs = this.clock();
    const expiresAt = new Date(nowMs + this.settings.ttlSeconds * 1000).toISOString();
    await this.sessions.insert({
      tokenHash: hashToken(token),
      accountId: record.id,
      createdAt: new Date(nowMs).toISOString(),
      expiresAt,
      clientAddress: String(input.clientAddress).slice(0, 100),
    });
    return { token, account: publicAccount(record), csrfToken: csrfTokenFor(token), expiresAt };
  }

  /** The session's account, or Unauthenticated (unknown, expired, revoked, or the account disabled). */
  async authenticate(token: string | undefined): Promise<ConsoleSession> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_SESSION_TOKEN_LENGTH)
      throw unauthenticated();
    const tokenHash = hashToken(token);
    const stored = await this.sessions.findByHash(tokenHash);
    if (!stored || stored.revokedAt !== null) throw unauthenticated();
    const nowMs = this.clock();
    const idleMs = this.settings.idleSeconds * 1000;
    const lastSeenMs = Date.parse(stored.lastSeenAt ?? stored.createdAt);
    if (Date.parse(stored.expiresAt) <= nowMs || nowMs - lastSeenMs >= idleMs) throw sessionExpired();
    const record = await this.accounts.findById(stored.accountId);
    if (!record || record.disabledAt !== null) throw unauthenticated();
    const touchIntervalMs = Math.min(MAX_TOUCH_INTERVAL_MS, idleMs / 10);
    await this.sessions.touch(
      tokenHash,
      new Date(nowMs).toISOString(),
      new Date(nowMs - touchIntervalMs).toISOString(),
    );
    return { account: publicAccount(record), csrfToken: csrfTokenFor(token), expiresAt: stored.expiresAt };
  }

  /** True when `candidate` is the CSRF token of this session (compared in constant time). */
  csrfMatches(sessionToken: string, candidate: string | undefined): boolean {
    if (typeof candidate !== 'string' || candidate.length > 128) return false;
    const expected = Buffer.from(csrfTokenFor(sessionToken));
    const given = Buffer.from(candidate);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  async logout(token: string): Promise<void> {
    if (typeof token !== 'string' || token.length > MAX_SESSION_TOKEN_LENGTH) return;
    await this.sessions.revoke(hashToken(token), new Date(this.clock()).toISOString());
  }

  /**
   * Changes the password after checking the current one (a wrong one counts as a failed login), then
   * ends every session and token of the account, this one included.
   */
  async changePassword(
    account: Account,
    input: { currentPassword: string; newPassword: string; clientAddress: string },
  ): Promise<void> {
    await this.auth.checkPassword({
      user: { id: account.id },
      password: input.currentPassword,
      clientAddress: input.clientAddress,
    });
    await this.accountService.setPassword(account.id, input.newPassword);
  }

  async purgeExpired(): Promise<number> {
    return this.sessions.deleteExpired(new Date(this.clock()).toISOString());
  }
}
