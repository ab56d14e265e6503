// The CLI as an operator meets it: `--version`; passwords given on standard input, never echoed back; a
// command run from the wrong folder refuses to create a new, empty database (it names the database it
// would have opened and asks for --init or the config) on SQLite and PostgreSQL; and the README's first
// command, `serve` with no data flags in a fresh folder, still creates its database and admin.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { openServices } from '../../src/main.js';
import { describeDatabase, openDatabase } from '../../src/repositories/db/database.js';
import { cliArgs, repoRoot, runCli, type CliResult } from '../helpers/cli.js';
import { forEachDatabase, freshSchemaName } from '../helpers/databases.js';
import { issueToken } from '../helpers/server.js';

/** Runs `imageshare ...args` in `cwd`, writing `input` to its stdin. */
function cli(args: string[], options: { cwd?: string; input?: string } = {}): Promise<CliResult> {
  return runCli(args, options);
}

async function passwordWorks(dataDir: string, db: string[], id: string, password: string): Promise<boolean> {
  const overrides: Record<string, string> = { dataDir };
  if (db.length > 0) {
    overrides['database.url'] = db[1]!;
    overrides['database.schema'] = db[3]!;
  }
  const { db: handle, services } = await openServices(loadConfig({ env: {}, file: '', overrides }));
  try {
    await services.auth.checkPassword({ user: { id }, password, clientAddress: '127.0.0.1' });
    return true;
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

describe('imageshare --version', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const res = await cli([flag]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.trim(), pkg.version);
    }
  });
});

describe('the database a command names', () => {
  it('is the absolute SQLite path, or the PostgreSQL URL without its password', () => {
    assert.equal(
      describeDatabase('data/imageshare.sqlite'),
      `SQLite ${join(process.cwd(), 'data/imageshare.sqlite')}`,
    );
    assert.equal(
      describeDatabase('postgres://svc:s3cret-pw@db.example:5432/images', 'prod'),
      'PostgreSQL postgres://svc@db.example:5432/images schema prod',
    );
  });
});

