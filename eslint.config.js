import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers (docs/architecture.md): http -> services -> domain, and services -> repositories -> domain.
 * An import that points the other way, or skips a layer, is a lint error (test/lint-layers.test.ts shows
 * it). Each pattern is a regular expression over the import's relative path, naming a top-level folder or
 * file of src/.
 */
const layer = (name) => `^\\.{1,2}/(?:.*/)?${name}/`;
const file = (name) => `^\\.{1,2}/(?:.*/)?${name}\\.js$`;
const pattern = (targets, message, options = {}) => ({ regex: targets.join('|'), message, ...options });
const forbid = (files, targets, message, { ignores, more = [] } = {}) => ({
  files,
  ...(ignores ? { ignores } : {}),
  rules: {
    'no-restricted-imports': ['error', { patterns: [pattern(targets, message), ...more] }],
  },
});

const SERVICES_KNOW_NO_SURFACE =
  'Services know no surface: an HTTP API or the CLI calls them, never the other way round.';

const layerRules = [
  forbid(
    ['src/domain/**'],
    [layer('services'), layer('repositories'), layer('http'), layer('cli'), file('config'), file('main')],
    'The domain imports nothing of ours but the domain: the services pass it the facts and settings it needs.',
  ),
  forbid(['src/services/**'], [layer('http'), layer('cli'), file('main')], SERVICES_KNOW_NO_SURFACE),
  // Services work on the repositories' interfaces and types; only the container builds the Kysely ones.
  forbid(['src/services/**'], [layer('http'), layer('cli'), file('main')], SERVICES_KNOW_NO_SURFACE, {
    ignores: ['src/services/container.ts'],
    more: [
      pattern(
        [layer('repositories/db')],
        'Services reach storage through repository interfaces (types); only services/container.ts builds the database implementations.',
        { allowTypeImports: true },
      ),
    ],
  }),
  forbid(
    ['src/repositories/**'],
    [layer('services'), layer('http'), layer('cli'), file('main')],
    'Repositories store and load; they call no service and know no surface.',
  ),
  forbid(
    ['src/http/**'],
    [layer('repositories'), layer('cli'), file('main')],
    'The HTTP surfaces reach storage only through the services (src/services).',
  ),
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'web/dist/', '.tmp/'] },
  js.configs.recommended,
  // Typed rules: they read the TypeScript program (tsconfig.json), so they see a promise nobody awaits, an
  // `any` flowing into typed code, a template that stringifies an object.
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Fastify plugins, hooks and handlers are async by contract (a plugin that is not must call `done`), so
      // an async function without await is how they say so.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The browser console: React passes async handlers to onClick/onSubmit (their promise is handled inside),
    // and its hooks hand out functions (t, navigate) that take no `this`.
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Plain JavaScript (bin/, scripts/, this file) is not in tsconfig.json: no type information.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
  ...layerRules,
);
