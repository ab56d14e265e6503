// Nothing the service creates is readable by other local users: the data folder, the SQLite file and its
// -wal/-shm, image data, the master key and the admin password file are the owner's alone, after a session
// against `imageshare serve` (an upload) and the CLI (an API key seals its secret with the master key).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { cliArgs } from '../helpers/cli.js';
import { httpRequest, issueToken, spawnServer } from '../helpers/server.js';

const exec = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '..', '..');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? [path, ...walk(path)] : [path];
  });
}

describe('file modes', () => {
  const parent = mkdtempSync(join(tmpdir(), 'imageshare-modes-'));
  const dataDir = join(parent, 'data');
  after(() => rmSync(parent, { recursive: true, force: true }));

  it('creates every folder 0700 and every file 0600', async () => {
    const server = await spawnServer(['--data-dir', dataDir]);
    try {
      const notice = server.stdout.find((l) => l.startsWith('admin account:')) ?? '';
      const [, id, file] = /id=(\d+) name=admin password-file=(\S+)/.exec(notice) ?? [];
      assert.ok(id && file, notice);
      const token = await issueToken(server.url, { id, password: readFileSync(file, 'utf8').trim() });
      const created = await httpRequest(server.url, 'POST', '/v2/images', {
        token,
        body: { name: 'private', disk_format: 'raw', container_format: 'bare' },
      });
      assert.equal(created.status, 201, created.text);
      const imageId = (created.body as { id: string }).id;
      const upload = await httpRequest(server.url, 'PUT', `/v2/images/${imageId}/file`, {
        token,
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from('secret machine'),
      });
      assert.equal(upload.status, 204, upload.text);
      await exec(process.execPath, cliArgs('apikey', 'create', '--account', id, '--data-dir', dataDir), {
        cwd: repoRoot,
        env: { ...process.env, IMAGESHARE_CONFIG: '' },
      });
    } finally {
      assert.equal(await server.stop('SIGTERM'), 0);
    }
    const paths = [dataDir, ...walk(dataDir)];
    const names = paths.map((p) => p.slice(dataDir.length));
    for (const expected of ['/imageshare.sqlite', '/master.key', '/admin-password'])
      assert.ok(names.includes(expected), `${expected} missing: ${names.join(' ')}`);
    assert.ok(
      paths.some((p) => statSync(p).isFile() && readFileSync(p).equals(Buffer.from('secret machine'))),
      'image data not found',
    );
    for (const path of paths) {
      const mode = statSync(path).mode & 0o777;
      assert.equal(mode & 0o077, 0, `${path} is ${mode.toString(8)}`);
    }
  });
});
