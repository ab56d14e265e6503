// imageshare's guardrails extension of the Image API (docs/api/openstack.md "Launch policy"): the caller's
// launch policy (which owners' images it lets itself launch) and the launches its `audit` mode recorded.
// The policy is the account's, the same through every region's endpoint.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { LaunchAuditEntry } from '../../domain/guardrails.js';
import { fail } from '../../domain/errors.js';
import { launchPolicyModes } from '../../domain/guardrails.js';
import type { LaunchPolicyView } from '../../services/launch-policy.service.js';
import { requestContext } from './auth.js';
import type { GlanceContext } from './plugin.js';
import { queryLists, route } from './routing.js';

/** PUT /v2/account/launch-policy. The entries' formats and the list's bound are the domain's checks. */
export const launchPolicyBody = Type.Object(
  {
    mode: Type.Unsafe<(typeof launchPolicyModes)[number]>({ type: 'string', enum: [...launchPolicyModes] }),
    allowed_owners: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10000 }),
  },
  { additionalProperties: false },
);

function policyBody(policy: LaunchPolicyView) {
  return {
    mode: policy.mode,
    allowed_owners: policy.allowedOwners,
    max_allowed_owners: policy.maxAllowedOwners,
  };
}

function auditBody(entry: LaunchAuditEntry) {
  return {
    id: entry.id,
    at: entry.at,
    image_id: entry.imageId,
    image_name: entry.imageName,
    owner_id: entry.ownerId,
    region: entry.region,
    visibility: entry.visibility,
    instances: entry.instances,
    surface: entry.surface,
  };
}

/** One integer query parameter within bounds, or its default. */
function intParam(lists: Record<string, string[]>, name: string, min: number, max: number, dflt: number) {
  const values = lists[name];
  if (values === undefined) return dflt;
  const raw = values[0] ?? '';
  const n = /^\d{1,9}$/.test(raw) && values.length === 1 ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) {
    throw fail('InvalidInput', `${name} must be one integer from ${min} to ${max}.`, { field: name });
  }
  return n;
}

export function guardrailRoutes(app: FastifyInstance, g: GlanceContext): void {
  const { services } = g;

  route(app, '/v2/account/launch-policy', {
    GET: {
      rejectBody: true,
      handler: async (request) => policyBody(await services.launchPolicies.get(requestContext(request))),
    },
    PUT: {
      json: 'object',
      schema: { body: launchPolicyBody },
      handler: async (request) => {
        const body = request.body as Static<typeof launchPolicyBody>;
        const ctx = requestContext(request);
        return policyBody(await services.launchPolicies.set(ctx, body.mode, body.allowed_owners));
      },
    },
  });

  route(app, '/v2/account/launch-audit', {
    GET: {
      rejectBody: true,
      handler: async (request) => {
        const lists = queryLists(request.url);
        const limit = intParam(lists, 'limit', 1, 100, 20);
        const offset = intParam(lists, 'offset', 0, 1_000_000, 0);
        const { entries, total } = await services.launchPolicies.audit(requestContext(request), {
          offset,
          limit,
        });
        return { records: entries.map(auditBody), total, offset, limit };
      },
    },
  });
}
