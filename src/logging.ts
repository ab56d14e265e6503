// The service's logger: JSON lines (pino) with every credential taken out before a line is written.
// Fastify logs each request's URL, and the Signature scheme (API 3.0 v1, legacy /v2/index.php) carries
// SecretId and Signature in the query string; handlers log errors whose objects may hold headers or bodies.
// Redaction here is the one place that keeps tokens, passwords, signatures, secret keys, session cookies and
// CSRF tokens out of the logs, whatever a caller passes to the logger.
import pino, { type Logger } from 'pino';

const REDACTED = '[Redacted]';

/** Query (and form) parameters whose values are credentials, compared case-insensitively. */
const SECRET_PARAMS = new Set([
  'signature',
  'secretid',
  'secretkey',
  'token',
  'password',
  'x-auth-token',
  'x-subject-token',
  'csrf',
  'csrftoken',
  'csrf_token',
  'imageshare_session',
]);

/** Header and field names that hold credentials, wherever they appear in a logged object. */
const SECRET_KEYS = [
  'authorization',
  'x-auth-token',
  'x-subject-token',
  'x-tc-token',
  'x-csrf-token',
  'cookie',
  'set-cookie',
  'password',
  'secretKey',
  'secret_key',
  'SecretKey',
  'Signature',
  'signature',
  'token',
  'csrfToken',
];

/** A URL with the values of credential parameters replaced; the path and other parameters stay readable. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    if (eq < 0) return part;
    let name: string;
    try {
      name = decodeURIComponent(part.slice(0, eq).replace(/\+/g, ' '));
    } catch {
      name = part.slice(0, eq);
    }
    return SECRET_PARAMS.has(name.toLowerCase()) ? `${part.slice(0, eq)}=${REDACTED}` : part;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/**
 * Redaction paths: credential fields up to two levels into any object, which takes in the request, response
 * and error headers (`req.headers.cookie` is `*.*["cookie"]`). Naming those headers again as well doubled
 * the paths pino checks on every line, for the same output (a show request spent 11% of its CPU profile in
 * redaction; bench/RESULTS.md).
 */
function redactPaths(): string[] {
  const paths: string[] = [];
  const quoted = (key: string) => `["${key}"]`;
  for (const key of SECRET_KEYS) paths.push(quoted(key), `*${quoted(key)}`, `*.*${quoted(key)}`);
  return paths;
}

/**
 * A child of `logger` writing to the same destination without any redaction, and with `req` and `res` written
 * as given (Fastify's serializers for them expect its request and reply objects): only for lines whose every
 * field the caller picked and made safe itself. The request log's access line is one (request-log.ts): it is
 * written once per request, and walking the wildcard paths above over it was the largest part of a show
 * request's CPU outside SQLite (bench/RESULTS.md, "Issue 10, fourth pass"). Every other line keeps the full
 * redaction of createLogger.
 */
export function unredactedChild(logger: Logger): Logger {
  const asGiven = (value: unknown) => value;
  return logger.child({}, { redact: { paths: [] }, serializers: { req: asGiven, res: asGiven } });
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [...redactPaths(), 'req.url', 'url'],
      censor: (value: unknown, path: string[]) =>
        path[path.length - 1] === 'url' && typeof value === 'string' ? redactUrl(value) : REDACTED,
    },
  });
}
