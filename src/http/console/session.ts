// Console authentication: the session cookie -> services.sessions.authenticate -> the request's context
// (surface "console"). State-changing calls must also carry the session's CSRF token in X-CSRF-Token and
// must not come from another site (Origin / Sec-Fetch-Site). Runs in onRequest, so a refused upload is
// refused before any of its body is read. Routes marked `config: { public: true }` skip it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { publicBaseUrl, type Config } from '../../config.js';
import type { Account } from '../../domain/types.js';
import type { Services } from '../../services/container.js';
import type { RequestContext } from '../../services/context.js';
import { logAsAccount } from '../request-log.js';
import { csrfRejected } from './errors.js';

export const SESSION_COOKIE = 'imageshare_session';
export const COOKIE_PATH = '/console';

export interface ConsoleRequestState {
  account: Account;
  sessionToken: string;
  csrfToken: string;
  /** The caller in the default region; routes set the region they work in. */
  ctx: RequestContext;
}

const states = new WeakMap<FastifyRequest, ConsoleRequestState>();

export function consoleState(request: FastifyRequest): ConsoleRequestState {
  const state = states.get(request);
  if (!state) throw new Error('console API route reached without a session');
  return state;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Refuses requests another site made the browser send (the login form included). */
export function refuseCrossSite(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
    throw csrfRejected('Requests from another site are refused.');
  }
  const origin = request.headers.origin;
  if (typeof origin === 'string') {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      throw csrfRejected('Requests from another site are refused.');
    }
    if (host !== request.headers.host) throw csrfRejected('Requests from another site are refused.');
  }
}

export function sessionHook(services: Services, config: Config) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const routeConfig = request.routeOptions.config as { public?: boolean } | undefined;
    if (routeConfig?.public) return;
    const token = request.cookies[SESSION_COOKIE];
    const session = await services.sessions.authenticate(token);
    // From here on every log line of the request names the account (also a CSRF refusal below).
    logAsAccount(request, session.account.id);
    if (!SAFE_METHODS.has(request.method)) {
      refuseCrossSite(request);
      const header = request.headers['x-csrf-token'];
      if (!services.sessions.csrfMatches(token as string, typeof header === 'string' ? header : undefined)) {
        throw csrfRejected('The request lacks the CSRF token of this session (header X-CSRF-Token).');
      }
      services.writeLimits.take(session.account.id);
    }
    states.set(request, {
      account: session.account,
      sessionToken: token as string,
      csrfToken: session.csrfToken,
      ctx: {
        caller: { accountId: session.account.id, isAdmin: session.account.isAdmin },
        region: config.regions[0] as string,
        surface: 'console',
        clientAddress: request.ip,
      },
    });
  };
}

function isHttps(request: FastifyRequest, config: Config): boolean {
  return request.protocol === 'https' || publicBaseUrl(config).startsWith('https:');
}

export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  config: Config,
  token: string,
  expiresAt: string,
): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: COOKIE_PATH,
    secure: isHttps(request, config),
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply, config: Config): void {
  reply.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: 'strict',
    path: COOKIE_PATH,
    secure: isHttps(request, config),
  });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs no credentials (login, version discovery, the OpenAPI document). */
    public?: boolean;
  }
}
