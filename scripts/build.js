// `npm run build`: the one place that builds everything the production start needs, run by `npm ci` and
// `npm install` through the `prepare` script. It runs `build:server` (TypeScript -> dist/server) and then
// every other `build:*` script package.json defines (e.g. `build:web`), so a new part only adds its script.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const scripts = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts ?? {};
const parts = [
  'build:server',
  ...Object.keys(scripts).filter((s) => s.startsWith('build:') && s !== 'build:server'),
];
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
for (const part of parts) {
  const result = spawnSync(npm, ['run', '--silent', part], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build: ${part} failed`);
    process.exit(result.status ?? 1);
  }
}
