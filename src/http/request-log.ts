// Request logging: one line per request when its response is sent, and the caller's account ID on every line
// a request logs once it is authenticated. Fastify's own "incoming request" line is turned off (app.ts): it
// is written before authentication, so it could never say whose request it was.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const accounts = new WeakMap<FastifyRequest, string>();
// Fastify logs a request's errors through reply.log: it must carry the account ID too.
const replies = new WeakMap<FastifyRequest, FastifyReply>();

/** Called by each surface's authentication: binds the account ID to the request's (and reply's) logger. */
export function logAsAccount(request: FastifyRequest, accountId: string): void {
  if (accounts.get(request) === accountId) return;
  accounts.set(request, accountId);
  const log = request.log.child({ accountId });
  request.log = log;
  const reply = replies.get(request);
  if (reply) reply.log = log;
}

export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    replies.set(request, reply);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        req: request,
        res: reply,
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
  });
}
