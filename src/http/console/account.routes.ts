// Session, account information, password change, API keys and regions.
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { ConsoleHttpError } from './errors.js';
import type { ConsoleDeps } from './context.js';
import {
  AccountView,
  ApiKeyView,
  ErrorBody,
  LoginBody,
  NewApiKeyView,
  PasswordChangeBody,
  RegionsAnswer,
  SecretIdParams,
  SessionAnswer,
} from './schemas.js';
import { clearSessionCookie, consoleState, refuseCrossSite, setSessionCookie } from './session.js';
import { accountView, apiKeyView } from './views.js';
import { logAsAccount } from '../request-log.js';

const errors = { '4xx': ErrorBody };

export function accountRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const { services, config } = deps;

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/session',
    {
      config: { public: true },
      // Read before authentication: bounded tighter than other bodies (server.loginBodyLimitBytes).
      bodyLimit: config.server.loginBodyLimitBytes,
      schema: {
        tags: ['session'],
        summary: 'Log in with an account ID or name and the password',
        body: LoginBody,
        response: { 200: SessionAnswer, ...errors },
      },
    },
    async (request, reply) => {
      refuseCrossSite(request);
      const started = await services.sessions.login({
        login: request.body.login,
        password: request.body.password,
        clientAddress: request.ip,
      });
      logAsAccount(request, started.account.id);
      setSessionCookie(request, reply, config, started.token, started.expiresAt);
      return { account: accountView(started.account), csrfToken: started.csrfToken };
    },
  );

  app.get(
    '/session',
    {
      schema: {
        tags: ['session'],
        summary: 'The current session',
        response: { 200: SessionAnswer, ...errors },
      },
    },
    async (request) => {
      const state = consoleState(request);
      return { account: accountView(state.account), csrfToken: state.csrfToken };
    },
  );

  app.delete(
    '/session',
    { schema: { tags: ['session'], summary: 'Log out', response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      await services.sessions.logout(consoleState(request).sessionToken);
      clearSessionCookie(request, reply, config);
      return reply.code(204).send();
    },
  );

  app.get(
    '/account',
    {
      schema: {
        tags: ['account'],
        summary: 'Account information',
        response: { 200: AccountView, ...errors },
      },
    },
    async (request) => accountView(consoleState(request).account),
  );

  app.put<{ Body: Static<typeof PasswordChangeBody> }>(
    '/account/password',
    {
      schema: {
        tags: ['account'],
        summary: 'Change the password; ends every session and token of the account',
        body: PasswordChangeBody,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const state = consoleState(request);
      await services.sessions.changePassword(state.account, {
        currentPassword: request.body.currentPassword,
        newPassword: request.body.newPassword,
        clientAddress: request.ip,
      });
      clearSessionCookie(request, reply, config);
      return reply.code(204).send();
    },
  );

  app.get(
    '/account/api-keys',
    {
      schema: {
        tags: ['account'],
        summary: 'API keys (SecretIds) of the account',
        response: { 200: Type.Object({ apiKeys: Type.Array(ApiKeyView) }), ...errors },
      },
    },
    async (request) => ({
      apiKeys: (await services.apiKeys.list(consoleState(request).account.id)).map(apiKeyView),
    }),
  );

  app.post(
    '/account/api-keys',
    {
      schema: {
        tags: ['account'],
        summary: 'Create an API key; its SecretKey is in this answer only',
        response: { 201: NewApiKeyView, ...errors },
      },
    },
    async (request, reply) => {
      const created = await services.apiKeys.create(consoleState(request).account.id);
      return reply.code(201).send({ ...created, enabled: true });
    },
  );

  /** The key of the caller's account, or a 404 (another account's key is not found either). */
  const ownKey = async (accountId: string, secretId: string) => {
    const key = (await services.apiKeys.list(accountId)).find((k) => k.secretId === secretId);
    if (!key) throw new ConsoleHttpError(404, 'ApiKeyNotFound', `No API key ${secretId.slice(0, 64)}.`);
    return key;
  };

  for (const change of ['enable', 'disable'] as const) {
    app.post<{ Params: Static<typeof SecretIdParams> }>(
      `/account/api-keys/:secretId/${change}`,
      {
        schema: {
          tags: ['account'],
          summary: `${change === 'enable' ? 'Enable' : 'Disable'} an API key`,
          params: SecretIdParams,
          response: { 200: ApiKeyView, ...errors },
        },
      },
      async (request) => {
        const accountId = consoleState(request).account.id;
        await ownKey(accountId, request.params.secretId);
        await services.apiKeys[change](accountId, request.params.secretId);
        return apiKeyView(await ownKey(accountId, request.params.secretId));
      },
    );
  }

  app.delete<{ Params: Static<typeof SecretIdParams> }>(
    '/account/api-keys/:secretId',
    {
      schema: {
        tags: ['account'],
        summary: 'Delete an API key',
        params: SecretIdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const accountId = consoleState(request).account.id;
      await ownKey(accountId, request.params.secretId);
      await services.apiKeys.delete(accountId, request.params.secretId);
      return reply.code(204).send();
    },
  );

  app.get(
    '/regions',
    { schema: { tags: ['images'], summary: 'Regions', response: { 200: RegionsAnswer, ...errors } } },
    async () => ({
      regions: config.regions.map((id, i) => ({ id, isDefault: i === 0 })),
      recycleBinDays: config.images.recycleBinDays,
    }),
  );
}
