import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_SIGNED_HEADERS,
  parseTc3Authorization,
  signedHeadersProblem,
  sha256Hex,
  tc3CanonicalRequest,
  tc3Sign,
  tc3StringToSign,
  verifyTc3,
  type Tc3Request,
} from './tc3.js';

// Spec tencent-api.md §2.3, "Vector computed with an unmasked key".
const vector = {
  secretId: 'AKIDTESTOWNER00000000000000000000001',
  secretKey: 'testsecretkey-owner',
  timestamp: '1700000000',
  body: '{"ImageId":"img-6pb6lrmy","AccountIds":["100000000002"],"Permission":"SHARE"}',
  payloadHash: 'd6edeed21b31c402375ff8059879e4f96c54bba121dad9016975fe5f8ddea6c4',
  canonicalHash: 'dea6692bbe83e402338654ce41e7c0a9c03bddf5e66f14619afc8f144df5b15a',
  signature: 'd7883950e82c04b0af49efe2f19d7c3703e43888421f966eb012fb100ae597e7',
};

function vectorRequest(
  overrides: Partial<Tc3Request> = {},
  headers: Record<string, string> = {},
): Tc3Request {
  return {
    method: 'POST',
    rawQuery: '',
    body: Buffer.from(vector.body),
    ...overrides,
    headers: {
      'content-type': 'application/json',
      host: 'cvm.tencentcloudapi.com',
      'x-tc-timestamp': vector.timestamp,
      ...headers,
    },
  };
}

const authHeader = `TC3-HMAC-SHA256 Credential=${vector.secretId}/2023-11-14/cvm/tc3_request, SignedHeaders=content-type;host, Signature=${vector.signature}`;
const now = Number(vector.timestamp) + 10;

describe('TC3-HMAC-SHA256 test vectors', () => {
  it('official example: payload hash and hashed canonical request (§2.3)', () => {
    const body = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}';
    const payloadHash = sha256Hex(Buffer.from(body));
    assert.equal(payloadHash, '35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064');
    const canonical = tc3CanonicalRequest({
      method: 'POST',
      rawQuery: '',
      headers: [
        ['content-type', 'application/json; charset=utf-8'],
        ['host', 'cvm.tencentcloudapi.com'],
      ],
      payloadHash,
    });
    assert.equal(sha256Hex(canonical), '5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031');
  });

  it('unmasked vector: payload hash, canonical hash, string to sign and signature', () => {
    const input = {
      secretKey: vector.secretKey,
      method: 'POST',
      rawQuery: '',
      headers: [
        ['content-type', 'application/json'],
        ['host', 'cvm.tencentcloudapi.com'],
      ] as Array<[string, string]>,
      payloadHash: sha256Hex(Buffer.from(vector.body)),
      timestamp: vector.timestamp,
      date: '2023-11-14',
      service: 'cvm',
    };
    assert.equal(input.payloadHash, vector.payloadHash);
    assert.equal(sha256Hex(tc3CanonicalRequest(input)), vector.canonicalHash);
    assert.equal(
      tc3StringToSign(input),
      `TC3-HMAC-SHA256\n1700000000\n2023-11-14/cvm/tc3_request\n${vector.canonicalHash}`,
    );
    assert.equal(tc3Sign(input), vector.signature);
  });
});

describe('parseTc3Authorization', () => {
  it('reads SecretId, date, service, signed headers and signature', () => {
    const auth = parseTc3Authorization(authHeader);
    assert.deepEqual(auth, {
      secretId: vector.secretId,
      date: '2023-11-14',
      service: 'cvm',
      signedHeaders: ['content-type', 'host'],
      signature: vector.signature,
    });
  });

  it('accepts the Node SDK scope service "127" and "localhost:18080"', () => {
    assert.equal(parseTc3Authorization(authHeader.replace('/cvm/', '/127/'))?.service, '127');
    assert.equal(
      parseTc3Authorization(authHeader.replace('/cvm/', '/localhost:18080/'))?.service,
      'localhost:18080',
    );
  });

  it('refuses malformed headers', () => {
    assert.equal(parseTc3Authorization('Basic abc'), null);
    assert.equal(parseTc3Authorization(authHeader.replace('tc3_request', 'tc4_request')), null);
    assert.equal(parseTc3Authorization(authHeader.slice(0, -1)), null);
    assert.equal(parseTc3Authorization(authHeader.replace('2023-11-14', '20231114')), null);
  });
});

