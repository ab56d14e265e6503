#!/usr/bin/env node
// Entry point for `npx imageshare ...` and `npm start`: runs the TypeScript sources through tsx,
// so the service and its CLI need no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
