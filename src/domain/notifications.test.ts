// The notification rules as pure functions: who an event concerns, which webhook targets are refused (SSRF),
// when "expiring soon" is due, and the retry schedule.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from './errors.js';
import {
  afterFailedAttempt,
  assertValidWebhookUrl,
  assertWithinWebhookLimit,
  eventAudience,
  isBlockedAddress,
  isExpiringSoon,
} from './notifications.js';

const strict = { allowPrivateTargets: false };
const open = { allowPrivateTargets: true };

function refused(url: string, policy = strict) {
  assert.throws(
    () => assertValidWebhookUrl(url, policy),
    (err: unknown) => err instanceof DomainError && err.code === 'InvalidInput',
    url,
  );
}

describe('notification rules (domain, no database)', () => {
  it('a share event concerns both sides; a deletion every receiver; a launch the owner only', () => {
    const base = { ownerId: 'o', actorId: 'o', targetAccountId: 'r' };
    assert.deepEqual(eventAudience({ type: 'share.created', ...base }), ['o', 'r']);
    assert.deepEqual(eventAudience({ type: 'share.cancelled', ...base, actorId: 'r' }), ['o', 'r']);
    assert.deepEqual(eventAudience({ type: 'share.expiring', ...base, actorId: 'system' }), ['o', 'r']);
    assert.deepEqual(
      eventAudience({ type: 'image.deleted', ...base, targetAccountId: null, receivers: ['a', 'b', 'a'] }),
      ['o', 'a', 'b'],
    );
    assert.deepEqual(eventAudience({ type: 'image.deprecated', ...base, receivers: ['a'] }), ['o', 'a']);
    assert.deepEqual(eventAudience({ type: 'image.launched', ...base, actorId: 'r' }), ['o']);
    assert.deepEqual(eventAudience({ type: 'image.launched', ...base }), [], 'the owner launching its own');
  });

  it('webhook URLs: http(s) only, no credentials or fragment, bounded', () => {
    assert.equal(assertValidWebhookUrl('https://hooks.example.com/x?y=1', strict).host, 'hooks.example.com');
    refused('ftp://hooks.example.com/');
    refused('file:///etc/passwd');
    refused('javascript:alert(1)');
    refused('https://user:pw@hooks.example.com/');
    refused('https://hooks.example.com/#frag');
    refused('not a url');
    refused(`https://hooks.example.com/${'a'.repeat(2100)}`);
    refused('');
  });

  it('SSRF: loopback, private, link-local, metadata and local names are refused unless allowed', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://127.1.2.3:8080/',
      'http://10.0.0.1/',
      'http://172.16.5.5/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://[::1]/',
      'http://[fe80::1]/',
      'http://[fd00::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:a9fe:a9fe]/', // 169.254.169.254, as Node normalizes it
      'http://2130706433/', // 127.0.0.1 as one number (the URL parser normalizes it)
      'http://0x7f.1/',
      'http://localhost:9292/',
      'http://metadata.google.internal/',
    ])
      refused(url);
    assert.ok(assertValidWebhookUrl('http://127.0.0.1:8080/hook', open));
    assert.ok(assertValidWebhookUrl('http://169.254.169.254/', open));
    assert.ok(assertValidWebhookUrl('https://93.184.215.14/hook', strict));
    assert.ok(assertValidWebhookUrl('https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/', strict));
  });

  it('blocked addresses: every special range, and names that are not addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.1.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.0.1',
      '224.0.0.1',
      '::1',
      'fe80::2',
    ])
      assert.equal(isBlockedAddress(a), true, a);
    for (const a of ['8.8.8.8', '172.32.0.1', '2001:4860:4860::8888'])
      assert.equal(isBlockedAddress(a), false, a);
    assert.equal(isBlockedAddress('example.com'), true);
  });

  it('at most maxPerAccount webhooks', () => {
    assertWithinWebhookLimit(1, { maxPerAccount: 2 });
    assert.throws(() => assertWithinWebhookLimit(2, { maxPerAccount: 2 }), /at most 2 webhooks/);
  });

  it('expiring soon: within the lead time, before the end, once per end time', () => {
    const end = '2030-01-02T00:00:00.000Z';
    const day = 86_400;
    assert.equal(
      isExpiringSoon({ expiresAt: end, noticedFor: null }, '2029-12-31T23:59:59.000Z', day),
      false,
    );
    assert.equal(isExpiringSoon({ expiresAt: end, noticedFor: null }, '2030-01-01T00:00:00.000Z', day), true);
    assert.equal(isExpiringSoon({ expiresAt: end, noticedFor: end }, '2030-01-01T12:00:00.000Z', day), false);
    assert.equal(
      isExpiringSoon(
        { expiresAt: end, noticedFor: '2029-06-01T00:00:00.000Z' },
        '2030-01-01T12:00:00.000Z',
        day,
      ),
      true,
      'a new end time earns a new event',
    );
    assert.equal(isExpiringSoon({ expiresAt: end, noticedFor: null }, end, day), false, 'ended already');
    assert.equal(isExpiringSoon({ expiresAt: null, noticedFor: null }, end, day), false);
  });

  it('retries back off exponentially up to a cap, and give up after maxAttempts', () => {
    const policy = { maxAttempts: 6, retryBaseSeconds: 10, retryMaxSeconds: 60 };
    const delays = [1, 2, 3, 4, 5].map((n) => afterFailedAttempt(n, policy));
    assert.deepEqual(
      delays.map((d) => (d.giveUp ? 'give up' : d.delaySeconds)),
      [10, 20, 40, 60, 60],
    );
    assert.deepEqual(afterFailedAttempt(6, policy), { giveUp: true });
  });
});
