// A short-lived, per-process memory of tokens that were valid a moment ago, so that a client sending the same
// token many times a second costs one database lookup per `ttlMs` instead of two queries per request.
//
// The bound, and why it is safe: a token revoked (or its account disabled, or its password changed) through
// THIS process is forgotten at once (AuthService.revoke and AccountService call forget/forgetAccount). One
// revoked through ANY OTHER process (another worker of a cluster, another node, the CLI) is still accepted
// here for at most `ttlMs` after this process last read it from the database: `tokens.cacheSeconds`
// (default 2 s; 0 turns the cache off). Expiry is checked on every use, against the stored expiry time, so
// an expired token is never served from the cache. Only valid tokens are kept (an unknown token is not, so
// guessing cannot fill the memory), at most `maxEntries` of them.
import type { TokenInfo } from './auth.service.js';

interface Entry {
  info: TokenInfo;
  /** Clock time after which the database must be asked again. */
  freshUntil: number;
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly clock: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** The token's details when read from the database less than `ttlMs` ago and not expired since. */
  get(tokenHash: string): TokenInfo | null {
    const entry = this.entries.get(tokenHash);
    if (!entry) return null;
    const now = this.clock();
    if (now >= entry.freshUntil || Date.parse(entry.info.expiresAt) <= now) {
      this.entries.delete(tokenHash);
      return null;
    }
    return entry.info;
  }

  set(tokenHash: string, info: TokenInfo): void {
    if (!this.enabled) return;
    // Oldest first out: a Map iterates in insertion order, so the first key is the longest-cached token.
    if (this.entries.size >= this.maxEntries && !this.entries.has(tokenHash)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.delete(tokenHash);
    this.entries.set(tokenHash, { info, freshUntil: this.clock() + this.ttlMs });
  }

  forget(tokenHash: string): void {
    this.entries.delete(tokenHash);
  }

  /** Drops every token of the account (disabled, password changed, all tokens revoked). */
  forgetAccount(accountId: string): void {
    for (const [hash, entry] of this.entries) {
      if (entry.info.account.id === accountId) this.entries.delete(hash);
    }
  }
}
