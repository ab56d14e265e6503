// The logger's redaction, line by line: credential fields at the top of a logged object and one or two levels
// in (request, response and error headers among them), and credential parameters of logged URLs.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createLogger } from './logging.js';

/** The logger as the server makes it, writing its lines here instead of to stdout. */
function captured(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger('info');
  // pino keeps its destination in a symbol; swap it for a collector (the options are createLogger's own).
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = stream;
  return { log, lines };
}

describe('log redaction', () => {
  it('censors credentials at the top, one and two levels in, headers included; URLs keep only safe values', async () => {
    const { log, lines } = captured();
    log.child({ accountId: '123' }).info(
      {
        password: 'secret-0',
        token: 'secret-1',
        req: {
          method: 'GET',
          url: '/v2/index.php?Action=X&SecretId=secret-2&Signature=secret-3&Region=r',
          headers: {
            'x-auth-token': 'secret-4',
            authorization: 'secret-5',
            cookie: 'secret-6',
            accept: 'a/b',
          },
        },
        res: { statusCode: 200, headers: { 'set-cookie': 'secret-7', 'x-subject-token': 'secret-8' } },
        err: { message: 'boom', headers: { 'x-csrf-token': 'secret-9' } },
        body: { SecretKey: 'secret-10', nested: { signature: 'secret-11', csrfToken: 'secret-12' } },
        url: '/path?token=secret-13&limit=20',
      },
      'request completed',
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(lines.length, 1);
    const line = lines[0] as string;
    for (let i = 0; i <= 13; i++) assert.ok(!line.includes(`secret-${i}"`), `secret-${i} leaked: ${line}`);
    const parsed = JSON.parse(line) as {
      req: { url: string; headers: Record<string, string> };
      res: { headers: Record<string, string> };
      url: string;
      accountId: string;
    };
    assert.equal(parsed.req.headers['x-auth-token'], '[Redacted]');
    assert.equal(parsed.req.headers.accept, 'a/b');
    assert.equal(parsed.res.headers['set-cookie'], '[Redacted]');
    assert.equal(parsed.req.url, '/v2/index.php?Action=X&SecretId=[Redacted]&Signature=[Redacted]&Region=r');
    assert.equal(parsed.url, '/path?token=[Redacted]&limit=20');
    assert.equal(parsed.accountId, '123');
  });
});
