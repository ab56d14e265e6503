// Tencent Cloud API 3.0 (CVM 2017-03-12) on `POST /` and `GET /` (spec tencent-api.md §2, §6).
//
// Routing: the image API owns `GET /` (OpenStack version discovery). Tencent's GET requests are told apart by a
// route constraint, `tencentApi`, derived from the raw request: a request with an `X-TC-Action` header or an
// `Action` query parameter matches this plugin's constrained `GET /`; every other `GET /` falls through to the
// unconstrained route of the image API. `POST /` belongs to this plugin alone (form-POST's Action is in the
// body, which routing cannot see).
//
// Envelope: always HTTP 200, `Content-Type: application/json` exactly (the Python SDK ignores errors under any
// other content type), `{"Response": {..., "RequestId": uuid}}`, errors as `Response.Error {Code, Message}`.
// Nothing escapes as a 500: unexpected errors become `InternalError` with a generic message and are logged.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../../config.js';
import { isDomainError } from '../../../domain/errors.js';
import type { Caller } from '../../../domain/types.js';
import type { Services } from '../../../services/container.js';
import { validatorFor } from '../../validation.js';
import { authenticateParams, authenticateTc3 } from '../authenticate.js';
import { TencentError, tencentCodeFor } from '../error-codes.js';
import { parseFlat, validateParams, refuseUnsafeJsonKeys, unflatten, type Source } from '../params.js';
import {
  acceptRawBodies,
  actionParams,
  contentTypeEssence,
  header,
  isWriteAction,
  rawQueryOf,
  sendJson,
  transportError,
} from '../transport.js';
import { logAsAccount } from '../../request-log.js';
import { actions as defaultActions } from './actions/index.js';
import type { ActionTable } from './types.js';

export const API_VERSION = '2017-03-12';

/** No region name is longer (config.ts allows 64 characters). */
const MAX_REGION_LENGTH = 64;

export interface TencentApi3Options {
  config: Config;
  services: Services;
  /** The action table; defaults to ./actions. */
  actions?: ActionTable;
}

function queryHasAction(url: string | undefined): boolean {
  const q = rawQueryOf(url);
  return q !== '' && new URLSearchParams(q).has('Action');
}

/** True for a request meant for Tencent API 3.0: an X-TC-Action header, or an Action query/form parameter. */
export function isTencentRequest(request: Pick<FastifyRequest, 'headers' | 'url' | 'body'>): boolean {
  if (request.headers['x-tc-action'] !== undefined) return true;
  if (queryHasAction(request.url)) return true;
  const body = request.body;
  const type = String(request.headers['content-type'] ?? '');
  if (Buffer.isBuffer(body) && type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return new URLSearchParams(body.toString('utf8')).has('Action');
  }
  return false;
}

/** The router constraint that sends Tencent's `GET /` here and every other `GET /` to the image API. */
export const tencentApiConstraint = {
  name: 'tencentApi',
  storage() {
    const handlers = new Map<string, unknown>();
    return {
      get: (value: string) => (handlers.get(value) ?? null) as never,
      set: (value: string, store: unknown) => void handlers.set(value, store),
    };
  },
  deriveConstraint(req: IncomingMessage): string | undefined {
    return req.headers['x-tc-action'] !== undefined || queryHasAction(req.url) ? 'api3' : undefined;
  },
  // false: a derived value prefers the constrained route where one exists (GET /) and is ignored elsewhere,
  // so `GET /v2/images?Action=x` still reaches the image API.
  mustMatchWhenDerived: false,
  validate(value: unknown) {
    if (value !== 'api3') throw new Error('tencentApi constraint takes "api3"');
  },
};

/** Sends `{"Response": …}` (see transport.ts: status 200, Content-Type exactly application/json). */
export function sendEnvelope(reply: FastifyReply, response: Record<string, unknown>): FastifyReply {
  return sendJson(reply, { Response: response });
}

export function tencentErrorBody(
  err: unknown,
  action: string | undefined,
  log: FastifyBaseLogger,
): { Code: string; Message: string } {
  if (err instanceof TencentError) return { Code: err.code, Message: err.message };
  if (isDomainError(err)) return { Code: tencentCodeFor(err, action), Message: err.message };
  log.error({ err, action }, 'Tencent API request failed unexpectedly');
  return { Code: 'InternalError', Message: 'An internal error occurred. Try again later.' };
}

