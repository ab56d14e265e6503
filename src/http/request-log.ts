// Request logging: one line per request when its response is sent, and the caller's account ID on every line
// a request logs once it is authenticated. Fastify's own "incoming request" line is turned off (app.ts): it
// is written before authentication, so it could never say whose request it was.
//
// The access line is built here from a fixed set of fields, each safe by construction (the URL through
// redactUrl; no headers, no body), and written through a logger without redaction: walking the logger's
// wildcard redaction paths over the request and response objects was the costliest part of logging a
// request (bench/RESULTS.md, "Issue 10, fourth pass"). Every other line a request logs keeps the full
// redaction of logging.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { redactUrl, unredactedChild } from '../logging.js';

const accounts = new WeakMap<FastifyRequest, string>();

/** Called by each surface's authentication: binds the account ID to the request's (and reply's) logger. */
export function logAsAccount(request: FastifyRequest, accountId: string): void {
  if (accounts.get(request) === accountId) return;
  accounts.set(request, accountId);
  // Fastify makes one child logger per request and hands the same object to the reply (Fastify logs a
  // request's errors through reply.log), so binding the ID onto it reaches both, at less cost than a child of
  // that child. Without a logger the request shares the server's, which must not take one caller's ID.
  // The server's logger is pino (logging.ts), and so are its children.
  if (request.log !== request.server.log) (request.log as Logger).setBindings({ accountId });
}

/** The access line's fields: what Fastify's own request and response serializers wrote, URL redacted. */
export function accessLine(request: FastifyRequest, reply: FastifyReply) {
  return {
    reqId: request.id,
    accountId: accounts.get(request),
    req: {
      method: request.method,
      url: redactUrl(request.url),
      host: request.host,
      remoteAddress: request.ip,
      remotePort: request.socket?.remotePort,
    },
    res: { statusCode: reply.statusCode },
    responseTime: reply.elapsedTime,
  };
}

export function registerRequestLog(app: FastifyInstance): void {
  const access = unredactedChild(app.log as Logger);
  app.addHook('onResponse', async (request, reply) => {
    if (access.isLevelEnabled('info')) access.info(accessLine(request, reply), 'request completed');
  });
}
