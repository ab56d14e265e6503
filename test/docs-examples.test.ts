// The Tencent documentation cannot drift from the code:
// - the signing recipes in docs/api/tencent.md (a Node script for the legacy API, a curl + openssl function,
//   a Node script for TC3) are extracted from the Markdown, saved as files and run as child processes, with
//   the very commands the docs show, against a real server on loopback, on every database; their answers are
//   asserted, and the answers the docs show must have the same shape as the real ones;
// - every action of both dialects has its section, every parameter of an action is named in it, and the
//   error-code tables are the ones in src/http/tencent/error-codes.ts;
// - README.md and docs/ never point at the shared folder, which users do not have.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { actions } from '../src/http/tencent/api3/actions/index.js';
import { actionOverrides, domainToTencent } from '../src/http/tencent/error-codes.js';
import { LEGACY_REGIONS, legacyActions } from '../src/http/tencent/legacy/actions.js';
import { forEachDatabase } from './helpers/databases.js';
import {
  headings,
  jsonShape,
  markedBlocks,
  section,
  tableRows,
  type MarkedBlock,
} from './helpers/markdown.js';
import { startTestServer, type TestAccount, type TestServer } from './helpers/server.js';
import { createActiveImage, type Key } from './helpers/tencent.js';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '..');
const docPath = join(repoRoot, 'docs', 'api', 'tencent.md');
const doc = readFileSync(docPath, 'utf8');
const blocks = markedBlocks(docPath);

/** The image ID and receiver the docs' commands use; the test replaces the image ID with its own image's. */
const DOC_IMAGE_ID = 'img-5ppt7cm1';
const DOC_RECEIVER = '909619400';

function named(kind: string, name: string): MarkedBlock {
  const block = blocks.find((b) => b.kind === kind && b.name === name);
  assert.ok(block, `docs/api/tencent.md has no <!-- ${kind}: ${name} --> block`);
  return block;
}

/** Parameter names of an action: its schema's keys (or `properties`, should the schema become JSON Schema). */
function parameterNames(params: object): string[] {
  const properties = (params as { properties?: object }).properties;
  return Object.keys(properties ?? params);
}

