// TokenCache on a fake clock: entries last ttlMs, never past the token's own expiry, the oldest goes first
// when full, and forget / forgetAccount drop entries at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TokenInfo } from './auth.service.js';
import { TokenCache } from './token-cache.js';

function info(accountId: string, expiresAt: string): TokenInfo {
  return {
    account: {
      id: accountId,
      name: `n${accountId}`,
      isAdmin: false,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      disabledAt: null,
    },
    auditId: 'a',
    methods: ['password'],
    issuedAt: '2026-01-01T00:00:00.000Z',
    expiresAt,
  };
}

describe('TokenCache', () => {
  const later = '2026-01-01T01:00:00.000Z';
  const start = Date.parse('2026-01-01T00:00:00.000Z');

  it('serves an entry for ttlMs, then asks again', () => {
    let now = start;
    const cache = new TokenCache(2000, 10, () => now);
    cache.set('h1', info('11111', later));
    now += 1999;
    assert.equal(cache.get('h1')?.account.id, '11111');
    now += 1;
    assert.equal(cache.get('h1'), null);
  });

  it('never serves a token past its own expiry', () => {
    let now = start;
    const cache = new TokenCache(60_000, 10, () => now);
    cache.set('h1', info('11111', new Date(start + 500).toISOString()));
    now += 500;
    assert.equal(cache.get('h1'), null);
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const cache = new TokenCache(60_000, 2, () => start);
    cache.set('h1', info('11111', later));
    cache.set('h2', info('22222', later));
    cache.set('h3', info('33333', later));
    assert.equal(cache.get('h1'), null);
    assert.ok(cache.get('h2'));
    assert.ok(cache.get('h3'));
  });

  it('forgets one token, or every token of an account, at once', () => {
    const cache = new TokenCache(60_000, 10, () => start);
    cache.set('h1', info('11111', later));
    cache.set('h2', info('11111', later));
    cache.set('h3', info('22222', later));
    cache.forget('h3');
    assert.equal(cache.get('h3'), null);
    cache.forgetAccount('11111');
    assert.equal(cache.get('h1'), null);
    assert.equal(cache.get('h2'), null);
  });

  it('with ttl 0 keeps nothing', () => {
    const cache = new TokenCache(0, 10, () => start);
    cache.set('h1', info('11111', later));
    assert.equal(cache.get('h1'), null);
  });
});
