// Per-account rate limit on writes (issue 11): every request that changes something (an image, a share, a
// token or session, an API key...) takes one token from its account's bucket; an empty bucket is RateLimited
// with the seconds until the next token, which each surface renders in its dialect (429 + Retry-After for
// Glance, Keystone and the console; RequestLimitExceeded for Tencent API 3.0 and legacy).
//
// A token bucket per account, refilled continuously: `burst` writes at once, then `perSecond` on average.
// Kept in this process's memory on purpose: a shared counter would cost a database write on every write
// request, and the limit exists to keep one account from flooding a node, not to meter it exactly. With N
// nodes (or workers) behind a balancer an account can therefore make up to N times the configured rate in
// all; size the limit per node (docs/security.md).
import { fail } from '../domain/errors.js';

export interface WriteRateSettings {
  /** Writes per second an account may sustain; 0 turns the limit off. */
  perSecond: number;
  /** Writes an account may make at once before the rate applies. */
  burst: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Buckets untouched this long are full again and can be forgotten. */
const IDLE_BUCKET_MS = 10 * 60_000;

export class WriteRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweepMs = 0;

  constructor(
    private readonly settings: WriteRateSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Takes one write from the account's bucket, or throws RateLimited (details.retryAfterSeconds). */
  take(accountId: string): void {
    const { perSecond, burst } = this.settings;
    if (perSecond <= 0) return;
    const now = this.clock();
    this.sweep(now);
    const bucket = this.buckets.get(accountId) ?? { tokens: burst, updatedMs: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * perSecond);
    bucket.updatedMs = now;
    this.buckets.set(accountId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
    throw fail(
      'RateLimited',
      `Too many changes from this account; try again in ${retryAfterSeconds} second(s).`,
      { retryAfterSeconds },
    );
  }

  /** Forgets full buckets now and then, so memory follows the active accounts, not every account ever seen. */
  private sweep(now: number): void {
    if (now - this.lastSweepMs < IDLE_BUCKET_MS) return;
    this.lastSweepMs = now;
    for (const [id, bucket] of this.buckets) {
      if (now - bucket.updatedMs > IDLE_BUCKET_MS) this.buckets.delete(id);
    }
  }
}
