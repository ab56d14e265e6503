// Prometheus metrics over HTTP: every response is counted (route pattern, never the raw URL; status;
// duration; bytes), refused password logins are counted per surface, and GET /metrics serves the registry
// (src/metrics.ts) to a scraper that sends `Authorization: Bearer <metrics.token>`. Without a token
// configured the route does not exist (404): the figures name routes and load, which is not for everyone.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { metrics, metricsRegistry, scrapeText } from '../../metrics.js';

/** Password logins by route pattern (Keystone's token issue, the console's session), for failure counts. */
const LOGIN_ROUTES: Record<string, string> = {
  'POST /identity/v3/auth/tokens': 'keystone',
  'POST /console/api/v1/session': 'console',
};

function headerBytes(value: unknown): number {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** Same length digests compared in constant time: neither the token nor its length leaks through timing. */
function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function registerMetrics(app: FastifyInstance, config: Config): void {
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    // Requests no route matched (404s of random paths) share one label, so scanners cannot grow the series.
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.request(
      request.method,
      route,
      status,
      reply.elapsedTime / 1000,
      headerBytes(request.headers['content-length']),
      headerBytes(reply.getHeader('content-length')),
    );
    const surface = LOGIN_ROUTES[`${request.method} ${route}`];
    if (surface && (status === 401 || status === 429)) metrics.loginFailure(surface, status);
  });

  const token = config.metrics.token;
  if (!token) return;
  app.get('/metrics', async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!tokenMatches(given, token)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="imageshare metrics"')
        .send({ error: 'a valid metrics token is required' });
    }
    const text = await scrapeText().catch(() => null);
    if (text === null) return reply.code(503).send({ error: 'metrics are not available right now' });
    return reply.header('content-type', metricsRegistry.contentType).send(text);
  });
}
