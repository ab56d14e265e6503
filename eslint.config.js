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
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  ...layerRules,
);
