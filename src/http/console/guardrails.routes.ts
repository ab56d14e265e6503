// The console's guardrails (issue 12): my launch policy (which owners' images I let myself launch) and the
// launches my `audit` policy would have refused. The same service as the OpenStack extension.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { launchPolicyModes } from '../../domain/guardrails.js';
import { surfaces } from '../../domain/history.js';
import type { LaunchPolicyView } from '../../services/launch-policy.service.js';
import type { ConsoleDeps } from './context.js';
import { ErrorBody, HistoryQuery } from './schemas.js';
import { consoleState } from './session.js';

const errors = { '4xx': ErrorBody };
const Mode = Type.Unsafe<(typeof launchPolicyModes)[number]>({
  type: 'string',
  enum: [...launchPolicyModes],
});

export const LaunchPolicyViewSchema = Type.Object({
  mode: Mode,
  allowedOwners: Type.Array(Type.String(), { description: 'account IDs and group IDs (grp-xxxxxxxx)' }),
  maxAllowedOwners: Type.Integer(),
});

export const LaunchPolicyBody = Type.Object(
  {
    mode: Mode,
    // Formats and the bound (guardrails.maxAllowedOwners) are checked by the domain, with clear words.
    allowedOwners: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10000 }),
  },
  { additionalProperties: false },
);

export const LaunchAuditView = Type.Object({
  id: Type.String(),
  at: Type.String({ description: 'ISO-8601 UTC' }),
  imageId: Type.String(),
  imageName: Type.Union([Type.String(), Type.Null()]),
  ownerId: Type.String(),
  region: Type.String(),
  visibility: Type.String(),
  instances: Type.Integer(),
  surface: Type.Unsafe<(typeof surfaces)[number]>({ type: 'string', enum: [...surfaces] }),
});

export const LaunchAuditPage = Type.Object({
  items: Type.Array(LaunchAuditView),
  total: Type.Integer(),
  page: Type.Integer(),
  pageSize: Type.Integer(),
});

function view(policy: LaunchPolicyView): Static<typeof LaunchPolicyViewSchema> {
  return {
    mode: policy.mode,
    allowedOwners: policy.allowedOwners,
    maxAllowedOwners: policy.maxAllowedOwners,
  };
}

export function guardrailRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const { services } = deps;

  app.get(
    '/launch-policy',
    {
      schema: {
        tags: ['guardrails'],
        summary: "My launch policy: which owners' images I let myself launch (off, audit or enforce)",
        response: { 200: LaunchPolicyViewSchema, ...errors },
      },
    },
    async (request) => view(await services.launchPolicies.get(consoleState(request).ctx)),
  );

  app.put<{ Body: Static<typeof LaunchPolicyBody> }>(
    '/launch-policy',
    {
      schema: {
        tags: ['guardrails'],
        summary: 'Replace my launch policy',
        body: LaunchPolicyBody,
        response: { 200: LaunchPolicyViewSchema, ...errors },
      },
    },
    async (request) => {
      const { mode, allowedOwners } = request.body;
      return view(await services.launchPolicies.set(consoleState(request).ctx, mode, allowedOwners));
    },
  );

  app.get<{ Querystring: Static<typeof HistoryQuery> }>(
    '/launch-audit',
    {
      schema: {
        tags: ['guardrails'],
        summary: 'Launches my audit-mode launch policy would have refused, newest first',
        querystring: HistoryQuery,
        response: { 200: LaunchAuditPage, ...errors },
      },
    },
    async (request) => {
      const page = request.query.page ?? 1;
      const pageSize = request.query.pageSize ?? 20;
      const { entries, total } = await services.launchPolicies.audit(consoleState(request).ctx, {
        offset: (page - 1) * pageSize,
        limit: pageSize,
      });
      return {
        items: entries.map((e) => ({
          id: e.id,
          at: e.at,
          imageId: e.imageId,
          imageName: e.imageName,
          ownerId: e.ownerId,
          region: e.region,
          visibility: e.visibility,
          instances: e.instances,
          surface: e.surface as (typeof surfaces)[number],
        })),
        total,
        page,
        pageSize,
      };
    },
  );
}
