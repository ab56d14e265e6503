// Keystone tokens found valid a moment ago (ShortLivedCache: the bound and why it is safe). A token revoked,
// its account disabled or its password changed through this process is forgotten at once (AuthService.revoke
// and AccountService call forget / forgetAccount); through another process it is still accepted here for at
// most `tokens.cacheSeconds` (default 2 s; 0 turns the cache off). Expiry is checked on every use, against the
// stored expiry time, so an expired token is never served from the cache.
import type { TokenInfo } from './auth.service.js';
import { ShortLivedCache } from './short-lived-cache.js';

export class TokenCache extends ShortLivedCache<TokenInfo> {
  /** The token's details when read from the database less than `ttlMs` ago and not expired since. */
  override get(tokenHash: string): TokenInfo | null {
    return super.get(tokenHash, (info, now) => Date.parse(info.expiresAt) > now);
  }

  /** Drops every token of the account (disabled, password changed, all tokens revoked). */
  forgetAccount(accountId: string): void {
    this.forgetWhere((info) => info.account.id === accountId);
  }
}
