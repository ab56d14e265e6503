// API key pairs for the Tencent-style APIs: SecretId `AKID` + 32 alphanumerics, SecretKey 32 alphanumerics,
// both from a CSPRNG. The SecretKey is shown once (by create) and stored sealed (secret-box.ts); the signature
// verifiers get it back through resolve(). Nonces of signed requests are remembered here to refuse replays.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { fail } from '../domain/errors.js';
import { isAccountId } from '../domain/ids.js';
import { isoNow, systemClock } from './clock.js';
import type { ApiKeyRepository } from '../repositories/db/api-key.repository.js';
import type { NonceRepository } from '../repositories/db/nonce.repository.js';
import type { SecretBox } from './secret-box.js';
import { ShortLivedCache } from './short-lived-cache.js';

/**
 * Enabled API keys found a moment ago, by SecretId (ShortLivedCache: the bound). Disabling, enabling or
 * deleting a key through this process forgets it at once, and disabling its account forgets the account's
 * keys (AccountService); through another process or node the key keeps working here for at most
 * `tencent.keyCacheSeconds`. The cached secret is the opened SecretKey, which every signed request needs.
 */
export class ApiKeyCache extends ShortLivedCache<ResolvedApiKey> {
  forgetAccount(accountId: string): void {
    this.forgetWhere((key) => key.accountId === accountId);
  }
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const SECRET_ID_PATTERN = /^AKID[A-Za-z0-9]{32}$/;

/** `length` characters of [A-Za-z0-9], each equally likely (bytes >= 248 are rejected: 248 = 4 * 62). */
export function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHANUMERIC[b % 62];
    }
  }
  return out;
}

export interface CreatedApiKey {
  secretId: string;
  /** Shown once; never returned again. */
  secretKey: string;
  createdAt: string;
}

export interface ApiKeyInfo {
  secretId: string;
  accountId: string;
  status: 'enabled' | 'disabled';
  createdAt: string;
  disabledAt: string | null;
}

export interface ResolvedApiKey {
  accountId: string;
  isAdmin: boolean;
  secretKey: string;
}

/** How long after a TC3 signature's first use another call may share it (see bindTc3Signature). */
const TC3_SAME_SECOND_MS = 1000;

export interface ApiKeyServiceDeps {
  config: Config;
  keys: ApiKeyRepository;
  nonces: NonceRepository;
  /** The box, or a factory called on first use (so services that never touch keys never read the key file). */
  box: SecretBox | (() => SecretBox);
  /** Default: none (every resolve reads the database). */
  cache?: ApiKeyCache;
}

/** How often (at most) one process sweeps expired nonces out of the table. */
const PURGE_INTERVAL_MS = 60_000;

export class ApiKeyService {
  private lastPurge = 0;
  private sealer: SecretBox | undefined;

  constructor(private readonly deps: ApiKeyServiceDeps) {}

  private get box(): SecretBox {
    this.sealer ??= typeof this.deps.box === 'function' ? this.deps.box() : this.deps.box;
    return this.sealer;
  }

  async create(accountId: string): Promise<CreatedApiKey> {
    if (!isAccountId(accountId)) throw fail('AccountNotFound', `No account found with ID ${accountId}`);
    const secretId = `AKID${randomAlphanumeric(32)}`;
    const secretKey = randomAlphanumeric(32);
    const createdAt = isoNow(systemClock);
    const max = this.deps.config.tencent.maxKeysPerAccount;
    const outcome = await this.deps.keys.insertWithinLimit(
      {
        secret_id: secretId,
        account_id: accountId,
        secret_key_encrypted: this.box.seal(secretKey, secretId),
        created_at: createdAt,
        disabled_at: null,
      },
      max,
    );
    if (outcome === 'account-not-found')
      throw fail('AccountNotFound', `No account found with ID ${accountId}`);
    if (outcome === 'limit') {
      throw fail(
        'ApiKeyLimitExceeded',
        `Account ${accountId} already has ${max} API keys; delete one first`,
        {
          limit: max,
        },
      );
    }
    return { secretId, secretKey, createdAt };
  }

  async list(accountId: string): Promise<ApiKeyInfo[]> {
    if (!(await this.deps.keys.accountExists(accountId))) {
      throw fail('AccountNotFound', `No account found with ID ${accountId}`);
    }
    const rows = await this.deps.keys.listByAccount(accountId);
    return rows.map((r) => ({
      secretId: r.secret_id,
      accountId: r.account_id,
      status: r.disabled_at ? 'disabled' : 'enabled',
      createdAt: r.created_at,
      disabledAt: r.disabled_at,
    }));
  }