forEachDatabase((target) => {
  describe(`operator CLI on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    it('refuses to create a database without --init, names it, and takes passwords on stdin', async () => {
      const folder = mkdtempSync(join(tmpdir(), 'imageshare-wrong-folder-'));
      const schema = freshSchemaName();
      const db =
        target.dialect === 'postgres'
          ? ['--database-url', process.env.TEST_DATABASE_URL!, '--database-schema', schema]
          : [];
      try {
        // Run from a folder with no data: every command refuses, says where it looked, creates nothing.
        for (const args of [
          ['account', 'list'],
          ['account', 'create', '--name', 'nobody'],
          ['images', 'verify', '--all'],
        ]) {
          const refused = await cli([...args, ...db], { cwd: folder });
          assert.equal(refused.code, 2, `${args.join(' ')}: ${refused.stderr}`);
          assert.equal(refused.stdout, '');
          const named =
            target.dialect === 'sqlite'
              ? `SQLite ${join(folder, 'data', 'imageshare.sqlite')}`
              : `schema ${schema}`;
          assert.ok(refused.stderr.includes(named), refused.stderr);
          assert.match(refused.stderr, /--init/);
          assert.match(refused.stderr, /--config/);
        }
        assert.equal(existsSync(join(folder, 'data')), false, 'a refused command created the data folder');
        if (target.dialect === 'postgres') {
          assert.doesNotMatch(
            (await cli(['account', 'list', ...db], { cwd: folder })).stderr,
            /:[^@/]*@/,
            'the database URL is shown without a password',
          );
        }

        // --init creates it; the password comes from stdin and is not echoed.
        const password = 'stdin-Secret-4f9c2a';
        const created = await cli(
          ['account', 'create', '--name', 'ops', '--admin', '--init', '--password-stdin', '--json', ...db],
          { cwd: folder, input: `${password}\n` },
        );
        assert.equal(created.code, 0, created.stderr);
        assert.match(created.stderr, /^database: .* \(created\)$/m);
        assert.ok(!created.stdout.includes(password) && !created.stderr.includes(password));
        const account = JSON.parse(created.stdout) as { id: string; password?: string };
        assert.equal(account.password, undefined);
        const dataDir = join(folder, 'data');
        assert.ok(
          await passwordWorks(dataDir, db, account.id, password),
          'the stdin password does not log in',
        );

        // Now the database exists: commands open it without --init and say which one.
        const listed = await cli(['account', 'list', '--json', ...db], { cwd: folder });
        assert.equal(listed.code, 0, listed.stderr);
        assert.match(listed.stderr, /^database: /m);
        assert.doesNotMatch(listed.stderr, /created/);

        // `account password` (alias of passwd) from stdin: the old password stops working.
        const next = 'next-Secret-77aa01';
        const changed = await cli(['account', 'password', account.id, '--password-stdin', ...db], {
          cwd: folder,
          input: `${next}\n`,
        });
        assert.equal(changed.code, 0, changed.stderr);
        assert.equal(changed.stdout.trim(), `id=${account.id} password changed`);
        assert.ok(await passwordWorks(dataDir, db, account.id, next));
        assert.equal(await passwordWorks(dataDir, db, account.id, password), false);

        // An empty stdin is an error, not an empty or generated password.
        const empty = await cli(['account', 'passwd', account.id, '--password-stdin', ...db], {
          cwd: folder,
        });
        assert.notEqual(empty.code, 0);
        assert.match(empty.stderr, /no password on standard input/);
        assert.ok(await passwordWorks(dataDir, db, account.id, next));

        // Two sources at once are refused.
        const both = await cli(
          ['account', 'passwd', account.id, '--password-stdin', '--password', 'x-123456', ...db],
          { cwd: folder, input: 'y-123456\n' },
        );
        assert.notEqual(both.code, 0);
        assert.match(both.stderr, /at most one of/);
      } finally {
        rmSync(folder, { recursive: true, force: true });
        if (target.dialect === 'postgres') {
          const pg = openDatabase({ url: process.env.TEST_DATABASE_URL!, poolSize: 1 });
          await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(pg.kysely);
          await pg.close();
        }
      }
    });
  });
});

describe("the README's first start", () => {
  it('`imageshare serve` in a fresh folder, with no data flags, creates ./data and the first admin', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'imageshare-first-start-'));
    // Only the port is given (0: a free one, so parallel test runs do not collide); the rest is the defaults.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !k.startsWith('IMAGESHARE_') && !['DATABASE_URL', 'PORT', 'HOST'].includes(k))
        env[k] = v;
    }
    const child = spawn(process.execPath, cliArgs('serve', '--port', '0'), {
      cwd: folder,
      env: { ...env, IMAGESHARE_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    try {
      const lines: string[] = [];
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start: ${lines.join('\n')}`)), 30000);
        createInterface({ input: child.stdout }).on('line', (line) => {
          lines.push(line);
          const match = /^imageshare listening on (\S+)/.exec(line);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        void exited.then(() => reject(new Error(`exited: ${lines.join('\n')}`)));
      });
      const notice = lines.find((l) => l.startsWith('admin account:')) ?? '';
      const match = /^admin account: id=(\d+) name=admin password-file=(\S+)$/.exec(notice);
      assert.ok(match, lines.join('\n'));
      assert.equal(match[2], join(folder, 'data', 'admin-password'));
      assert.ok(existsSync(join(folder, 'data', 'imageshare.sqlite')));
      const opened = lines
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg?: string; database?: string; created?: boolean })
        .find((l) => l.msg === 'database opened');
      assert.deepEqual(
        { database: opened?.database, created: opened?.created },
        { database: `SQLite ${join(folder, 'data', 'imageshare.sqlite')}`, created: true },
      );
      const password = readFileSync(join(folder, 'data', 'admin-password'), 'utf8').trim();
      assert.ok(await issueToken(url, { id: match[1]!, password }));
    } finally {
      child.kill('SIGTERM');
      await exited;
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
