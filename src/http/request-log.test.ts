// The request log: its access line carries a fixed set of fields (no headers, the URL's credential parameters
// censored) and is written without the logger's redaction, so it is checked here with secrets in every place
// a client can put them; the account ID reaches the lines a request logs (reply.log too) and no other
// request's.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { createLogger } from '../logging.js';
import { logAsAccount, registerRequestLog } from './request-log.js';

interface Line {
  msg: string;
  reqId?: string;
  accountId?: string;
  req?: Record<string, unknown>;
  res?: Record<string, unknown>;
  headers?: Record<string, string>;
  responseTime?: number;
}

/** An app as app.ts builds it (createLogger, request log on, Fastify's own request lines off), lines collected. */
async function appWithLog() {
  const lines: string[] = [];
  // Typed as app.ts receives it (AppDeps.logger).
  const logger: FastifyBaseLogger = createLogger('info');
  (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  registerRequestLog(app);
  app.get('/signed-in', async (request) => {
    logAsAccount(request, '4242');
    request.log.info({ headers: request.headers }, 'handler looked at its headers');
    return { ok: true };
  });
  app.get('/fails', async (request, reply) => {
    logAsAccount(request, '4242');
    // Fastify's own lines for a request (a failed send, a hook's error) go through reply.log.
    reply.log.error('broken on purpose');
    throw new Error('broken on purpose');
  });
  app.get('/anonymous', async (request) => {
    request.log.info({ headers: request.headers }, 'handler looked at its headers');
    return { ok: true };
  });
  await app.ready();
  const parsed = () => lines.map((l) => JSON.parse(l) as Line);
  return { app, lines, parsed };
}

const secretHeaders = {
  authorization: 'TC3-HMAC-SHA256 Credential=x, Signature=secret-h1',
  'x-auth-token': 'secret-h2',
  'x-subject-token': 'secret-h3',
  cookie: 'imageshare_session=secret-h4',
  'x-csrf-token': 'secret-h5',
  'x-tc-token': 'secret-h6',
};
const secretQuery = 'Action=DescribeImages&SecretId=secret-q1&Signature=secret-q2&token=secret-q3&limit=20';

describe('request log', () => {
  it('writes the access line with fixed fields: no header, no credential parameter reaches it', async () => {
    const { app, lines, parsed } = await appWithLog();
    const res = await app.inject({ method: 'GET', url: `/signed-in?${secretQuery}`, headers: secretHeaders });
    assert.equal(res.statusCode, 200);
    await app.close();
    for (const line of lines) assert.doesNotMatch(line, /secret-/, line);
    const access = parsed().filter((l) => l.msg === 'request completed');
    assert.equal(access.length, 1);
    const line = access[0]!;
    // inject() has no socket, so no remotePort; nothing else may appear.
    assert.deepEqual(Object.keys(line.req!).sort(), ['host', 'method', 'remoteAddress', 'url']);
    assert.equal(line.req!.method, 'GET');
    assert.equal(
      line.req!.url,
      '/signed-in?Action=DescribeImages&SecretId=[Redacted]&Signature=[Redacted]&token=[Redacted]&limit=20',
    );
    assert.equal(line.req!.remoteAddress, '127.0.0.1');
    assert.deepEqual(line.res, { statusCode: 200 });
    assert.equal(typeof line.responseTime, 'number');
    assert.match(line.reqId!, /./);
    assert.equal(line.accountId, '4242');
    // Every other line keeps the logger's full redaction: the handler logged all its headers.
    const handler = parsed().find((l) => l.msg === 'handler looked at its headers')!;
    assert.equal(handler.headers!['x-auth-token'], '[Redacted]');
    assert.equal(handler.headers!.cookie, '[Redacted]');
    assert.equal(handler.accountId, '4242');
    assert.equal(handler.reqId, line.reqId);
  });

  it("names the account on the reply's lines too, and on no other request's lines", async () => {
    const { app, parsed } = await appWithLog();
    assert.equal(
      (await app.inject({ method: 'GET', url: '/fails', headers: secretHeaders })).statusCode,
      500,
    );
    assert.equal((await app.inject({ method: 'GET', url: '/anonymous' })).statusCode, 200);
    app.log.info('after the requests');
    await app.close();
    const lines = parsed();
    const failed = lines.find((l) => l.msg === 'broken on purpose');
    assert.ok(failed, JSON.stringify(lines));
    assert.equal(failed.accountId, '4242');
    const [first, second] = lines.filter((l) => l.msg === 'request completed');
    assert.equal(first!.accountId, '4242');
    assert.equal(first!.reqId, failed.reqId);
    assert.deepEqual(first!.res, { statusCode: 500 });
    assert.equal(second!.accountId, undefined);
    assert.equal(lines.find((l) => l.msg === 'handler looked at its headers')!.accountId, undefined);
    assert.equal(lines.find((l) => l.msg === 'after the requests')!.accountId, undefined);
  });

  it('writes no access line below its level', async () => {
    const { app, parsed } = await appWithLog();
    app.log.level = 'warn';
    assert.equal((await app.inject({ method: 'GET', url: '/anonymous' })).statusCode, 200);
    await app.close();
    assert.deepEqual(parsed(), []);
  });
});
