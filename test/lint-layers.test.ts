// The layers are enforced by ESLint (eslint.config.js): this runs ESLint's Node API with the project's own
// configuration on small files placed, virtually, in each layer. An import across the layers must be an
// error, so a rule that is removed, mistyped or pointed at the wrong files fails here; the imports the
// layers rely on must stay allowed, so a rule that refuses everything fails too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const repoRoot = resolve(import.meta.dirname, '..');
// The files linted here exist only in memory, so the TypeScript program has no type information for them:
// the typed rules are switched off for this run, and every other rule is the project's configuration.
const eslint = new ESLint({ cwd: repoRoot, overrideConfig: tseslint.configs.disableTypeChecked });

/** The no-restricted-imports errors ESLint reports for `code` as if it were the file at `path`. */
async function layerErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, path) });
  assert.ok(result, 'ESLint returned no result');
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `ESLint could not lint ${path}`);
  return result.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' && m.severity === 2)
    .map((m) => m.message);
}

/** A file that imports one name from `from` and uses it (type-only imports are checked too). */
const importing = (from: string, typeOnly = false) =>
  typeOnly
    ? `import type { X } from '${from}';\nexport type Y = X;\n`
    : `import { x } from '${from}';\nexport const y = x;\n`;

describe('lint enforces the layers', () => {
  const refused: Array<[file: string, from: string, typeOnly?: boolean]> = [
    ['src/domain/x.ts', '../config.js'],
    ['src/domain/x.ts', '../config.js', true],
    ['src/domain/nested/x.ts', '../../config.js', true],
    ['src/domain/x.ts', '../services/share.service.js'],
    ['src/domain/x.ts', '../repositories/db/database.js', true],
    ['src/domain/x.ts', '../http/app.js'],
    ['src/domain/x.ts', '../main.js'],
    ['src/http/x.ts', '../repositories/db/database.js'],
    ['src/http/glance/x.ts', '../../repositories/db/image.repository.js', true],
    ['src/http/tencent/api3/actions/x.ts', '../../../../repositories/blob/blob-store.js'],
    ['src/services/x.ts', '../http/app.js'],
    ['src/services/x.ts', '../http/glance/errors.js', true],
    ['src/services/x.ts', '../cli/main.js'],
    ['src/services/x.ts', '../repositories/db/database.js'],
    ['src/services/images/x.ts', '../../repositories/db/member.repository.js'],
    ['src/services/container.ts', '../http/app.js'],
    ['src/repositories/db/x.ts', '../../services/container.js'],
    ['src/repositories/db/x.ts', '../../http/app.js', true],
  ];
  for (const [file, from, typeOnly] of refused) {
    it(`refuses ${typeOnly ? 'a type import' : 'an import'} of ${from} in ${file}`, async () => {
      const errors = await layerErrors(file, importing(from, typeOnly));
      assert.equal(errors.length, 1, `expected one layer error, got ${JSON.stringify(errors)}`);
      assert.match(errors[0] as string, /is restricted from being used by a pattern/);
    });
  }

  it('refuses a re-export across the layers too', async () => {
    const errors = await layerErrors(
      'src/http/x.ts',
      "export { openDatabase } from '../repositories/db/database.js';\n",
    );
    assert.equal(errors.length, 1);
  });

  const allowed: Array<[file: string, from: string, typeOnly?: boolean]> = [
    ['src/domain/x.ts', './errors.js'],
    ['src/domain/x.ts', 'node:crypto'],
    ['src/services/x.ts', '../domain/errors.js'],
    ['src/services/x.ts', '../repositories/image-stores.js'],
    ['src/services/x.ts', '../repositories/db/schema.js', true],
    ['src/services/container.ts', '../repositories/db/transaction.js'],
    ['src/services/x.ts', '../config.js'],
    ['src/http/glance/x.ts', '../../services/container.js'],
    ['src/http/glance/x.ts', '../../domain/errors.js'],
    ['src/http/x.ts', '../config.js'],
    ['src/repositories/db/x.ts', '../../domain/types.js'],
    ['src/main.ts', './repositories/db/database.js'],
    ['src/main.ts', './http/app.js'],
  ];
  for (const [file, from, typeOnly] of allowed) {
    it(`allows ${typeOnly ? 'a type import' : 'an import'} of ${from} in ${file}`, async () => {
      assert.deepEqual(await layerErrors(file, importing(from, typeOnly)), []);
    });
  }
});