interface ParsedRequest {
  mode: 'tc3' | 'v1';
  action: string | undefined;
  version: string | undefined;
  region: string | undefined;
  params: Record<string, unknown>;
  source: Source;
  /** Flat string parameters as received (v1 signs them). */
  flat: Record<string, string>;
}

function parseRequest(request: FastifyRequest, body: Buffer): ParsedRequest {
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') {
    throw new TencentError('UnsupportedProtocol', 'Only GET and POST are supported.');
  }
  const authorization = header(request, 'authorization');
  // Prototype-less (as parseFlat's): `flat.Signature` and friends must never read an inherited value.
  let flat: Record<string, string> = Object.create(null) as Record<string, string>;
  let json: Record<string, unknown> | undefined;
  if (method === 'GET') {
    flat = parseFlat(rawQueryOf(request.url));
  } else {
    const type = contentTypeEssence(request);
    if (type === 'application/json') {
      let parsed: unknown;
      try {
        // The reviver refuses __proto__/constructor/prototype keys at any depth (params.ts, UNSAFE_NAMES).
        parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'), refuseUnsafeJsonKeys);
      } catch (err) {
        if (err instanceof TencentError) throw err;
        throw new TencentError('InvalidParameter', 'The request body is not valid JSON.');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new TencentError('InvalidParameter', 'The request body must be a JSON object.');
      }
      json = parsed as Record<string, unknown>;
    } else if (type === 'application/x-www-form-urlencoded') {
      flat = parseFlat(body.toString('utf8'));
    } else if (type === 'multipart/form-data') {
      throw new TencentError('InvalidRequest', 'multipart/form-data is not supported by these actions.');
    } else {
      throw new TencentError(
        'InvalidParameter',
        'Content-Type must be application/json (TC3) or application/x-www-form-urlencoded (Signature).',
      );
    }
  }

  if (authorization !== undefined || flat.Signature === undefined) {
    // TC3 (or no credentials at all, which authentication refuses with a clear code).
    return {
      mode: 'tc3',
      action: header(request, 'x-tc-action') ?? flat.Action,
      version: header(request, 'x-tc-version') ?? flat.Version,
      region: header(request, 'x-tc-region') ?? flat.Region,
      params: json ?? unflatten(actionParams(flat)),
      source: json ? 'json' : 'strings',
      flat,
    };
  }
  if (json)
    throw new TencentError(
      'InvalidParameter',
      'The Signature parameter scheme needs a form body or a query.',
    );
  return {
    mode: 'v1',
    action: flat.Action,
    version: flat.Version,
    region: flat.Region,
    params: unflatten(actionParams(flat)),
    source: 'strings',
    flat,
  };
}

async function authenticate(
  request: FastifyRequest,
  parsed: ParsedRequest,
  body: Buffer,
  opts: TencentApi3Options,
): Promise<Caller> {
  const { services, config } = opts;
  if (parsed.mode === 'v1') {
    return authenticateParams(
      services.apiKeys,
      { method: request.method, host: header(request, 'host') ?? '', path: '/', params: parsed.flat },
      {
        maxSkewSeconds: config.tencent.maxClockSkewSeconds,
        replayCode: 'AuthFailure.SignatureFailure',
        missingCode: 'MissingParameter',
      },
    );
  }
  if (header(request, 'authorization') === undefined) {
    throw new TencentError(
      'AuthFailure.InvalidAuthorization',
      'The request carries neither an Authorization header (TC3-HMAC-SHA256) nor a Signature parameter.',
    );
  }
  // Prototype-less: verifyTc3 looks up names taken from the client's SignedHeaders (`constructor`, ...).
  const headers = Object.create(null) as Record<string, string | undefined>;
  for (const name of Object.keys(request.headers)) headers[name] = header(request, name);
  return authenticateTc3(
    services.apiKeys,
    config,
    { method: request.method, rawQuery: rawQueryOf(request.url), headers, body },
    { action: parsed.action ?? '', region: parsed.region ?? '', version: parsed.version ?? '' },
  );
}

