// Regressions for what an outside attack on the Tencent surfaces found (issue 11, "Found when the service was
// attacked from outside"):
// - a parameter name of 10,000 dotted levels (`a.0.0.0...`) overflowed the stack in unflatten before
//   authentication: InternalError and about 0.2 s of blocked event loop per request. It must be a parameter
//   error, refused before any deep work. The time is bounded by the event loop's own figures (the busy time
//   of the loop per request, from performance.eventLoopUtilization, and the longest stall seen by
//   monitorEventLoopDelay), not by wall-clock time of the round trip;
// - a malformed Content-Type gave InternalError (Fastify's content-type parser refused it before the handler).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestAccount, type TestServer } from './helpers/server.js';
import { paramsRequest, tc3Request, type Key } from './helpers/tencent.js';

const LEVELS = 10_000;
const DEEP_NAME = `a${'.0'.repeat(LEVELS)}`;
const REPEATS = 20;

interface Answer {
  code: string;
  legacy: boolean;
}

async function answerOf(res: Response): Promise<Answer> {
  assert.equal(res.status, 200);
  const body = (await res.json()) as { Response?: { Error?: { Code: string } }; codeDesc?: string };
  if (body.Response) return { code: body.Response.Error?.Code ?? 'Success', legacy: false };
  return { code: body.codeDesc ?? '', legacy: true };
}

/** Runs `send` REPEATS times; returns the loop's busy milliseconds per request and its longest stall. */
async function loopCost(
  send: () => Promise<void>,
): Promise<{ busyMsPerRequest: number; maxStallMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const start = performance.eventLoopUtilization();
  for (let i = 0; i < REPEATS; i++) await send();
  const used = performance.eventLoopUtilization(start);
  histogram.disable();
  return { busyMsPerRequest: used.active / REPEATS, maxStallMs: histogram.max / 1e6 };
}

/**
 * The deep name may cost the loop little more than a harmless request of the same size. Before the fix it
 * cost several times as much (the stack overflow and its unwinding); the margins leave room for noise.
 */
function assertNoDeepWork(
  deep: { busyMsPerRequest: number; maxStallMs: number },
  baseline: { busyMsPerRequest: number; maxStallMs: number },
): void {
  const figures = `deep: ${deep.busyMsPerRequest.toFixed(2)} ms busy per request, longest stall ${deep.maxStallMs.toFixed(1)} ms; baseline: ${baseline.busyMsPerRequest.toFixed(2)} ms, ${baseline.maxStallMs.toFixed(1)} ms`;
  console.log(figures);
  assert.ok(deep.busyMsPerRequest < baseline.busyMsPerRequest * 2 + 2, figures);
  assert.ok(deep.maxStallMs < 250, figures);
}

