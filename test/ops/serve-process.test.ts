// `imageshare serve` as operators run it: first start on an empty data folder prints the admin's
// credentials once, logs are JSON lines (pino), every response carries x-openstack-request-id, and SIGTERM
// shuts down cleanly with exit code 0. A second start on the same data folder creates no second admin.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { httpRequest, issueToken, spawnServer } from '../helpers/server.js';

describe('serve process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-serve-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts on port 0, prints the admin once, logs JSON, serves, and exits 0 on SIGTERM', async () => {
    const first = await spawnServer(['--data-dir', dataDir]);
    let code: number | null;
    let admin: { id: string; password: string };
    try {
      assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.doesNotMatch(first.url, /:0$/);
      const line = first.stdout.find((l) => l.startsWith('admin account:'));
      // stdout is not a terminal here: the password goes to a file only its owner can read.
      const match = /^admin account: id=(\d+) name=admin password-file=(\S+)$/.exec(line ?? '');
      assert.ok(match, `admin line missing: ${first.stdout.join('\n')}`);
      admin = { id: match[1]!, password: readFileSync(match[2]!, 'utf8').trim() };

      const health = await httpRequest(first.url, 'GET', '/healthz');
      assert.equal(health.status, 200);
      assert.match(health.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
      assert.equal((await httpRequest(first.url, 'GET', '/readyz')).status, 200);
      const token = await issueToken(first.url, admin);
      assert.ok(token);

      const logs = first.stdout
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(logs.length > 0, 'no JSON log lines');
      for (const entry of logs) {
        assert.equal(typeof entry.level, 'number');
        assert.equal(typeof entry.time, 'number');
      }
      // Secrets never reach the logs.
      assert.ok(
        !first.stdout.some((l) => l.startsWith('{') && (l.includes(admin.password) || l.includes(token))),
      );
    } finally {
      code = await first.stop('SIGTERM');
    }
    assert.equal(code, 0, first.stderr.join('\n'));
    const shutdownLogged = first.stdout.some((l) => l.includes('"shutting down"') && l.includes('SIGTERM'));
    assert.ok(shutdownLogged, 'shutdown not logged');

    const second = await spawnServer(['--data-dir', dataDir]);
    try {
      assert.ok(!second.stdout.some((l) => l.startsWith('admin account:')), 'admin printed twice');
      // The admin from the first start still logs in.
      assert.ok(await issueToken(second.url, admin));
    } finally {
      assert.equal(await second.stop('SIGTERM'), 0);
    }
  });

  it('takes the first admin from IMAGESHARE_ADMIN_ID / IMAGESHARE_ADMIN_PASSWORD and prints no password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imageshare-serve-'));
    try {
      const server = await spawnServer(['--data-dir', dir], {
        IMAGESHARE_ADMIN_ID: '909619400',
        IMAGESHARE_ADMIN_PASSWORD: 'configured-secret',
      });
      try {
        assert.ok(server.stdout.includes('admin account: id=909619400 name=admin'), server.stdout.join('\n'));
        assert.ok(!server.stdout.some((l) => l.includes('configured-secret')));
        assert.ok(await issueToken(server.url, { id: '909619400', password: 'configured-secret' }));
      } finally {
        assert.equal(await server.stop('SIGINT'), 0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
