// The Keystone v3 subset, mounted under /identity (the root belongs to the image API): version discovery,
// password tokens (issue, validate, revoke), and read-only views of the caller's own project and user.
// One account = one user + one project with the same ID and name, in the one domain "Default".
// Unscoped password logins are scoped to the account's own project (clients then need no project setting).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { logAsAccount } from '../request-log.js';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { publicBaseUrl } from '../../config.js';
import type { Account, Caller } from '../../domain/types.js';
import { DEFAULT_DOMAIN, isDefaultDomain, type PasswordLogin } from '../../services/auth.service.js';
import { MAX_PASSWORD_LENGTH } from '../../services/passwords.js';
import type { AppDeps } from '../app.js';
import { validatorCompiler } from '../validation.js';
import { KeystoneHttpError, keystoneErrorHandler, sendKeystoneError } from './errors.js';
import { catalog, domainObject, projectObject, tokenBody, userObject, versionObject } from './documents.js';

const Name = Type.String({ maxLength: 255 });
const DomainRef = Type.Object({ id: Type.Optional(Name), name: Type.Optional(Name) });

/** POST /v3/auth/tokens: a password login, optionally scoped (validated by Fastify, ../validation.ts). */
const authBodySchema = Type.Object({
  auth: Type.Object({
    identity: Type.Object({
      methods: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 8 }),
      password: Type.Optional(
        Type.Object({
          user: Type.Object({
            id: Type.Optional(Name),
            name: Type.Optional(Name),
            password: Type.String({ maxLength: MAX_PASSWORD_LENGTH }),
            domain: Type.Optional(DomainRef),
          }),
        }),
      ),
    }),
    scope: Type.Optional(
      Type.Union([
        Type.String({ maxLength: 64 }),
        Type.Object({
          project: Type.Optional(
            Type.Object({
              id: Type.Optional(Name),
              name: Type.Optional(Name),
              domain: Type.Optional(DomainRef),
            }),
          ),
          domain: Type.Optional(DomainRef),
          system: Type.Optional(Type.Object({})),
        }),
      ]),
    ),
  }),
});

type AuthBody = Static<typeof authBodySchema>;

/**
 * The identifying strings of a login (user, project and domain names and IDs, methods, scope): a NUL character
 * is refused as a 400 before any lookup. No account name or ID can hold one, PostgreSQL cannot even query one,
 * and the answer depends on the request alone, so it tells nothing about which accounts exist. The password is
 * not checked: it is only hashed, never queried, so a wrong one is the usual uniform 401.
 */
function refuseNulInLogin(body: AuthBody): void {
  const { identity, scope } = body.auth;
  const user = identity.password?.user;
  const project = typeof scope === 'object' && scope !== null ? scope.project : undefined;
  const fields: Array<[string, unknown]> = [
    ...identity.methods.map((m, i): [string, unknown] => [`auth.identity.methods.${i}`, m]),
    ['auth.identity.password.user.id', user?.id],
    ['auth.identity.password.user.name', user?.name],
    ['auth.identity.password.user.domain.id', user?.domain?.id],
    ['auth.identity.password.user.domain.name', user?.domain?.name],
    ['auth.scope', typeof scope === 'string' ? scope : undefined],
    ['auth.scope.project.id', project?.id],
    ['auth.scope.project.name', project?.name],
    ['auth.scope.project.domain.id', project?.domain?.id],
    ['auth.scope.project.domain.name', project?.domain?.name],
  ];
  for (const [field, value] of fields) refuseNul(value, field);
}