async function handle(
  request: FastifyRequest,
  reply: FastifyReply,
  opts: TencentApi3Options,
): Promise<FastifyReply> {
  const requestId = randomUUID();
  const traceId = header(request, 'x-tc-traceid');
  if (traceId) reply.header('x-tc-traceid', traceId);
  const table = opts.actions ?? defaultActions;
  let action: string | undefined;
  try {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const parsed = parseRequest(request, body);
    action = parsed.action;
    if (!action)
      throw new TencentError(
        'MissingParameter',
        'The request is missing the action (X-TC-Action or Action).',
      );
    if (!parsed.version)
      throw new TencentError(
        'MissingParameter',
        'The request is missing the version (X-TC-Version or Version).',
      );
    if (parsed.version !== API_VERSION) {
      throw new TencentError(
        'NoSuchVersion',
        `The API version ${parsed.version} does not exist; use ${API_VERSION}.`,
      );
    }
    const definition = Object.prototype.hasOwnProperty.call(table, action) ? table[action] : undefined;
    if (!definition) throw new TencentError('InvalidAction', `The action ${action} is not supported.`);
    // Before authentication, which records the region with the signature (tc3_signature_bindings): a region
    // of a few hundred characters overflowed that column on PostgreSQL, an InternalError (found by fuzzing).
    if (parsed.region !== undefined && parsed.region.length > MAX_REGION_LENGTH) {
      throw new TencentError('InvalidRegion.NotFound', 'The region does not exist.');
    }

    const caller = await authenticate(request, parsed, body, opts);
    logAsAccount(request, caller.accountId);
    if (isWriteAction(action)) opts.services.writeLimits.take(caller.accountId);

    const regions = opts.config.regions;
    let region = regions[0] as string;
    if (definition.region !== 'none') {
      if (parsed.region) {
        if (!regions.includes(parsed.region)) {
          throw new TencentError('InvalidRegion.NotFound', `The region ${parsed.region} does not exist.`);
        }
        region = parsed.region;
      } else if (definition.region === 'required') {
        throw new TencentError(
          'MissingParameter',
          'The request is missing the region (X-TC-Region or Region).',
        );
      }
    }

    const params = validateParams(definition.params, parsed.params, parsed.source);
    request.log.info({ tencentAction: action, region }, 'tencent api3 action');
    const result = await definition.handler(params, {
      ctx: { caller, region, surface: 'tencent', clientAddress: request.ip },
      services: opts.services,
      config: opts.config,
      requestId,
      log: request.log,
    });
    return sendEnvelope(reply, { ...result, RequestId: requestId });
  } catch (err) {
    return sendEnvelope(reply, { Error: tencentErrorBody(err, action, request.log), RequestId: requestId });
  }
}

/** The request handler, for surfaces that route to it themselves. */
export function tencentApi3Handler(opts: TencentApi3Options) {
  return (request: FastifyRequest, reply: FastifyReply) => handle(request, reply, opts);
}

/** Fastify plugin (encapsulated: its body parsers and error handler touch no other surface). */
export async function tencentApi3Plugin(app: FastifyInstance, opts: TencentApi3Options): Promise<void> {
  // Every body arrives as raw bytes: TC3 hashes exactly what was sent, and this plugin parses it itself.
  acceptRawBodies(app);
  if (!app.hasConstraintStrategy(tencentApiConstraint.name)) app.addConstraintStrategy(tencentApiConstraint);

  // Errors before the handler (body too large, malformed Content-Type, aborted body) still get the Tencent envelope with status 200.
  app.setErrorHandler((err: { statusCode?: number; code?: string }, request, reply) => {
    const error = transportError(err) ?? tencentErrorBody(err, undefined, request.log);
    return sendEnvelope(reply, { Error: error, RequestId: randomUUID() });
  });

  // Compile every action's parameter schema now: a schema error stops the start, not a request.
  for (const definition of Object.values(opts.actions ?? defaultActions)) validatorFor(definition.params);

  const handler = tencentApi3Handler(opts);
  app.route({ method: 'GET', url: '/', constraints: { tencentApi: 'api3' }, handler });
  app.route({ method: 'POST', url: '/', handler });
}
