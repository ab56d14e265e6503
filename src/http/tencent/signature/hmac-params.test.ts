import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { paramsStringToSign, signParams, signString, verifyParamsSignature } from './hmac-params.js';

// Spec tencent-api.md §1.3 test vectors.
const docKey = 'Gu5t9xGARNpq86cd98joQYCN3Cozk1qA';
const docParams: Record<string, string> = {
  Action: 'DescribeInstances',
  'InstanceIds.0': 'ins-09dx96dg',
  Nonce: '11886',
  Region: 'ap-guangzhou',
  SecretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA',
  SignatureMethod: 'HmacSHA256',
  Timestamp: '1465185768',
};
const docString =
  'GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Nonce=11886&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA256&Timestamp=1465185768';

const pyParams: Record<string, string> = {
  SecretId: 'secretIdFoo',
  Region: 'ap-guangzhou',
  SignatureMethod: 'HmacSHA1',
  Nonce: '1290303896666895346',
  Timestamp: '1512393162',
  Action: 'DescribeInstances',
  Version: '2017-03-12',
};

describe('HmacSHA1/HmacSHA256 parameter signature: test vectors', () => {
  it('builds the documented string to sign (sorted keys, raw values)', () => {
    const shuffled = Object.fromEntries(Object.entries(docParams).reverse());
    assert.equal(paramsStringToSign('GET', 'cvm.api.qcloud.com', '/v2/index.php', shuffled), docString);
  });

  it('legacy doc vector, HmacSHA256', () => {
    assert.equal(signString(docKey, docString, 'sha256'), '0EEm/HtGRr/VJXTAD9tYMth1Bzm3lLHz5RCDv1GdM8s=');
    assert.equal(
      signParams(docKey, 'GET', 'cvm.api.qcloud.com', '/v2/index.php', docParams),
      '0EEm/HtGRr/VJXTAD9tYMth1Bzm3lLHz5RCDv1GdM8s=',
    );
  });

  it('legacy doc vector, HmacSHA1', () => {
    const params = { ...docParams, SignatureMethod: 'HmacSHA1' };
    assert.equal(
      signParams(docKey, 'GET', 'cvm.api.qcloud.com', '/v2/index.php', params),
      'nPVnY6njQmwQ8ciqbPl5Qe+Oru4=',
    );
  });

  it('qcloudapi-sdk-python vectors (POST and GET, SHA1 and SHA256)', () => {
    const host = 'cvm.api.qcloud.com';
    assert.equal(
      signParams('secretKeyBar', 'POST', host, '/v2/index.php', pyParams),
      'p3n+pxBqF5JGZtDSxoVn5tGngf0=',
    );
    assert.equal(
      signParams('secretKeyBar', 'GET', host, '/v2/index.php', pyParams),
      '5HAq1BOKNLEE2/uauWnp6Zv9Z3c=',
    );
    assert.equal(
      signParams('secretKeyBar', 'POST', host, '/v2/index.php', {
        ...pyParams,
        SignatureMethod: 'HmacSHA256',
      }),
      'B2T37FRSP6Fk0/q/cdfrTE0p3zX5ooB/2BPWZUFpsj4=',
    );
  });

  it('sorts keys in byte order (InstanceIds.12 before InstanceIds.2), and signs `_` in keys as `.`', () => {
    const s = paramsStringToSign('GET', 'h', '/', {
      'InstanceIds.2': 'b',
      'InstanceIds.12': 'a',
      Placement_Zone: 'z',
    });
    assert.equal(s, 'GETh/?InstanceIds.12=a&InstanceIds.2=b&Placement.Zone=z');
  });

  it('treats any SignatureMethod other than HmacSHA256 as HmacSHA1', () => {
    const params = { ...docParams, SignatureMethod: 'HmacMD5' };
    const expected = signString(docKey, paramsStringToSign('GET', 'h', '/', params), 'sha1');
    assert.equal(signParams(docKey, 'GET', 'h', '/', params), expected);
  });
});

describe('verifyParamsSignature', () => {
  const now = Number(docParams.Timestamp) + 5;
  const signed = (
    params: Record<string, string>,
    host = 'cvm.api.qcloud.com',
    method = 'GET',
  ): { method: string; host: string; path: string; params: Record<string, string> } => ({
    method,
    host,
    path: '/v2/index.php',
    params: { ...params, Signature: signParams(docKey, method, host, '/v2/index.php', params) },
  });

  it('accepts the documented request', () => {
    const req = {
      method: 'GET',
      host: 'cvm.api.qcloud.com',
      path: '/v2/index.php',
      params: { ...docParams, Signature: '0EEm/HtGRr/VJXTAD9tYMth1Bzm3lLHz5RCDv1GdM8s=' },
    };
    assert.deepEqual(verifyParamsSignature(req, docKey, now, 7200), { ok: true });
  });

  it('accepts host:port signed with the port (Node SDK v1) and signed without it', () => {
    assert.equal(verifyParamsSignature(signed(docParams, '127.0.0.1:18080'), docKey, now, 7200).ok, true);
    const hostOnly = signed(docParams, '127.0.0.1');
    assert.equal(verifyParamsSignature({ ...hostOnly, host: '127.0.0.1:18080' }, docKey, now, 7200).ok, true);
  });

  describe('mutations fail', () => {
    it('a changed parameter value', () => {
      const req = signed(docParams);
      req.params['InstanceIds.0'] = 'ins-09dx96dh';
      assert.equal(verifyParamsSignature(req, docKey, now, 7200).ok, false);
    });
    it('an added parameter', () => {
      const req = signed(docParams);
      req.params['InstanceIds.1'] = 'ins-00000000';
      assert.equal(verifyParamsSignature(req, docKey, now, 7200).ok, false);
    });
    it('a changed method, path or host', () => {
      const req = signed(docParams);
      assert.equal(verifyParamsSignature({ ...req, method: 'POST' }, docKey, now, 7200).ok, false);
      assert.equal(verifyParamsSignature({ ...req, path: '/' }, docKey, now, 7200).ok, false);
      assert.equal(verifyParamsSignature({ ...req, host: 'cvm.api.qcloud.co' }, docKey, now, 7200).ok, false);
    });
    it('a wrong secret', () => {
      assert.equal(verifyParamsSignature(signed(docParams), docKey.replace(/.$/, 'B'), now, 7200).ok, false);
    });
    it('a downgraded SignatureMethod', () => {
      const req = signed(docParams);
      req.params.SignatureMethod = 'HmacSHA1';
      assert.equal(verifyParamsSignature(req, docKey, now, 7200).ok, false);
    });
    it('a missing signature', () => {
      const r = verifyParamsSignature({ ...signed(docParams), params: docParams }, docKey, now, 7200);
      assert.equal(r.ok === false && r.reason, 'malformed');
    });
  });

  it('refuses a Timestamp outside the window', () => {
    const ts = Number(docParams.Timestamp);
    assert.equal(verifyParamsSignature(signed(docParams), docKey, ts + 300, 300).ok, true);
    const r = verifyParamsSignature(signed(docParams), docKey, ts + 301, 300);
    assert.equal(r.ok === false && r.reason, 'expired');
    const bad = verifyParamsSignature(signed({ ...docParams, Timestamp: 'x' }), docKey, now, 300);
    assert.equal(bad.ok === false && bad.reason, 'timestamp');
  });
});
