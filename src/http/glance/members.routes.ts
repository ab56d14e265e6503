// Image members (sharing), with Glance's bodies and status codes (spec §2.1): create answers 200, the
// member body carries `schema`, and unknown keys in an update body are ignored (openstacksdk sends more).
// Who may do what is decided by the share service (domain/access.ts, domain/sharing.ts).
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { memberStatuses, shareAccesses } from '../../domain/types.js';
import { check } from '../validation.js';
import { requestContext } from './auth.js';
import { statusByCode } from './errors.js';
import { glanceValidationError } from './validation.js';
import type { GlanceContext } from './plugin.js';
import { route } from './routing.js';
import { groupShareBody, memberBody } from './serialize.js';

/** No NUL character (PostgreSQL text cannot hold one, and no account ID has one). */
const NO_NUL = '^[^\\u0000]*$';

/**
 * imageshare's extension of a member (docs/api/openstack.md): the share's end time and what the receiver may
 * do. Glance has neither; clients that do not send them get Glance's behaviour (no end, launch only).
 */
const shareTerms = {
  expires_at: Type.Optional(
    Type.Unsafe<string | null>({
      type: ['null', 'string'],
      maxLength: 64,
      description: 'imageshare extension: the share grants nothing from this instant (ISO-8601 with a zone)',
    }),
  ),
  access: Type.Optional(
    Type.Unsafe<(typeof shareAccesses)[number]>({
      type: 'string',
      enum: [...shareAccesses],
      description: 'imageshare extension: launch (default) or launch_and_copy',
    }),
  ),
};

/** PUT by the owner with only the extension fields: the share's new terms. */
export const memberTermsBody = Type.Object(shareTerms);

/** POST /v2/images/{id}/members: `{"member": "<account ID>"}`, with Glance's texts for each refusal. */
export const addMemberBody = Type.Object({
  ...shareTerms,
  member: Type.String({
    minLength: 1,
    maxLength: 255,
    pattern: NO_NUL,
    messages: {
      required: 'Member to be added not specified',
      null: "Member can't be empty",
      minLength: "Member can't be empty",
      type: 'Member must be a string (an account ID).',
      maxLength: 'Member ID is longer than 255 characters.',
      pattern: 'Member ID must not contain NUL characters (\\u0000).',
    },
  }),
});

/** PUT /v2/images/{id}/members/{member}: `{"status": ...}`; other keys are ignored (openstacksdk sends more). */
export const memberStatusBody = Type.Object({
  status: Type.Unsafe<(typeof memberStatuses)[number]>({
    type: 'string',
    enum: [...memberStatuses],
    messages: {
      required: 'Status not specified',
      type: 'Incorrect request: Status must be "pending", "accepted" or "rejected".',
      enum: 'Incorrect request: Status must be "pending", "accepted" or "rejected".',
    },
  }),
});

/** imageshare's pre-flight extension: the accounts to check, as POST /members would name them one by one. */
export const memberCheckBody = Type.Object({
  members: Type.Array(Type.String({ minLength: 1, maxLength: 255, pattern: NO_NUL }), {
    minItems: 1,
    maxItems: 500,
  }),
});

export function memberRoutes(app: FastifyInstance, g: GlanceContext): void {
  const { services } = g;

  // imageshare extension (docs/api/openstack.md "Pre-flight"): would POST /members succeed for each account,
  // and if not, why; nothing changes. The same verdicts as the share itself (ShareService.checkShare).
  route(app, '/v2/images/:id/members-preflight', {
    POST: {
      json: 'object',
      schema: { body: memberCheckBody },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const { members } = request.body as Static<typeof memberCheckBody>;
        const checks = await services.shares.checkShare(requestContext(request), id, members);
        return {
          results: checks.map((c) => ({
            member_id: c.accountId,
            ok: c.ok,
            code: c.code,
            status: c.code === null ? null : statusByCode[c.code],
            message: c.message,
            renews: c.renews,
          })),
        };
      },
    },
  });

  route(app, '/v2/images/:id/members', {
    GET: {
      rejectBody: true,
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const ctx = requestContext(request);
        const members = await services.shares.listMembers(ctx, id);
        // The extension: the owner also sees its shares with groups, one row each (member_type "group").
        const groups = await services.shares.listGroupShares(ctx, id);
        return {
          members: [...members.map(memberBody), ...groups.map(groupShareBody)],
          schema: '/v2/schemas/members',
        };
      },
    },
    POST: {
      json: 'object',
      schema: { body: addMemberBody },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const body = request.body as Static<typeof addMemberBody>;
        return memberBody(
          await services.shares.addMember(requestContext(request), id, body.member, {
            ...(body.expires_at !== undefined ? { expiresAt: body.expires_at } : {}),
            ...(body.access !== undefined ? { access: body.access } : {}),
          }),
        );
      },
    },
  });

  route(app, '/v2/images/:id/members/:memberId', {
    GET: {
      rejectBody: true,
      handler: async (request) => {
        const { id, memberId } = request.params as { id: string; memberId: string };
        return memberBody(await services.shares.getMember(requestContext(request), id, memberId));
      },
    },
    PUT: {
      json: 'object',
      handler: async (request) => {
        const { id, memberId } = request.params as { id: string; memberId: string };
        const body = request.body as Record<string, unknown>;
        // The extension: a body with the share's terms and no status is the owner changing the terms.
        if (!('status' in body) && ('expires_at' in body || 'access' in body)) {
          const terms = validBody(memberTermsBody, body);
          return memberBody(
            await services.shares.setShareTerms(requestContext(request), id, memberId, {
              ...(terms.expires_at !== undefined ? { expiresAt: terms.expires_at } : {}),
              ...(terms.access !== undefined ? { access: terms.access } : {}),
            }),
          );
        }
        const { status } = validBody(memberStatusBody, body);
        return memberBody(
          await services.shares.setMemberStatus(requestContext(request), id, memberId, status),
        );
      },
    },
    DELETE: {
      rejectBody: true,
      handler: async (request, reply) => {
        const { id, memberId } = request.params as { id: string; memberId: string };
        await services.shares.removeMember(requestContext(request), id, memberId);
        return reply.code(204).send();
      },
    },
  });
}

/** The body as `schema` types it, or Glance's 400 for its first problem. */
function validBody<T extends TSchema>(schema: T, body: unknown): Static<T> {
  const issue = check(schema, body);
  if (issue) throw glanceValidationError(issue, schema);
  return body;
}
