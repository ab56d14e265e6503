// A short-lived, per-process memory of credentials found valid a moment ago (Keystone tokens: TokenCache;
// Tencent API keys: ApiKeyCache), so that a client sending the same credential many times a second costs one
// database read per `ttlMs` instead of one or two per request. The one place for the bound every such cache
// keeps:
//
// - Staleness: an entry is served for at most `ttlMs` after this process read it from the database. A
//   credential revoked (or its account disabled) through THIS process is dropped at once by the service that
//   revoked it (forget / forgetWhere); through ANY OTHER process (another worker, node, the CLI) it still
//   works here for at most `ttlMs`. `ttlMs` 0 turns the cache off.
// - Size: at most `maxEntries`; the oldest goes first. Only valid credentials are stored (the callers never
//   store a miss), so guessing cannot fill the memory.
export class ShortLivedCache<V> {
  private readonly entries = new Map<string, { value: V; freshUntil: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    protected readonly clock: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value when read less than `ttlMs` ago and, if given, `stillValid` at this instant. */
  get(key: string, stillValid?: (value: V, now: number) => boolean): V | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    const now = this.clock();
    if (now >= entry.freshUntil || (stillValid && !stillValid(entry.value, now))) {
      this.entries.delete(key);
      return null;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    if (!this.enabled) return;
    // Oldest first out: a Map iterates in insertion order, so the first key is the longest-cached one.
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.delete(key);
    this.entries.set(key, { value, freshUntil: this.clock() + this.ttlMs });
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every entry whose value matches (e.g. all of one account's credentials). */
  forgetWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) {
      if (matches(entry.value)) this.entries.delete(key);
    }
  }
}
