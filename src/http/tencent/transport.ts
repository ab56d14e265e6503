// What both Tencent surfaces (API 3.0 and the legacy v2 API) do the same way on the wire.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Parameters of the `Signature` scheme and SDK extras: never passed to an action. */
export const SIGNATURE_COMMON_PARAMS = new Set([
  'Action',
  'Region',
  'Timestamp',
  'Nonce',
  'SecretId',
  'Signature',
  'SignatureMethod',
  'Version',
  'Token',
  'RequestClient',
  'RequestSource',
  'Language',
]);

/** True for an action that changes something (it takes from the account's write limit); Describe* only read. */
export function isWriteAction(api3Name: string): boolean {
  return !api3Name.startsWith('Describe');
}

/** The parameters an action sees: everything but the common ones. */
export function actionParams(flat: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(flat).filter(([k]) => !SIGNATURE_COMMON_PARAMS.has(k)));
}

/** A request header as one string (repeated headers joined with ", " as Node does). */
export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The raw text after `?` ("" when there is none), exactly as received. */
export function rawQueryOf(url: string | undefined): string {
  if (!url) return '';
  const i = url.indexOf('?');
  return i < 0 ? '' : url.slice(i + 1);
}

export function contentTypeEssence(request: FastifyRequest): string {
  return (header(request, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Status 200 with Content-Type exactly `application/json` (the Python SDK ignores errors under any other
 * value). The body goes out as a Buffer: Fastify appends `; charset=utf-8` to a JSON type for string payloads.
 */
export function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply
    .code(200)
    .header('content-type', 'application/json')
    .send(Buffer.from(JSON.stringify(body), 'utf8'));
}

/** In an encapsulated plugin: every body arrives as raw bytes (signatures hash exactly what was sent). */
export function acceptRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
}

/**
 * Errors Fastify raises before a Tencent handler runs (while reading the request), in Tencent's words; null
 * for anything else (an unexpected error, answered as InternalError). A malformed Content-Type (Fastify's
 * FST_ERR_CTP_INVALID_MEDIA_TYPE) was answered as InternalError; it is the client's parameter error.
 */
export function transportError(err: {
  statusCode?: number;
  code?: string;
}): { Code: string; Message: string } | null {
  const status = err.statusCode ?? 0;
  if (status === 413) return { Code: 'RequestSizeLimitExceeded', Message: 'The request body is too large.' };
  if (status === 408) return { Code: 'InvalidParameter', Message: 'The request body arrived too slowly.' };
  if (status === 415 || err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return {
      Code: 'InvalidParameter',
      Message:
        'The Content-Type is malformed: use application/json (TC3) or application/x-www-form-urlencoded.',
    };
  }
  if (status >= 400 && status < 500) {
    return { Code: 'InvalidParameter', Message: 'The request could not be read.' };
  }
  return null;
}