  /** Disabling is idempotent; a key of another account is "not found". */
  async disable(accountId: string, secretId: string): Promise<void> {
    const found = await this.deps.keys.disable(accountId, secretId, isoNow(systemClock));
    this.deps.cache?.forget(secretId);
    if (!found) throw keyNotFound(accountId, secretId);
  }

  /** Enabling is idempotent; a key of another account is "not found". */
  async enable(accountId: string, secretId: string): Promise<void> {
    const found = await this.deps.keys.enable(accountId, secretId);
    this.deps.cache?.forget(secretId);
    if (!found) throw keyNotFound(accountId, secretId);
  }

  async delete(accountId: string, secretId: string): Promise<void> {
    const found = await this.deps.keys.delete(accountId, secretId);
    this.deps.cache?.forget(secretId);
    if (!found) throw keyNotFound(accountId, secretId);
  }

  /** The secret of an enabled key of an enabled account; null otherwise (unknown, disabled, deleted). */
  async resolve(secretId: string): Promise<ResolvedApiKey | null> {
    if (!SECRET_ID_PATTERN.test(secretId)) return null;
    const cached = this.deps.cache?.get(secretId);
    if (cached) return cached;
    const key = await this.deps.keys.findActive(secretId);
    if (!key) return null; // a miss is never cached: unknown IDs cannot fill the cache
    const resolved: ResolvedApiKey = {
      accountId: key.accountId,
      isAdmin: key.isAdmin,
      secretKey: this.box.open(key.secretKeyEncrypted, secretId),
    };
    this.deps.cache?.set(secretId, resolved);
    return resolved;
  }

  /**
   * Remembers a request's Nonce for `ttlSeconds`; false means it was seen within that time (a replay).
   * Atomic across nodes (a primary-key insert). Expired nonces are swept at most once a minute per process.
   */
  async rememberNonce(secretId: string, nonce: string, ttlSeconds: number): Promise<boolean> {
    if (nonce.length === 0 || nonce.length > 64)
      throw fail('InvalidInput', 'Nonce must be 1 to 64 characters');
    const now = Date.now();
    if (now - this.lastPurge > PURGE_INTERVAL_MS) {
      this.lastPurge = now;
      await this.deps.nonces.purgeSeenBefore(
        new Date(now - this.longestNonceTtlSeconds(ttlSeconds) * 1000).toISOString(),
      );
    }
    return this.deps.nonces.remember(
      secretId,
      nonce,
      new Date(now).toISOString(),
      new Date(now - ttlSeconds * 1000).toISOString(),
    );
  }

  /**
   * Binds a verified TC3 signature to the action, region and version of its request for `ttlSeconds`; false
   * when the signature was already used with another (a captured request replayed as another action).
   * The same request sent again (an SDK's retry) stays accepted: TC3 has no nonce.
   *
   * Within the first second after a binding is made, another call with the same signature passes too: an
   * SDK signs with a timestamp in whole seconds, so two honest calls with identical bodies in one second (e.g.
   * DescribeImages({}) in two regions) share a signature. Someone who can re-send a request within a second
   * of the original is on its path and could as well rewrite the unsigned headers of the original; the
   * binding stops the replays that matter, from a capture (a log, a proxy) used later in the skew window.
   */
  async bindTc3Signature(
    signature: string,
    call: { action: string; region: string; version: string },
    ttlSeconds: number,
  ): Promise<boolean> {
    const now = Date.now();
    const binding = [call.action, call.region, call.version].join('\n');
    const bound = await this.deps.nonces.bindSignature(
      signature.toLowerCase(),
      binding,
      new Date(now).toISOString(),
      new Date(now - ttlSeconds * 1000).toISOString(),
    );
    if (!bound) return false;
    return bound.binding === binding || now - Date.parse(bound.seenAt) < TC3_SAME_SECOND_MS;
  }

  /** A nonce must outlive every signature window it can be replayed in: twice the largest allowed skew. */
  private longestNonceTtlSeconds(requested: number): number {
    const t = this.deps.config.tencent;
    return Math.max(requested, 2 * t.maxClockSkewSeconds, 2 * t.legacyMaxClockSkewSeconds);
  }
}

function keyNotFound(accountId: string, secretId: string) {
  return fail('InvalidInput', `Account ${accountId} has no API key ${secretId}`, { secretId });
}
