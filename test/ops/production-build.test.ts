// The production start: `npm run build:server` output run by bin/imageshare.js with no TypeScript loader at
// all. The build goes to a temporary copy of the layout (bin/, dist/server/, package.json) whose node_modules
// links every installed package except tsx, esbuild and typescript, so a stray runtime import of .ts code or
// of the loader would fail here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/cli.js';
import { httpRequest, issueToken, spawnServer } from '../helpers/server.js';

const exec = promisify(execFile);
const devOnly = new Set(['tsx', 'esbuild', '@esbuild', 'typescript', '.bin']);

describe('production build', () => {
  const root = mkdtempSync(join(tmpdir(), 'imageshare-build-'));
  const bin = join(root, 'bin', 'imageshare.js');
  const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
    .version;

  before(async () => {
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    await exec(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json', '--outDir', join(root, 'dist', 'server')],
      {
        cwd: repoRoot,
      },
    );
    cpSync(join(repoRoot, 'bin'), join(root, 'bin'), { recursive: true });
    cpSync(join(repoRoot, 'package.json'), join(root, 'package.json'));
    // A built console beside the package: the compiled server must find it (it once looked under dist/).
    mkdirSync(join(root, 'web', 'dist'), { recursive: true });
    writeFileSync(join(root, 'web', 'dist', 'index.html'), '<!doctype html><title>console</title>');
    mkdirSync(join(root, 'node_modules'));
    for (const name of readdirSync(join(repoRoot, 'node_modules'))) {
      if (devOnly.has(name)) continue;
      symlinkSync(join(repoRoot, 'node_modules', name), join(root, 'node_modules', name));
    }
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('the build holds no TypeScript and no tests', () => {
    const files = readdirSync(join(root, 'dist', 'server'), { recursive: true }).map(String);
    assert.ok(files.includes(join('cli', 'main.js')));
    assert.ok(!files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), files.join(' '));
    assert.ok(!files.some((f) => f.includes('.test.')), 'tests compiled into dist');
  });

  it('imageshare --version prints the package version', async () => {
    const { stdout } = await exec(process.execPath, [bin, '--version'], { cwd: root });
    assert.equal(stdout.trim(), version);
  });

  it('serves from compiled JavaScript without tsx installed', async () => {
    const dataDir = join(root, 'data');
    const server = await spawnServer(['--data-dir', dataDir], {}, 30000, [bin]);
    try {
      assert.equal((await httpRequest(server.url, 'GET', '/healthz')).status, 200);
      assert.equal((await httpRequest(server.url, 'GET', '/readyz')).status, 200);
      assert.equal(
        (await httpRequest(server.url, 'GET', '/console/')).status,
        200,
        'the built console is served',
      );
      const line = server.stdout.find((l) => l.startsWith('admin account:')) ?? '';
      const match = /id=(\d+) name=admin password-file=(\S+)/.exec(line);
      assert.ok(match, server.stdout.join('\n'));
      const password = readFileSync(match[2]!, 'utf8').trim();
      assert.ok(await issueToken(server.url, { id: match[1]!, password }));
    } finally {
      assert.equal(await server.stop('SIGTERM'), 0, server.stderr.join('\n'));
    }
  });

  it('says how to build when dist/ is missing', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'imageshare-unbuilt-'));
    try {
      cpSync(join(repoRoot, 'bin'), join(bare, 'bin'), { recursive: true });
      await assert.rejects(
        exec(process.execPath, [join(bare, 'bin', 'imageshare.js'), '--version']),
        (err) => {
          const e = err as { code: number; stderr: string };
          assert.equal(e.code, 1);
          assert.match(e.stderr, /npm run build/);
          return true;
        },
      );
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