describe('verifyTc3', () => {
  const auth = parseTc3Authorization(authHeader)!;

  it('accepts the vector', () => {
    assert.deepEqual(verifyTc3(vectorRequest(), auth, vector.secretKey, now, 300), { ok: true });
  });

  it('accepts a Host header with a port when the client signed the hostname only (Node SDK)', () => {
    const req = vectorRequest({}, { host: 'cvm.tencentcloudapi.com:18080' });
    assert.equal(verifyTc3(req, auth, vector.secretKey, now, 300).ok, true);
  });

  it('accepts a Host header with the port signed (Python and Go SDKs)', () => {
    const signature = tc3Sign({
      secretKey: vector.secretKey,
      method: 'POST',
      rawQuery: '',
      headers: [
        ['content-type', 'application/json'],
        ['host', '127.0.0.1:18080'],
      ],
      payloadHash: vector.payloadHash,
      timestamp: vector.timestamp,
      date: '2023-11-14',
      service: 'cvm',
    });
    const a = parseTc3Authorization(authHeader.replace(vector.signature, signature))!;
    assert.equal(
      verifyTc3(vectorRequest({}, { host: '127.0.0.1:18080' }), a, vector.secretKey, now, 300).ok,
      true,
    );
    // ...but not a different port.
    assert.equal(
      verifyTc3(vectorRequest({}, { host: '127.0.0.1:18081' }), a, vector.secretKey, now, 300).ok,
      false,
    );
  });

  it('honours X-TC-Content-SHA256: UNSIGNED-PAYLOAD', () => {
    const common = {
      secretKey: vector.secretKey,
      method: 'POST',
      rawQuery: '',
      headers: [
        ['content-type', 'application/json'],
        ['host', 'cvm.tencentcloudapi.com'],
      ] as Array<[string, string]>,
      timestamp: vector.timestamp,
      date: '2023-11-14',
      service: 'cvm',
    };
    const signature = tc3Sign({ ...common, payloadHash: sha256Hex('UNSIGNED-PAYLOAD') });
    const a = parseTc3Authorization(authHeader.replace(vector.signature, signature))!;
    const req = vectorRequest(
      { body: Buffer.from('{"anything":"goes"}') },
      { 'x-tc-content-sha256': 'UNSIGNED-PAYLOAD' },
    );
    assert.equal(verifyTc3(req, a, vector.secretKey, now, 300).ok, true);
    // Without the header the same signature does not cover the body.
    assert.equal(verifyTc3(vectorRequest({ body: req.body }), a, vector.secretKey, now, 300).ok, false);
  });

  it('hashes the raw query string of a GET as received', () => {
    const rawQuery = 'Action=DescribeImages&Filters.0.Name=image-name&Filters.0.Values.0=a%20b';
    const signature = tc3Sign({
      secretKey: vector.secretKey,
      method: 'GET',
      rawQuery,
      headers: [
        ['content-type', 'application/x-www-form-urlencoded'],
        ['host', 'cvm.tencentcloudapi.com'],
      ],
      payloadHash: sha256Hex(''),
      timestamp: vector.timestamp,
      date: '2023-11-14',
      service: 'cvm',
    });
    const a = parseTc3Authorization(authHeader.replace(vector.signature, signature))!;
    const get = (q: string) =>
      vectorRequest(
        { method: 'GET', rawQuery: q, body: Buffer.alloc(0) },
        { 'content-type': 'application/x-www-form-urlencoded' },
      );
    assert.equal(verifyTc3(get(rawQuery), a, vector.secretKey, now, 300).ok, true);
    // The same parameters encoded differently are a different signed text.
    assert.equal(verifyTc3(get(rawQuery.replace('%20', '+')), a, vector.secretKey, now, 300).ok, false);
  });

  describe('mutations fail', () => {
    it('one changed body byte', () => {
      const body = Buffer.from(vector.body);
      body[10] = (body[10] as number) ^ 1;
      assert.deepEqual(verifyTc3(vectorRequest({ body }), auth, vector.secretKey, now, 300), {
        ok: false,
        reason: 'signature',
        detail: 'signature mismatch',
      });
    });
    it('an added query string', () => {
      assert.equal(verifyTc3(vectorRequest({ rawQuery: 'a=1' }), auth, vector.secretKey, now, 300).ok, false);
    });
    it('a changed signed header (content-type, host)', () => {
      const ct = vectorRequest({}, { 'content-type': 'application/json; charset=utf-8' });
      assert.equal(verifyTc3(ct, auth, vector.secretKey, now, 300).ok, false);
      const host = vectorRequest({}, { host: 'cvm.tencentcloudapi.co' });
      assert.equal(verifyTc3(host, auth, vector.secretKey, now, 300).ok, false);
    });
    it('a changed method', () => {
      assert.equal(verifyTc3(vectorRequest({ method: 'PUT' }), auth, vector.secretKey, now, 300).ok, false);
    });
    it('a wrong secret (one character)', () => {
      assert.equal(verifyTc3(vectorRequest(), auth, 'testsecretkey-ownes', now, 300).ok, false);
    });
    it('a changed service or date in the scope', () => {
      const svc = parseTc3Authorization(authHeader.replace('/cvm/', '/cbs/'))!;
      assert.equal(verifyTc3(vectorRequest(), svc, vector.secretKey, now, 300).ok, false);
      const date = parseTc3Authorization(authHeader.replace('2023-11-14', '2023-11-15'))!;
      assert.equal(verifyTc3(vectorRequest(), date, vector.secretKey, now, 300).ok, false);
    });
    it('one changed signature digit', () => {
      const sig = parseTc3Authorization(
        authHeader.replace(vector.signature, vector.signature.replace(/.$/, '8')),
      )!;
      assert.equal(verifyTc3(vectorRequest(), sig, vector.secretKey, now, 300).ok, false);
    });
    it('a changed timestamp (it is signed)', () => {
      const req = vectorRequest({}, { 'x-tc-timestamp': String(Number(vector.timestamp) + 1) });
      assert.equal(verifyTc3(req, auth, vector.secretKey, now, 300).ok, false);
    });
    it('a missing signed header', () => {
      const req = vectorRequest();
      delete req.headers['content-type'];
      assert.equal(verifyTc3(req, auth, vector.secretKey, now, 300).ok, false);
    });
  });

  describe('SignedHeaders is bounded (security: the verifier used to try 2^n renderings)', () => {
    const withSigned = (names: string[]) =>
      authHeader.replace('SignedHeaders=content-type;host', `SignedHeaders=${names.join(';')}`);
    const extra = (n: number) => Array.from({ length: n }, (_, i) => `x-h${i}`);

    it('parseTc3Authorization refuses empty, repeated and too many names', () => {
      assert.equal(parseTc3Authorization(withSigned(['content-type', '', 'host'])), null);
      assert.equal(parseTc3Authorization(withSigned(['content-type', 'host', 'host'])), null);
      assert.equal(
        parseTc3Authorization(withSigned(['content-type', 'host', ...Array<string>(30).fill('x-a')])),
        null,
      );
      const max = ['content-type', 'host', ...extra(MAX_SIGNED_HEADERS - 2)];
      assert.equal(parseTc3Authorization(withSigned(max))?.signedHeaders.length, MAX_SIGNED_HEADERS);
      assert.equal(parseTc3Authorization(withSigned([...max, 'x-one-more'])), null);
    });

    it('signedHeadersProblem says why', () => {
      assert.equal(signedHeadersProblem(['content-type', 'host']), null);
      assert.match(signedHeadersProblem(['host', '']) ?? '', /empty/);
      assert.match(signedHeadersProblem(['host', 'x-a', 'x-a']) ?? '', /more than once/);
      assert.match(signedHeadersProblem(extra(MAX_SIGNED_HEADERS + 1)) ?? '', /more than 16/);
    });

    it('verifyTc3 refuses such a list as malformed without computing any signature', () => {
      const many = { ...auth, signedHeaders: ['content-type', 'host', ...Array<string>(30).fill('x-a')] };
      // Under the old verifier this call would not return (2^30 HMACs): the test itself is the regression.
      const result = verifyTc3(vectorRequest({}, { 'x-a': ' X ' }), many, vector.secretKey, now, 300);
      assert.equal(result.ok === false && result.reason, 'malformed');
      const dup = { ...auth, signedHeaders: ['content-type', 'host', 'host'] };
      assert.equal(verifyTc3(vectorRequest(), dup, vector.secretKey, now, 300).ok, false);
    });

    it('accepts 16 distinct signed headers, rendered raw or trimmed+lowercased', () => {
      const names = ['content-type', 'host', ...extra(MAX_SIGNED_HEADERS - 2)];
      const sent: Record<string, string> = Object.fromEntries(
        extra(MAX_SIGNED_HEADERS - 2).map((n) => [n, ' Mixed ']),
      );
      const sign = (render: (v: string) => string, host: string) =>
        tc3Sign({
          secretKey: vector.secretKey,
          method: 'POST',
          rawQuery: '',
          headers: names.map((n) => [
            n,
            render(n === 'host' ? host : n === 'content-type' ? 'application/json' : ' Mixed '),
          ]),
          payloadHash: vector.payloadHash,
          timestamp: vector.timestamp,
          date: '2023-11-14',
          service: 'cvm',
        });
      const req = vectorRequest({}, { ...sent, host: 'Cvm.TencentCloudAPI.com:18080' });
      for (const [render, host] of [
        [(v: string) => v.trim().toLowerCase(), 'cvm.tencentcloudapi.com'],
        [(v: string) => v.trim().toLowerCase(), 'cvm.tencentcloudapi.com:18080'],
        [(v: string) => v, 'Cvm.TencentCloudAPI.com'],
        [(v: string) => v, 'Cvm.TencentCloudAPI.com:18080'],
      ] as const) {
        const a = { ...auth, signedHeaders: names, signature: sign(render, host) };
        assert.equal(verifyTc3(req, a, vector.secretKey, now, 300).ok, true, host);
      }
      // One rendering per request: some values raw and others lowercased is not a candidate any more.
      const mixed = tc3Sign({
        secretKey: vector.secretKey,
        method: 'POST',
        rawQuery: '',
        headers: names.map((n, i) => [
          n,
          n === 'host'
            ? 'cvm.tencentcloudapi.com'
            : n === 'content-type'
              ? 'application/json'
              : i % 2
                ? ' Mixed '
                : 'mixed',
        ]),
        payloadHash: vector.payloadHash,
        timestamp: vector.timestamp,
        date: '2023-11-14',
        service: 'cvm',
      });
      assert.equal(
        verifyTc3(req, { ...auth, signedHeaders: names, signature: mixed }, vector.secretKey, now, 300).ok,
        false,
      );
    });

    it('a signed header named like an Object member is missing, not inherited', () => {
      const a = { ...auth, signedHeaders: ['content-type', 'host', 'constructor'] };
      const result = verifyTc3(vectorRequest(), a, vector.secretKey, now, 300);
      assert.deepEqual(result, {
        ok: false,
        reason: 'signature',
        detail: 'signed header constructor is missing',
      });
    });
  });

  it('refuses timestamps more than the allowed skew away, in both directions', () => {
    const ts = Number(vector.timestamp);
    assert.equal(verifyTc3(vectorRequest(), auth, vector.secretKey, ts + 300, 300).ok, true);
    assert.equal(verifyTc3(vectorRequest(), auth, vector.secretKey, ts - 300, 300).ok, true);
    const late = verifyTc3(vectorRequest(), auth, vector.secretKey, ts + 301, 300);
    assert.equal(late.ok === false && late.reason, 'expired');
    const early = verifyTc3(vectorRequest(), auth, vector.secretKey, ts - 360, 300);
    assert.equal(early.ok === false && early.reason, 'expired');
    const junk = verifyTc3(vectorRequest({}, { 'x-tc-timestamp': '17e8' }), auth, vector.secretKey, now, 300);
    assert.equal(junk.ok === false && junk.reason, 'timestamp');
  });
});
