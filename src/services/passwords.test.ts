import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dummyPasswordHash, generatePassword, hashPassword, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('hashes with scrypt, a per-password salt and the parameters in the string', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    assert.match(a, /^scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('correct horse', a), true);
    assert.equal(await verifyPassword('correct horse', b), true);
    assert.equal(await verifyPassword('correct horsf', a), false);
    assert.equal(await verifyPassword('', a), false);
  });

  it('refuses malformed or absurd stored hashes without throwing', async () => {
    for (const stored of [
      '',
      'plain',
      'scrypt$N=16384,r=8,p=1$x$y',
      'scrypt$N=1073741824,r=8,p=1$AAAAAAAAAAA$AAAA',
    ]) {
      assert.equal(await verifyPassword('x', stored), false);
    }
  });

  it('has a dummy hash no password matches, and generates strong passwords', async () => {
    const dummy = await dummyPasswordHash();
    assert.equal(await verifyPassword('', dummy), false);
    assert.equal(await dummyPasswordHash(), dummy);
    const p = generatePassword();
    assert.match(p, /^[A-Za-z0-9_-]{24}$/);
    assert.notEqual(generatePassword(), p);
  });
});
