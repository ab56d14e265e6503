#!/usr/bin/env node
// Entry point for `npx imageshare ...` and `npm start`: runs the compiled JavaScript in dist/server, which
// `npm ci` / `npm install` build through the `prepare` script (`npm run build` builds it by hand). No
// TypeScript loader runs in production; the tests run the sources through tsx instead (test/helpers/cli.ts).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/server/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error(
    'imageshare is not built: run `npm run build` (npm ci and npm install do it through `prepare`)',
  );
  process.exit(1);
}
await import(entry.href);