forEachDatabase((target) => {
  describe(`Tencent attack regressions on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let owner: TestAccount;
    let key: Key;

    before(async () => {
      t = await startTestServer({ target });
      owner = await t.createAccount();
      key = await t.server.services.apiKeys.create(owner.id);
    });
    after(() => t.close());

    const form = (path: string, body: string) =>
      fetch(`${t.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });

    // The same request with a harmless name of the same size: the baseline the loop cost is compared with, so
    // that a loaded machine (which inflates every figure) does not decide the outcome.
    const harmless = `a=${'0'.repeat(DEEP_NAME.length)}`;

    it(`a name of ${LEVELS} dotted levels, unauthenticated on API 3.0: InvalidParameter, no deep work`, async () => {
      const send = (params: string, expected: string) => async () => {
        const answer = await answerOf(await form('/', `Action=DescribeImages&Version=2017-03-12&${params}`));
        assert.equal(answer.code, expected);
      };
      await send(harmless, 'AuthFailure.InvalidAuthorization')(); // warm up both paths once
      await send(`${DEEP_NAME}=1`, 'InvalidParameter')();
      const baseline = await loopCost(send(harmless, 'AuthFailure.InvalidAuthorization'));
      const deep = await loopCost(send(`${DEEP_NAME}=1`, 'InvalidParameter'));
      assertNoDeepWork(deep, baseline);
    });

    it(`a name of ${LEVELS} dotted levels, signed (v1 on API 3.0, legacy): InvalidParameter, no deep work`, async () => {
      const send = (name: string, value: string, expected: RegExp) => async () => {
        const v1 = await paramsRequest(t.url, key, {
          Action: 'DescribeImages',
          Version: '2017-03-12',
          Region: 'ap-guangzhou',
          [name]: value,
        });
        assert.match(v1.body.Response.Error?.Code ?? '', expected);
        const legacy = await paramsRequest(
          t.url,
          key,
          { Action: 'DescribeImages', Region: 'gz', [name]: value },
          { path: '/v2/index.php' },
        );
        assert.match((legacy.body as unknown as { codeDesc: string }).codeDesc, expected);
      };
      const long = '0'.repeat(DEEP_NAME.length);
      // The harmless name is refused too (unknown or missing parameters), after the same parsing and signing.
      const refused = /^(UnknownParameter|MissingParameter)$/;
      await send('Unknown', long, refused)();
      const baseline = await loopCost(send('Unknown', long, refused));
      const deep = await loopCost(send(DEEP_NAME, '1', /^InvalidParameter$/));
      assertNoDeepWork(deep, baseline);
    });

    it('names at the deepest allowed level still work; one level more is refused', async () => {
      // 10 segments is the deepest the validator accepts (MAX_PARAM_DEPTH); they reach the schema check.
      const ten = `Filters${'.0'.repeat(9)}`;
      const eleven = `Filters${'.0'.repeat(10)}`;
      const ok = await paramsRequest(t.url, key, {
        Action: 'DescribeImages',
        Version: '2017-03-12',
        Region: 'ap-guangzhou',
        [ten]: 'x',
      });
      assert.notEqual(ok.body.Response.Error?.Code, 'InternalError');
      const refused = await paramsRequest(t.url, key, {
        Action: 'DescribeImages',
        Version: '2017-03-12',
        Region: 'ap-guangzhou',
        [eleven]: 'x',
      });
      assert.equal(refused.body.Response.Error?.Code, 'InvalidParameter');
      assert.match(refused.body.Response.Error?.Message ?? '', /nested deeper than 10/);
    });

    it('a signed call with a 500-character X-TC-Region: InvalidRegion.NotFound (an InternalError on PostgreSQL)', async () => {
      // Found by fuzzing: authentication recorded the region with the signature before the region was checked,
      // and a long one overflowed the column on PostgreSQL.
      const res = await tc3Request(t.url, key, { action: 'DescribeRegions', region: 'x'.repeat(500) });
      assert.equal(res.body.Response.Error?.Code, 'InvalidRegion.NotFound');
      const images = await tc3Request(t.url, key, { action: 'DescribeImages', region: 'y'.repeat(500) });
      assert.equal(images.body.Response.Error?.Code, 'InvalidRegion.NotFound');
    });

    const malformed = ['/', ';;;', 'a/b/c', 'application/json;;', 'text/', ' /json'];
    for (const contentType of malformed) {
      it(`a malformed Content-Type ${JSON.stringify(contentType)}: a parameter error on both Tencent APIs`, async () => {
        for (const path of ['/', '/v2/index.php']) {
          const res = await fetch(`${t.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': contentType, 'x-tc-action': 'DescribeImages' },
            body: 'Action=DescribeImages&Version=2017-03-12',
          });
          const answer = await answerOf(res);
          assert.equal(answer.code, 'InvalidParameter', `${path}: ${answer.code}`);
          assert.equal(answer.legacy, path !== '/');
          assert.equal(res.headers.get('content-type'), 'application/json');
        }
      });
    }
  });
});
