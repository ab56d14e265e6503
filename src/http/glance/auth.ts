// Token authentication for the image API: X-Auth-Token -> services.auth.authenticate -> the request's
// RequestContext (caller + the region of the endpoint the request came through). Runs in onRequest, so an
// unauthenticated upload is refused before any of its body is read. Routes marked `config: { public: true }`
// (version discovery) skip it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fail } from '../../domain/errors.js';
import type { Services } from '../../services/container.js';
import type { RequestContext } from '../../services/context.js';
import { logAsAccount } from '../request-log.js';

const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

const contexts = new WeakMap<FastifyRequest, RequestContext>();

/** The authenticated caller and region of a request that passed the hook. */
export function requestContext(request: FastifyRequest): RequestContext {
  const ctx = contexts.get(request);
  if (!ctx) throw new Error('image API route reached without authentication');
  return ctx;
}

export function authHook(services: Services, region: string) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const config = request.routeOptions.config as { public?: boolean } | undefined;
    if (config?.public) return;
    const header = request.headers['x-auth-token'];
    const token = Array.isArray(header) ? header[0] : header;
    if (!token) throw fail('Unauthenticated', 'The request you have made requires authentication.');
    const caller = await services.auth.authenticate(token);
    logAsAccount(request, caller.accountId);
    if (!READ_METHODS.has(request.method)) services.writeLimits.take(caller.accountId);
    contexts.set(request, { caller, region, surface: 'openstack', clientAddress: request.ip });
  };
}
