// Secrets never reach the server's stdout (its JSON logs and plain notices): a whole session against
// `imageshare serve` as operators run it (first start with a generated admin password, Keystone logins, a
// legacy Signature call with SecretId and Signature in the URL, an API 3.0 Signature call, a TC3 call and a
// forged one, console logins, console calls with the session cookie and CSRF token, a webhook registration
// with its signing secret, and the logout), at debug level so every line a request can produce is written.
// The first admin's password goes to <dataDir>/admin-password (mode 0600), never to stdout, and the request
// lines carry the caller's account ID.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { openServices } from '../../src/main.js';
import { httpRequest, issueToken, spawnServer } from '../helpers/server.js';
import { paramsRequest, tc3Request } from '../helpers/tencent.js';

describe('secrets in logs', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-secrets-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps passwords, tokens, signatures and secret keys out of stdout through a whole session', async () => {
    const server = await spawnServer(['--data-dir', dataDir], { IMAGESHARE_LOG__LEVEL: 'debug' });
    const secrets: string[] = [];
    let adminId: string;
    try {
      const notice = server.stdout.find((l) => l.startsWith('admin account:')) ?? '';
      const match = /^admin account: id=(\d+) name=admin password-file=(\S+)$/.exec(notice);
      assert.ok(match, `admin notice missing or unexpected: ${server.stdout.join('\n')}`);
      adminId = match[1]!;
      const file = match[2]!;
      assert.equal(file, join(dataDir, 'admin-password'));
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const password = readFileSync(file, 'utf8').trim();
      assert.ok(password.length >= 16);
      secrets.push(password);

      const token = await issueToken(server.url, { id: adminId, password });
      secrets.push(token);
      const subject = await issueToken(server.url, { id: adminId, password });
      secrets.push(subject);
      const validated = await httpRequest(server.url, 'GET', '/identity/v3/auth/tokens', {
        token,
        headers: { 'x-subject-token': subject },
      });
      assert.equal(validated.status, 200);
      assert.equal((await httpRequest(server.url, 'GET', '/v2/images', { token })).status, 200);
      // A webhook's signing secret is in the registration's answer only (issue 12).
      const hook = await httpRequest(server.url, 'POST', '/v2/webhooks', {
        token,
        body: { url: 'https://hooks.example.com/imageshare' },
      });
      assert.equal(hook.status, 201, hook.text);
      secrets.push((hook.body as { secret: string }).secret);
      const wrong = await httpRequest(server.url, 'POST', '/identity/v3/auth/tokens', {
        body: {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { id: adminId, password: 'wrong-Pa55word-xyz' } },
            },
          },
        },
      });
      assert.equal(wrong.status, 401);
      secrets.push('wrong-Pa55word-xyz');

      // An API key, made as the CLI does (a second process on the same database).
      const opened = await openServices(loadConfig({ env: {}, file: '', overrides: { dataDir } }));
      const key = await opened.services.apiKeys.create(adminId).finally(() => opened.db.close());
      secrets.push(key.secretKey);

      const legacy = await paramsRequest(
        server.url,
        key,
        { Action: 'DescribeImages', Region: 'gz', imageType: '1' },
        { method: 'GET', path: '/v2/index.php' },
      );
      assert.equal((legacy.body as unknown as { code: number }).code, 0, JSON.stringify(legacy.body));
      const v1 = await paramsRequest(
        server.url,
        key,
        { Action: 'DescribeImages', Version: '2017-03-12', Region: 'ap-guangzhou' },
        { method: 'GET' },
      );
      assert.equal(v1.body.Response.Error, undefined, JSON.stringify(v1.body));
      const tc3 = await tc3Request(server.url, key, { action: 'DescribeImages' });
      assert.equal(tc3.body.Response.Error, undefined, JSON.stringify(tc3.body));
      // A refused TC3 call (bad signature) is logged without its Authorization header either.
      const forged = await tc3Request(
        server.url,
        { ...key, secretKey: 'x'.repeat(32) },
        { action: 'DescribeImages' },
      );
      assert.equal(
        forged.body.Response.Error?.Code,
        'AuthFailure.SignatureFailure',
        JSON.stringify(forged.body),
      );

      // The console: a failed and a good login, reads with the session cookie, changes with the CSRF token
      // (an API key whose SecretKey is in the answer), and the logout.
      const badLogin = await httpRequest(server.url, 'POST', '/console/api/v1/session', {
        body: { login: adminId, password: 'console-Wrong-pass-1' },
      });
      assert.equal(badLogin.status, 401);
      secrets.push('console-Wrong-pass-1');
      const login = await httpRequest(server.url, 'POST', '/console/api/v1/session', {
        body: { login: adminId, password },
      });
      assert.equal(login.status, 200, login.text);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
      const csrf = (login.body as { csrfToken: string }).csrfToken;
      secrets.push(cookie.slice(cookie.indexOf('=') + 1), csrf);
      const session = { cookie, 'x-csrf-token': csrf };
      assert.equal(
        (await httpRequest(server.url, 'GET', '/console/api/v1/account', { headers: session })).status,
        200,
      );
      const consoleKey = await httpRequest(server.url, 'POST', '/console/api/v1/account/api-keys', {
        headers: session,
      });
      assert.equal(consoleKey.status, 201, consoleKey.text);
      secrets.push((consoleKey.body as { secretKey: string }).secretKey);
      const noCsrf = await httpRequest(server.url, 'POST', '/console/api/v1/account/api-keys', {
        headers: { cookie },
      });
      assert.equal(noCsrf.status, 403);
      assert.equal(
        (await httpRequest(server.url, 'DELETE', '/console/api/v1/session', { headers: session })).status,
        204,
      );
    } finally {
      assert.equal(await server.stop('SIGTERM'), 0);
    }

    const out = server.stdout.join('\n');
    for (const secret of secrets) assert.ok(!out.includes(secret), `a secret reached stdout: ${secret}`);
    // Signatures: neither the Signature parameter's value nor the TC3 Authorization header appears.
    assert.doesNotMatch(out, /Signature=(?!\[Redacted\])[^&"\s]/);
    assert.doesNotMatch(out, /TC3-HMAC-SHA256/);

    const logs = server.stdout
      .filter((l) => l.startsWith('{'))
      .map(
        (l) =>
          JSON.parse(l) as {
            msg?: string;
            accountId?: string;
            req?: { url?: string };
            res?: { statusCode?: number };
          },
      );
    const requests = logs.filter((l) => l.msg === 'request completed');
    // One line per request, ours (request-log.ts): Fastify's own request lines stay off.
    assert.equal(logs.filter((l) => l.msg === 'incoming request').length, 0);
    assert.ok(
      requests.every((l) => l.req?.url !== undefined),
      'a request line without the request',
    );
    const legacyLine = requests.find((l) => l.req?.url?.startsWith('/v2/index.php?'));
    assert.ok(legacyLine, 'the legacy request was not logged');
    assert.match(legacyLine.req!.url!, /Action=DescribeImages/);
    assert.match(legacyLine.req!.url!, /Signature=\[Redacted\]/);
    // Every request line of an authenticated request names the account.
    const authenticated = requests.filter(
      (l) =>
        l.req?.url === '/v2/images' ||
        l.req?.url?.startsWith('/v2/index.php') ||
        l.req?.url === '/' ||
        l.req?.url?.startsWith('/?'),
    );
    // /v2/images, legacy, API 3.0 Signature and TC3 (the forged TC3 call is not authenticated).
    const forgedLines = authenticated.filter((l) => l.accountId === undefined && l.req?.url === '/');
    assert.equal(forgedLines.length, 1, JSON.stringify(authenticated));
    authenticated.splice(authenticated.indexOf(forgedLines[0]!), 1);
    assert.equal(authenticated.length, 4, JSON.stringify(requests));
    for (const line of authenticated) assert.equal(line.accountId, adminId!, JSON.stringify(line));
    // The console's calls with the session cookie name the account too, also the one refused for its
    // missing CSRF token; the failed login does not (nobody was authenticated).
    const consoleLines = requests.filter(
      (l) =>
        l.req?.url?.startsWith('/console/api/v1/') &&
        !(l.req.url === '/console/api/v1/session' && l.res?.statusCode === 401),
    );
    assert.equal(
      consoleLines.length,
      5,
      JSON.stringify(requests.filter((l) => l.req?.url?.startsWith('/console'))),
    );
    for (const line of consoleLines) assert.equal(line.accountId, adminId!, JSON.stringify(line));
    const failedLogin = requests.find(
      (l) => l.req?.url === '/console/api/v1/session' && l.res?.statusCode === 401,
    );
    assert.ok(failedLogin, 'the failed console login was not logged');
    assert.equal(failedLogin.accountId, undefined);
    const notice = logs.find((l) => l.msg === 'admin account created; password written to file');
    assert.ok(notice, 'the log does not say where the admin password is');
  });
});
