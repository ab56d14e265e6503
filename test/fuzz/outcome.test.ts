// How the fuzzer reads an answer (harness.ts): refused or served, and whether it is a server error. A wrong
// reading hides violations (a served answer read as refused is never checked for 5xx-free data; a refusal
// read as served may change data unseen), so each envelope of each surface is pinned here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isRefusal, isTencentInternalError } from './harness.js';

describe('the fuzzer reads every answer envelope', () => {
  it('an HTTP error status is a refusal; 2xx and 3xx without an error envelope are served', () => {
    assert.equal(isRefusal(400, '{"message":"x"}'), true);
    assert.equal(isRefusal(404, ''), true);
    assert.equal(isRefusal(200, '{"images":[]}'), false);
    assert.equal(isRefusal(204, ''), false);
    assert.equal(isRefusal(300, '{"versions":{}}'), false);
  });

  it('Tencent API 3.0: Response.Error is a refusal (status 200), any other Response is served', () => {
    assert.equal(
      isRefusal(200, '{"Response":{"Error":{"Code":"InvalidParameter","Message":"m"},"RequestId":"r"}}'),
      true,
    );
    assert.equal(isRefusal(200, '{"Response":{"ImageSet":[],"TotalCount":0,"RequestId":"r"}}'), false);
  });

  it('Tencent legacy: code 0 is served, a non-zero code refused, the batch 5400 (partly done) served', () => {
    assert.equal(isRefusal(200, '{"code":0,"message":"","codeDesc":"Success"}'), false);
    assert.equal(isRefusal(200, '{"code":4000,"message":"m","codeDesc":"InvalidParameter"}'), true);
    // DeleteImages with every image refused: nothing done, so nothing may change.
    assert.equal(
      isRefusal(200, '{"code":5100,"message":"m","codeDesc":"FailedOperation","detail":{}}'),
      true,
    );
    // DeleteImages with some images deleted: those rightly changed data.
    assert.equal(
      isRefusal(200, '{"code":5400,"message":"m","codeDesc":"FailedOperation","detail":{}}'),
      false,
    );
  });

  it('InternalError in either Tencent envelope is a server error; the word echoed as data is not', () => {
    assert.equal(
      isTencentInternalError('{"Response":{"Error":{"Code":"InternalError","Message":"m"}}}'),
      true,
    );
    assert.equal(isTencentInternalError('{"code":5100,"message":"m","codeDesc":"InternalError"}'), true);
    assert.equal(isTencentInternalError('{"Response":{"ImageSet":[{"ImageName":"InternalError"}]}}'), false);
    assert.equal(
      isTencentInternalError(
        JSON.stringify({ Response: { ImageSet: [{ ImageName: '"Code":"InternalError"' }] } }),
      ),
      false,
    );
  });
});