describe('docs/api/tencent.md describes what the code does', () => {
  const api3Section = section(doc, '### API 3.0 actions');
  const legacySection = section(doc, '### Legacy actions');

  it('has a section for every action of both dialects, and none for an action that does not exist', () => {
    assert.deepEqual(headings(api3Section, 4).sort(), Object.keys(actions).sort());
    assert.deepEqual(headings(legacySection, 4).sort(), Object.keys(legacyActions).sort());
  });

  it("names every parameter of every action in the action's section", () => {
    const missing: string[] = [];
    const tables: Array<[string, Record<string, { params: object }>, string]> = [
      ['API 3.0', actions, api3Section],
      ['legacy', legacyActions, legacySection],
    ];
    for (const [tableName, table, within] of tables) {
      for (const [name, definition] of Object.entries(table)) {
        const text = section(within, `#### ${name}`);
        for (const parameter of parameterNames(definition.params)) {
          // Arrays are written `AccountIds` in API 3.0 and `uinList.n` in the legacy tables.
          if (!text.includes(`\`${parameter}\``) && !text.includes(`\`${parameter}.n\``))
            missing.push(`${tableName} ${name}: ${parameter}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  it('lists the error-code table and its per-action overrides exactly as error-codes.ts has them', () => {
    const documented = tableRows(named('docs-table', 'domainToTencent').text).map(([d, t]) => `${d} -> ${t}`);
    const actual = Object.entries(domainToTencent).map(([d, t]) => `${d} -> ${t}`);
    assert.deepEqual(documented.sort(), actual.sort());
    const overrides = tableRows(named('docs-table', 'actionOverrides').text).map((r) => r.join(' / '));
    const actualOverrides = Object.entries(actionOverrides).flatMap(([action, map]) =>
      Object.entries(map).map(([d, t]) => `${action} / ${d} / ${t}`),
    );
    assert.deepEqual(overrides.sort(), actualOverrides.sort());
  });

  it('lists every legacy region code', () => {
    const flowing = doc.replace(/\s+/g, ' ');
    for (const [code, name] of Object.entries(LEGACY_REGIONS))
      assert.ok(flowing.includes(`\`${code}\` ${name}`), `${code} ${name}`);
  });

  it('README.md and docs/ never point at the shared folder', () => {
    for (const file of documentationFiles()) {
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /\.\.\/shared|\/work\/shared|DESIGN\.md|spec\/tencent-api\.md/, file);
    }
  });

  it('every file README.md and docs/ name, and every relative link, exists', () => {
    const missing: string[] = [];
    for (const file of documentationFiles()) {
      const text = readFileSync(file, 'utf8');
      for (const [, path] of text.matchAll(/`((?:src|test|docs|bench|scripts|web)\/[\w./-]+)`/g))
        if (!existsSync(join(repoRoot, path as string))) missing.push(`${file}: ${path}`);
      for (const [, link] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(link as string)) continue;
        if (!existsSync(resolve(dirname(file), link as string))) missing.push(`${file}: ${link}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});

/** README.md and every Markdown file under docs/. */
function documentationFiles(): string[] {
  const files = [join(repoRoot, 'README.md')];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk(join(repoRoot, 'docs'));
  return files;
}

interface CommandResult {
  role: string;
  command: string;
  answer: Record<string, unknown>;
}

forEachDatabase((target) => {
  describe(
    `docs/api/tencent.md examples, run against a server on ${target.dialect}`,
    {
      skip: target.skipReason ?? false,
    },
    () => {
      let t: TestServer;
      let owner: TestAccount;
      let imageId: string;
      let dir: string;
      const keys: Record<string, Key> = {};
      const results: CommandResult[] = [];

      /** Runs one documented command line in a shell, in the folder holding the documented scripts. */
      async function runDocumented(role: string, command: string): Promise<CommandResult> {
        const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
        const key = keys[role];
        assert.ok(key, `no key for the role "${role}"`);
        Object.assign(env, {
          IMAGESHARE_URL: t.url,
          TENCENT_SECRET_ID: key.secretId,
          TENCENT_SECRET_KEY: key.secretKey,
        });
        const line = command.replaceAll(DOC_IMAGE_ID, imageId);
        const { stdout } = await run('bash', ['-c', `source ./tencent-legacy.sh && ${line}`], {
          cwd: dir,
          env,
          timeout: 20_000,
        });
        let answer: Record<string, unknown>;
        try {
          answer = JSON.parse(stdout) as Record<string, unknown>;
        } catch {
          throw new Error(`"${command}" printed no JSON answer:\n${stdout}`);
        }
        return { role, command, answer };
      }

      function answerTo(fragment: string, role: string): Record<string, unknown> {
        const found = results.find((r) => r.role === role && r.command.includes(fragment));
        assert.ok(found, `the docs run no "${fragment}" command as ${role}`);
        return found.answer;
      }

      before(async () => {
        t = await startTestServer({ target });
        owner = await t.createAccount();
        // The docs' receiver is the seed's account 909619400.
        const receiver = await t.createAccount({ id: DOC_RECEIVER });
        keys.owner = await t.server.services.apiKeys.create(owner.id);
        keys.receiver = await t.server.services.apiKeys.create(receiver.id);
        const ctx = {
          caller: { accountId: owner.id, isAdmin: false },
          region: t.config.regions[0] as string,
          surface: 'openstack' as const,
        };
        imageId = await createActiveImage(t.server.services, ctx, 'docs-example');

        dir = mkdtempSync(join(tmpdir(), 'imageshare-docs-'));
        for (const example of blocks.filter((b) => b.kind === 'docs-example'))
          writeFileSync(join(dir, example.name), `${example.text}\n`);
        // Every documented command, in the order of the docs (the owner shares before the receiver looks).
        for (const block of blocks.filter((b) => b.kind === 'docs-run')) {
          for (const command of block.text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')))
            results.push(await runDocumented(block.name, command));
        }
      });
      after(async () => {
        await t?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      it('the legacy Node script: ShareImage and GetImageShareUinInfo as the owner', () => {
        assert.deepEqual(answerTo('node tencent-legacy.mjs ShareImage', 'owner'), {
          code: 0,
          message: '',
          codeDesc: 'Success',
        });
        const info = answerTo('node tencent-legacy.mjs GetImageShareUinInfo', 'owner') as {
          code: number;
          data: {
            imageNum: number;
            imageList: Array<{ imageId: string; shareUinInfo: Array<{ uin: string }> }>;
          };
        };
        assert.equal(info.code, 0);
        assert.equal(info.data.imageNum, 1);
        assert.equal(info.data.imageList[0]?.imageId, imageId);
        assert.deepEqual(
          info.data.imageList[0]?.shareUinInfo.map((s) => s.uin),
          [DOC_RECEIVER],
        );
      });

      it('the legacy Node script: DescribeImages imageType=4 as the receiver lists the shared image', () => {
        const list = answerTo('node tencent-legacy.mjs DescribeImages', 'receiver') as {
          code: number;
          totalCount: number;
          imageSet: Array<{ unImgId: string; creator: string; imageType: number; status: number }>;
        };
        assert.equal(list.code, 0);
        assert.equal(list.totalCount, 1);
        assert.deepEqual(
          list.imageSet.map((i) => [i.unImgId, i.creator, i.imageType, i.status]),
          [[imageId, owner.id, 4, 2]],
        );
      });

      it('the curl recipe: DescribeImages and GetImageShareUinInfo as the receiver', () => {
        const list = answerTo('tencent_legacy Action=DescribeImages', 'receiver') as {
          code: number;
          imageSet: Array<{ unImgId: string }>;
        };
        assert.equal(list.code, 0, JSON.stringify(list));
        assert.deepEqual(
          list.imageSet.map((i) => i.unImgId),
          [imageId],
        );
        const info = answerTo('tencent_legacy Action=GetImageShareUinInfo', 'receiver') as {
          code: number;
          data: { imageList: Array<{ shareUinInfo: Array<{ uin: string }> }> };
        };
        assert.equal(info.code, 0, JSON.stringify(info));
        // A receiver sees its own share only.
        assert.deepEqual(
          info.data.imageList[0]?.shareUinInfo.map((s) => s.uin),
          [DOC_RECEIVER],
        );
      });

      it('the TC3 Node script: ModifyImageSharePermission and DescribeImageSharePermission as the owner', () => {
        const modify = answerTo('ModifyImageSharePermission', 'owner') as {
          Response: Record<string, unknown>;
        };
        assert.equal(modify.Response.Error, undefined, JSON.stringify(modify));
        assert.match(String(modify.Response.RequestId), /^[0-9a-f-]{36}$/);
        const described = answerTo('DescribeImageSharePermission', 'owner') as {
          Response: { SharePermissionSet: Array<{ AccountId: string }> };
        };
        assert.deepEqual(
          described.Response.SharePermissionSet.map((s) => s.AccountId),
          [DOC_RECEIVER],
        );
      });

      it('the answers the docs show have the shape of the real answers', () => {
        const documented = blocks.filter((b) => b.kind === 'docs-response');
        assert.ok(documented.length >= 3);
        for (const block of documented) {
          const real = results.find((r) => r.command.includes(` ${block.name}`));
          assert.ok(real, `no documented command calls ${block.name}`);
          assert.deepEqual(
            jsonShape(JSON.parse(block.text)),
            jsonShape(real.answer),
            `${block.name} (line ${block.line})`,
          );
        }
      });
    },
  );
});
