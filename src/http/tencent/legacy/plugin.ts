// Tencent's legacy v2 action API at `/v2/index.php` (GET query or form POST), spec tencent-api.md §1.
// Signature: HmacSHA1/HmacSHA256 over METHOD + host + /v2/index.php + ? + sorted params; Timestamp within
// tencent.legacyMaxClockSkewSeconds (2 hours) and every Nonce used once per SecretId (code 4500 otherwise).
// Answers are always HTTP 200 with Content-Type exactly application/json:
//   {"code":0,"message":"","codeDesc":"Success", ...payload}  or  {"code":4100,"message":"…","codeDesc":"AuthFailure.SignatureFailure"}
// codeDesc carries the API 3.0 error code (error-codes.ts), the numeric code the legacy family (spec §1.6).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../../config.js';
import { isDomainError } from '../../../domain/errors.js';
import type { Services } from '../../../services/container.js';
import { validatorFor } from '../../validation.js';
import { authenticateParams } from '../authenticate.js';
import { logAsAccount } from '../../request-log.js';
import { TencentError, legacyCodeFor, tencentCodeFor } from '../error-codes.js';
import { parseFlat, validateParams, unflatten } from '../params.js';
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
import { legacyActions, regionName } from './actions.js';

export const LEGACY_PATH = '/v2/index.php';

export interface TencentLegacyOptions {
  config: Config;
  services: Services;
}

const send = sendJson;

function readParams(request: FastifyRequest): Record<string, string> {
  if (request.method === 'GET') return parseFlat(rawQueryOf(request.url));
  if (contentTypeEssence(request) !== 'application/x-www-form-urlencoded') {
    throw new TencentError('InvalidParameter', 'POST needs Content-Type application/x-www-form-urlencoded.');
  }
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  return parseFlat(body.toString('utf8'));
}

async function handle(
  request: FastifyRequest,
  reply: FastifyReply,
  opts: TencentLegacyOptions,
): Promise<FastifyReply> {
  let api3Name: string | undefined;
  try {
    const flat = readParams(request);
    const action = flat.Action;
    if (!action) throw new TencentError('MissingParameter', 'The request is missing the Action parameter.');
    const definition = Object.prototype.hasOwnProperty.call(legacyActions, action)
      ? legacyActions[action]
      : undefined;
    if (!definition) throw new TencentError('InvalidAction', `The action ${action} is not supported.`);
    api3Name = definition.api3Name;

    const caller = await authenticateParams(
      opts.services.apiKeys,
      { method: request.method, host: header(request, 'host') ?? '', path: LEGACY_PATH, params: flat },
      {
        maxSkewSeconds: opts.config.tencent.legacyMaxClockSkewSeconds,
        replayCode: 'AuthFailure.ReplayAttack',
        missingCode: 'MissingParameter',
      },
    );

    logAsAccount(request, caller.accountId);
    if (isWriteAction(definition.api3Name)) opts.services.writeLimits.take(caller.accountId);
    let region = opts.config.regions[0] as string;
    if (flat.Region) {
      region = regionName(flat.Region);
      if (!opts.config.regions.includes(region)) {
        throw new TencentError('InvalidRegion.NotFound', `The region ${flat.Region} does not exist.`);
      }
    }
    const params = validateParams(definition.params, unflatten(actionParams(flat)), 'strings');
    request.log.info({ tencentLegacyAction: action, region }, 'tencent legacy action');
    const result = await definition.handler(params, {
      ctx: { caller, region, surface: 'tencent-legacy', clientAddress: request.ip },
      services: opts.services,
      config: opts.config,
      requestId: randomUUID(),
      log: request.log,
    });
    return send(reply, { code: 0, message: '', codeDesc: 'Success', ...result });
  } catch (err) {
    if (err instanceof TencentError) return send(reply, { ...legacyCodeFor(err.code), message: err.message });
    if (isDomainError(err))
      return send(reply, { ...legacyCodeFor(tencentCodeFor(err, api3Name)), message: err.message });
    request.log.error({ err }, 'Tencent legacy request failed unexpectedly');
    return send(reply, {
      code: 5100,
      message: 'An internal error occurred. Try again later.',
      codeDesc: 'InternalError',
    });
  }
}

/** Fastify plugin (encapsulated): raw form bodies, the legacy envelope for every outcome. */
export async function tencentLegacyPlugin(app: FastifyInstance, opts: TencentLegacyOptions): Promise<void> {
  acceptRawBodies(app);
  app.setErrorHandler((err: { statusCode?: number; code?: string }, request, reply) => {
    const known = transportError(err);
    if (known) return send(reply, { ...legacyCodeFor(known.Code), message: known.Message });
    request.log.error({ err }, 'Tencent legacy request failed before its handler');
    return send(reply, {
      code: 5100,
      message: 'An internal error occurred. Try again later.',
      codeDesc: 'InternalError',
    });
  });
  // Compile every action's parameter schema now: a schema error stops the start, not a request.
  for (const definition of Object.values(legacyActions)) validatorFor(definition.params);
  const handler = (request: FastifyRequest, reply: FastifyReply) => handle(request, reply, opts);
  app.route({ method: ['GET', 'POST'], url: LEGACY_PATH, handler });
}
