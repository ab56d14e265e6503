// The web console under /console: its JSON API (/console/api/v1) and its built single-page app. Every
// response under /console carries the security headers below, errors and the static files included.
import type { FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import { consoleApi } from './api.js';
import type { ConsoleDeps } from './context.js';
import { consoleStatic } from './static.js';

export const API_PREFIX = '/api/v1';

/** No inline script anywhere; inline styles only because the component library sets style attributes. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

export async function consolePlugin(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  await app.register(fastifyCookie);
  await app.register(async (api) => consoleApi(api, deps), { prefix: API_PREFIX });
  await consoleStatic(app, deps.config);
}