function refuseNul(value: unknown, field: string): void {
  if (typeof value === 'string' && value.includes('\u0000')) {
    throw new KeystoneHttpError(
      400,
      `Invalid input for field '${field}': the value must not contain NUL characters (\\u0000).`,
    );
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function wantsCatalog(request: FastifyRequest): boolean {
  return !Object.prototype.hasOwnProperty.call(request.query ?? {}, 'nocatalog');
}

function notFound(message: string): KeystoneHttpError {
  return new KeystoneHttpError(404, message);
}

function forbidden(action: string): KeystoneHttpError {
  return new KeystoneHttpError(403, `You are not authorized to perform the requested action: ${action}.`);
}

export const keystoneRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { config, services } = deps;
  const baseUrl = () => publicBaseUrl(config);

  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(keystoneErrorHandler(baseUrl));
  app.setNotFoundHandler((request, reply) =>
    sendKeystoneError(reply, 404, 'The resource could not be found.', baseUrl()),
  );

  const authenticate = async (request: FastifyRequest): Promise<Caller> => {
    const caller = await services.auth.authenticate(header(request, 'x-auth-token'));
    logAsAccount(request, caller.accountId);
    return caller;
  };

  // --- version discovery (no token) ---
  app.get('/', async (_request, reply) => {
    const base = baseUrl();
    return reply
      .code(300)
      .header('location', `${base}/identity/v3/`)
      .send({ versions: { values: [versionObject(base)] } });
  });
  const v3 = async () => ({ version: versionObject(baseUrl()) });
  app.get('/v3', v3);
  app.get('/v3/', v3);

  // --- tokens ---
  // The TypeBox type provider types request.body from the schema itself.
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/v3/auth/tokens',
    // Read before authentication: bounded tighter than other bodies (server.loginBodyLimitBytes).
    { schema: { body: authBodySchema }, bodyLimit: config.server.loginBodyLimitBytes },
    async (request, reply) => {
      refuseNulInLogin(request.body);
      const { identity, scope } = request.body.auth;
      // Only the password method; anything else (token, totp, application credentials) is refused alike.
      if (!identity.methods.includes('password') || !identity.password) {
        throw new KeystoneHttpError(401, 'The request you have made requires authentication.');
      }
      if (
        typeof scope === 'object' &&
        scope !== null &&
        (scope.domain !== undefined || scope.system !== undefined)
      ) {
        throw new KeystoneHttpError(401, 'The request you have made requires authentication.');
      }
      const user = identity.password.user;
      const project = typeof scope === 'object' && scope !== null ? scope.project : undefined;
      const login: PasswordLogin = {
        user: { id: user.id, name: user.name, domain: user.domain },
        password: user.password,
        clientAddress: request.ip,
        ...(project ? { project: { id: project.id, name: project.name, domain: project.domain } } : {}),
      };
      const issued = await services.auth.login(login);
      logAsAccount(request, issued.account.id);
      return reply
        .code(201)
        .header('x-subject-token', issued.token)
        .send(tokenBody(issued, config, baseUrl(), wantsCatalog(request)));
    },
  );

  /** The subject token's details, for its own account or an admin; 404 otherwise (no hint it exists). */
  const subjectToken = async (request: FastifyRequest) => {
    const caller = await authenticate(request);
    const subject = header(request, 'x-subject-token');
    const info = subject ? await services.auth.lookup(subject) : null;
    if (!subject || !info || (!caller.isAdmin && info.account.id !== caller.accountId)) {
      throw notFound('Could not find token.');
    }
    return { subject, info, caller };
  };

  app.get('/v3/auth/tokens', async (request, reply) => {
    const { subject, info } = await subjectToken(request);
    return reply
      .header('x-subject-token', subject)
      .send(tokenBody(info, config, baseUrl(), wantsCatalog(request)));
  });

  app.delete('/v3/auth/tokens', async (request, reply) => {
    const { subject, caller } = await subjectToken(request);
    services.writeLimits.take(caller.accountId);
    await services.auth.revoke(subject);
    return reply.code(204).send();
  });

  // The catalog and scopes of the current token (keystoneauth and OSC use these for listings).
  app.get('/v3/auth/catalog', async (request) => {
    await authenticate(request);
    return { catalog: catalog(config, baseUrl()), links: { self: `${baseUrl()}/identity/v3/auth/catalog` } };
  });
  app.get('/v3/auth/projects', async (request) => {
    const caller = await authenticate(request);
    const own = await ownAccount(caller);
    return {
      projects: [projectObject(own, baseUrl())],
      links: { self: `${baseUrl()}/identity/v3/auth/projects` },
    };
  });

  const ownAccount = async (caller: Caller): Promise<Account> => {
    const account = await services.accounts.get(caller.accountId);
    if (!account) throw new KeystoneHttpError(401, 'The request you have made requires authentication.');
    return account;
  };

  // --- projects: a non-admin sees only its own; other IDs are 403 (openstackclient then uses the ID as given) ---
  app.get<{ Params: { id: string } }>('/v3/projects/:id', async (request) => {
    const caller = await authenticate(request);
    const id = request.params.id;
    if (id === caller.accountId) return { project: projectObject(await ownAccount(caller), baseUrl()) };
    if (!caller.isAdmin) throw forbidden('identity:get_project');
    const account = await services.accounts.get(id);
    if (!account) throw notFound(`Could not find project: ${id.slice(0, 64)}.`);
    return { project: projectObject(account, baseUrl()) };
  });

  app.get<{ Querystring: { name?: string; domain_id?: string } }>('/v3/projects', async (request) => {
    const caller = await authenticate(request);
    const { name, domain_id: domainId } = request.query;
    refuseNul(name, 'name');
    refuseNul(domainId, 'domain_id');
    const self = { self: `${baseUrl()}/identity/v3/projects`, next: null, previous: null };
    if (domainId !== undefined && domainId !== DEFAULT_DOMAIN.id) return { projects: [], links: self };
    let accounts: Account[];
    if (caller.isAdmin) {
      if (typeof name === 'string') {
        const found = await services.accounts.getByName(name);
        accounts = found ? [found] : [];
      } else {
        accounts = await services.accounts.list({ includeDisabled: true });
      }
    } else {
      const own = await ownAccount(caller);
      accounts = typeof name !== 'string' || name === own.name ? [own] : [];
    }
    return { projects: accounts.map((a) => projectObject(a, baseUrl())), links: self };
  });

  // --- users: self (admins: any) ---
  app.get<{ Params: { id: string } }>('/v3/users/:id', async (request) => {
    const caller = await authenticate(request);
    const id = request.params.id;
    if (id === caller.accountId) return { user: userObject(await ownAccount(caller), baseUrl()) };
    if (!caller.isAdmin) throw forbidden('identity:get_user');
    const account = await services.accounts.get(id);
    if (!account) throw notFound(`Could not find user: ${id.slice(0, 64)}.`);
    return { user: userObject(account, baseUrl()) };
  });

  app.get<{ Params: { id: string } }>('/v3/users/:id/projects', async (request) => {
    const caller = await authenticate(request);
    if (request.params.id !== caller.accountId && !caller.isAdmin)
      throw forbidden('identity:list_user_projects');
    const account = await services.accounts.get(request.params.id);
    if (!account) throw notFound(`Could not find user: ${request.params.id.slice(0, 64)}.`);
    return {
      projects: [projectObject(account, baseUrl())],
      links: { self: null, next: null, previous: null },
    };
  });

  // --- the one domain ---
  app.get<{ Params: { id: string } }>('/v3/domains/:id', async (request) => {
    await authenticate(request);
    if (request.params.id !== DEFAULT_DOMAIN.id)
      throw notFound(`Could not find domain: ${request.params.id.slice(0, 64)}.`);
    return { domain: domainObject(baseUrl()) };
  });
  app.get<{ Querystring: { name?: string } }>('/v3/domains', async (request) => {
    await authenticate(request);
    const name = request.query.name;
    const match = name === undefined || isDefaultDomain({ name });
    return {
      domains: match ? [domainObject(baseUrl())] : [],
      links: { self: `${baseUrl()}/identity/v3/domains` },
    };
  });
};
