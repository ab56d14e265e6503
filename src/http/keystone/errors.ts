// Keystone's error envelope: {"error":{"code":401,"title":"Unauthorized","message":"..."}}.
// Maps the domain's coded errors and Fastify's own errors to it; never leaks internals or stack traces.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import { isDomainError, type ErrorCode } from '../../domain/errors.js';
import { issueOf } from '../validation.js';

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

export const UNAUTHORIZED_MESSAGE = 'The request you have made requires authentication.';

const statusByCode: Partial<Record<ErrorCode, number>> = {
  Unauthenticated: 401,
  RateLimited: 429,
  InvalidInput: 400,
  AccountNotFound: 404,
  Forbidden: 403,
  Conflict: 409,
  PayloadTooLarge: 413,
};

export class KeystoneHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function identityUri(baseUrl: string): string {
  return `${baseUrl}/identity/v3`;
}

export function sendKeystoneError(
  reply: FastifyReply,
  status: number,
  message: string,
  baseUrl: string,
): FastifyReply {
  if (status === 401) reply.header('www-authenticate', `Keystone uri="${identityUri(baseUrl)}"`);
  return reply
    .code(status)
    .type('application/json')
    .send({ error: { code: status, title: titles[status] ?? 'Error', message } });
}

export function keystoneErrorHandler(baseUrl: () => string) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (isDomainError(error)) {
      const status = statusByCode[error.code] ?? 500;
      if (status === 429) {
        reply.header('retry-after', String(error.details.retryAfterSeconds ?? 60));
      }
      if (status === 500) {
        request.log.error({ err: error }, 'unmapped domain error on the identity API');
        return sendKeystoneError(
          reply,
          500,
          'An unexpected error prevented the server from fulfilling your request.',
          baseUrl(),
        );
      }
      return sendKeystoneError(
        reply,
        status,
        status === 401 ? UNAUTHORIZED_MESSAGE : error.message,
        baseUrl(),
      );
    }
    if (error instanceof KeystoneHttpError) {
      return sendKeystoneError(reply, error.statusCode, error.message, baseUrl());
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      // A route schema (TypeBox, checked by ../validation.ts) refused the request: name the field.
      const issue = issueOf(fastifyError.validation as ErrorObject[]);
      const field = issue.path.join('.') || (fastifyError.validationContext ?? 'body');
      const reason =
        issue.keyword === 'required'
          ? `'${issue.path[issue.path.length - 1] ?? field}' is a required property`
          : `it ${(fastifyError.validation[0] as ErrorObject | undefined)?.message ?? 'is invalid'}`;
      return sendKeystoneError(
        reply,
        400,
        `Invalid input for field '${field}': ${reason}.`.slice(0, 500),
        baseUrl(),
      );
    }
    const status = fastifyError.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Fastify's client errors (malformed JSON, empty body, body too large, unsupported media type).
      const message =
        status === 400
          ? 'The request body is not valid JSON or is missing.'
          : status === 413
            ? 'Request is too large.'
            : status === 415
              ? 'The request body must be application/json.'
              : (titles[status] ?? 'Bad Request');
      return sendKeystoneError(reply, status, message, baseUrl());
    }
    request.log.error({ err: error }, 'unexpected error on the identity API');
    return sendKeystoneError(
      reply,
      500,
      'An unexpected error prevented the server from fulfilling your request.',
      baseUrl(),
    );
  };
}
