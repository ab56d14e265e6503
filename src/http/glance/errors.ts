// Glance's error envelope. Glance raises webob HTTP exceptions, and WebOb renders them by content
// negotiation over the offers ['text/html', 'application/json'] (spec §3.1): JSON when application/json is
// strictly preferred, HTML for */* or text/html, text/plain otherwise (also for a missing or empty Accept).
// Authentication failures are Keystone-style JSON with WWW-Authenticate, as keystonemiddleware sends them.
// The one table from the domain's coded errors to HTTP statuses for this surface lives here.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import { isDomainError, type ErrorCode } from '../../domain/errors.js';
import { issueOf } from '../validation.js';
import { glanceValidationError } from './validation.js';

export const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** Every domain error code, with the status the image API answers it with. */
export const statusByCode: Record<ErrorCode, number> = {
  Unauthenticated: 401,
  RateLimited: 429,
  InvalidInput: 400,
  ImageNotFound: 404,
  MemberNotFound: 404,
  AccountNotFound: 400, // sharing with an account that does not exist is a bad request, not a missing URL
  InstanceNotFound: 404,
  TagNotFound: 404,
  RegionNotFound: 404,
  NotImageOwner: 403,
  SharedImageModifyUnsupported: 403,
  Forbidden: 403,
  ImageNotShareable: 403,
  InvalidCopyTarget: 400,
  ShareWithSelf: 400,
  ShareLimitExceeded: 413,
  ShareRequestTooLarge: 413,
  MemberAlreadyExists: 409,
  ShareNotAccepted: 403,
  CopyNotGranted: 403,
  ImageInShared: 409,
  ImageProtected: 403,
  ImageDeactivated: 403,
  InvalidImageStatus: 409,
  ImageQuotaExceeded: 413,
  QuotaExceeded: 413,
  Conflict: 409,
  PayloadTooLarge: 413,
  RangeNotSatisfiable: 416,
  NotificationNotFound: 404,
  ApiKeyLimitExceeded: 413,
  GroupNotFound: 404,
  GroupTooLarge: 413,
  GroupQuotaExceeded: 413,
  LaunchNotAllowed: 403,
};

/** An HTTP-level refusal raised by the Glance routes themselves (wire format problems, 405, 415, ...). */
export class GlanceHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GlanceHttpError';
  }
}

export const badRequest = (message: string) => new GlanceHttpError(400, message);

export const UNAUTHORIZED_MESSAGE = 'The request you have made requires authentication.';
const INTERNAL_MESSAGE = 'The server has either erred or is incapable of performing the requested operation.';

type Rendering = 'json' | 'html' | 'plain';

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [mediaType, ...params] = part.split(';').map((s) => s.trim());
    if (!mediaType) continue;
    const [type, subtype] = mediaType.toLowerCase().split('/');
    if (!type || !subtype) continue;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=').map((s) => s.trim());
      if (name?.toLowerCase() === 'q' && value !== undefined) {
        const n = Number(value);
        q = Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 1;
      }
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/** The quality the client gives `offer`: that of the most specific matching range (RFC 7231 5.3.2). */
function qualityOf(offer: string, ranges: MediaRange[]): number {
  const [type, subtype] = offer.split('/');
  let best: { specificity: number; q: number } | null = null;
  for (const r of ranges) {
    let specificity: number;
    if (r.type === type && r.subtype === subtype) specificity = 2;
    else if (r.type === type && r.subtype === '*') specificity = 1;
    else if (r.type === '*' && r.subtype === '*') specificity = 0;
    else continue;
    if (!best || specificity > best.specificity) best = { specificity, q: r.q };
  }
  return best?.q ?? 0;
}

/** WebOb's choice (acceptable_offers over ['text/html', 'application/json'], ties to the first offer). */
export function negotiate(accept: string | undefined): Rendering {
  const ranges = parseAccept(accept ?? '');
  const html = qualityOf('text/html', ranges);
  const json = qualityOf('application/json', ranges);
  if (html === 0 && json === 0) return 'plain';
  return json > html ? 'json' : 'html';
}

function htmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Sends a Glance error in the rendering the request's Accept header asks for. */
export function sendGlanceError(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): FastifyReply {
  const title = titles[status] ?? 'Error';
  const code = `${status} ${title}`;
  reply.code(status);
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  // A refused request whose body was never read: close the connection rather than read it all.
  if (!request.raw.complete) reply.header('connection', 'close');
  switch (negotiate(request.headers.accept)) {
    case 'json':
      return reply
        .type('application/json')
        .send(JSON.stringify({ message: `${message}<br /><br />\n\n\n`, code, title }));
    case 'html':
      return reply
        .type('text/html; charset=UTF-8')
        .send(
          `<html>\n <head>\n  <title>${code}</title>\n </head>\n <body>\n  <h1>${code}</h1>\n  ` +
            `${htmlEscape(message)}<br /><br />\n\n\n\n </body>\n</html>`,
        );
    default:
      return reply.type('text/plain; charset=UTF-8').send(`${code}\n\n${message}\n\n   `);
  }
}

/** keystonemiddleware's 401. */
export function sendUnauthorized(reply: FastifyReply, identityUri: string): FastifyReply {
  if (!reply.request.raw.complete) reply.header('connection', 'close');
  return reply
    .code(401)
    .header('www-authenticate', `Keystone uri="${identityUri}"`)
    .type('application/json; charset=UTF-8')
    .send(JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: UNAUTHORIZED_MESSAGE } }));
}

/** The plugin's error handler: domain errors through the table, wire errors as raised, the rest 500. */
export function glanceErrorHandler(identityUri: () => string) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (isDomainError(error)) {
      const status = statusByCode[error.code];
      if (status === 401) return sendUnauthorized(reply, identityUri());
      const headers: Record<string, string> = {};
      if (status === 429) headers['retry-after'] = String(error.details.retryAfterSeconds ?? 60);
      if (status === 416 && error.details.size !== undefined) {
        headers['content-range'] = `bytes */${error.details.size}`;
      }
      return sendGlanceError(request, reply, status, error.message, headers);
    }
    if (error instanceof GlanceHttpError) {
      return sendGlanceError(request, reply, error.statusCode, error.message, error.headers);
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      // A route schema refused the body: Glance's words for the first problem.
      const root = (request.routeOptions.schema?.body ?? {}) as Record<string, unknown>;
      const refusal = glanceValidationError(issueOf(fastifyError.validation as ErrorObject[]), root);
      return sendGlanceError(request, reply, refusal.statusCode, refusal.message);
    }
    const status = fastifyError.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Fastify's own client errors: body too large, unsupported media type, malformed body.
      const message =
        status === 413
          ? 'Request body is too large.'
          : status === 415
            ? 'Unsupported Content-Type.'
            : status === 400
              ? 'Malformed request.'
              : (titles[status] ?? 'Bad Request');
      return sendGlanceError(request, reply, status, message);
    }
    // `destroyed` alone is also true once a body has been read to its end; readableAborted means cut off.
    if (request.raw.readableAborted || (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
      // The client went away (e.g. a cut-off upload); nobody is left to answer.
      request.log.info({ err: error }, 'client closed the connection');
      return sendGlanceError(request, reply, 400, 'The request was cut off.');
    }
    request.log.error({ err: error }, 'unexpected error on the image API');
    return sendGlanceError(request, reply, 500, INTERNAL_MESSAGE);
  };
}
