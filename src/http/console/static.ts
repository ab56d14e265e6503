// The built console (web/dist): hashed files under /console/assets/ cached for a year, index.html never
// cached, and index.html for any other /console/* path (the single-page app routes in the browser). Without
// a build (a server-only checkout) /console/ says so with a 503 page instead of a bare 404.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Config } from '../../config.js';
import { sendConsoleError } from './errors.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const NO_CACHE = 'no-cache';

/**
 * web/dist in the package: the folder holding package.json above this file. The sources sit three levels
 * below it (src/http/console) and the compiled server four (dist/server/http/console), so walk up to it.
 */
export function consoleDistDir(config: Config): string {
  if (config.console.staticDir) return config.console.staticDir;
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return resolve(dir, 'web', 'dist');
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head>
<body><h1>The web console was not built</h1>
<p>This server has no built console (web/dist is missing). Build it with <code>npm run build:web</code>
(or install with <code>npm ci</code>, which builds it) and restart the server. The APIs work without it.</p>
</body></html>
`;

function isApiPath(url: string): boolean {
  return url.startsWith('/console/api/');
}

export async function consoleStatic(app: FastifyInstance, config: Config): Promise<void> {
  const root = consoleDistDir(config);
  const built = existsSync(join(root, 'index.html'));

  const sendIndex = (reply: FastifyReply) =>
    built
      ? reply.header('cache-control', NO_CACHE).type('text/html; charset=utf-8').sendFile('index.html', root)
      : reply
          .code(503)
          .header('cache-control', NO_CACHE)
          .type('text/html; charset=utf-8')
          .send(NOT_BUILT_PAGE);

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    if (isApiPath(request.url)) {
      return sendConsoleError(
        reply,
        404,
        'NotFound',
        `No such console API call: ${request.method} ${request.url}`,
      );
    }
    const path = request.url.split('?')[0] as string;
    if ((request.method === 'GET' || request.method === 'HEAD') && !path.startsWith('/console/assets/')) {
      return sendIndex(reply);
    }
    return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
  });

  // /console without the slash: the app's relative asset URLs need the slash.
  app.get('', (_request, reply) => reply.redirect('/console/', 302));
  app.get('/', { prefixTrailingSlash: 'slash' }, (_request, reply) => sendIndex(reply));
  app.get('/index.html', (_request, reply) => sendIndex(reply));

  if (!built) return;
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: false,
    // Cache headers are set per file below: hashed assets forever, anything else revalidated.
    cacheControl: false,
    setHeaders: (res, path) => {
      const inAssets = resolve(path).startsWith(resolve(root, 'assets') + '/');
      res.setHeader('cache-control', inAssets ? IMMUTABLE : NO_CACHE);
    },
  });
}
