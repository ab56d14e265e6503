// The console API's error envelope: {"error":{"code","message","details"}} with the domain's own code, so the
// browser can put each refusal into words (in either language). One status per domain code, here only.
// Validation failures name the field; anything unexpected is a 500 that says nothing of the internals.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isDomainError, type ErrorCode } from '../../domain/errors.js';

const statusByCode: Record<ErrorCode, number> = {
  Unauthenticated: 401,
  RateLimited: 429,
  InvalidInput: 400,
  ImageNotFound: 404,
  MemberNotFound: 404,
  AccountNotFound: 404,
  InstanceNotFound: 404,
  TagNotFound: 404,
  RegionNotFound: 404,
  NotImageOwner: 403,
  SharedImageModifyUnsupported: 403,
  Forbidden: 403,
  ImageNotShareable: 409,
  InvalidCopyTarget: 400,
  ShareWithSelf: 400,
  ShareLimitExceeded: 409,
  ShareRequestTooLarge: 400,
  MemberAlreadyExists: 409,
  ShareNotAccepted: 403,
  CopyNotGranted: 403,
  ImageInShared: 409,
  ImageProtected: 409,
  ImageDeactivated: 409,
  InvalidImageStatus: 409,
  ImageQuotaExceeded: 409,
  QuotaExceeded: 409,
  Conflict: 409,
  PayloadTooLarge: 413,
  RangeNotSatisfiable: 416,
  ApiKeyLimitExceeded: 409,
  GroupNotFound: 404,
  GroupTooLarge: 409,
  GroupQuotaExceeded: 409,
  LaunchNotAllowed: 403,
  NotificationNotFound: 404,
};

/** Refusals that belong to the console itself (no domain rule behind them). */
export class ConsoleHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

export function csrfRejected(message: string): ConsoleHttpError {
  return new ConsoleHttpError(403, 'CsrfRejected', message);
}

export function sendConsoleError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  details: Record<string, string | number> = {},
): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ error: { code, message, details } });
}

/** "body.accountIds/3" style path of the field a validation error is about. */
function fieldOf(error: FastifyError): string {
  const first = error.validation?.[0];
  const context = error.validationContext ?? 'body';
  if (!first) return context;
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = (first.params as { missingProperty?: string; additionalProperty?: string }) ?? {};
  const leaf = missing.missingProperty ?? missing.additionalProperty;
  return [context, path, leaf].filter(Boolean).join('.');
}

export function consoleErrorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (isDomainError(error)) {
    const status = statusByCode[error.code];
    if (status === 429) {
      const retryAfter = Number(error.details.retryAfterSeconds ?? 60);
      reply.header('retry-after', String(retryAfter));
      return sendConsoleError(reply, 429, error.code, error.message, { retryAfterSeconds: retryAfter });
    }
    return sendConsoleError(reply, status, error.code, error.message, error.details);
  }
  if (error instanceof ConsoleHttpError) {
    return sendConsoleError(reply, error.statusCode, error.code, error.message, error.details);
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const field = fieldOf(fastifyError);
    const problem = fastifyError.validation[0]?.message ?? 'is not valid';
    return sendConsoleError(reply, 400, 'InvalidInput', `Invalid ${field}: ${problem}.`, { field });
  }
  const status = fastifyError.statusCode ?? 500;
  if (status === 413)
    return sendConsoleError(reply, 413, 'PayloadTooLarge', 'The request body is too large.');
  if (status === 415)
    return sendConsoleError(reply, 415, 'UnsupportedMediaType', 'This content type is not accepted here.');
  if (status >= 400 && status < 500) {
    // Fastify's own client errors (malformed JSON, empty body, ...): their messages name no internals.
    return sendConsoleError(reply, status, 'InvalidInput', fastifyError.message);
  }
  request.log.error({ err: error }, 'console API request failed unexpectedly');
  return sendConsoleError(reply, 500, 'InternalError', 'Something went wrong on our side. Try again later.');
}
