// Image members (sharing), with Glance's bodies and status codes (spec §2.1): create answers 200, the
// member body carries `schema`, and unknown keys in an update body are ignored (openstacksdk sends more).
// Who may do what is decided by the share service (domain/access.ts, domain/sharing.ts).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { memberStatuses } from '../../domain/types.js';
import { requestContext } from './auth.js';
import type { GlanceContext } from './plugin.js';
import { route } from './routing.js';
import { memberBody } from './serialize.js';

/** No NUL character (PostgreSQL text cannot hold one, and no account ID has one). */
const NO_NUL = '^[^\\u0000]*$';

/** POST /v2/images/{id}/members: `{"member": "<account ID>"}`, with Glance's texts for each refusal. */
export const addMemberBody = Type.Object({
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

export function memberRoutes(app: FastifyInstance, g: GlanceContext): void {
  const { services } = g;

  route(app, '/v2/images/:id/members', {
    GET: {
      rejectBody: true,
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const members = await services.shares.listMembers(requestContext(request), id);
        return { members: members.map(memberBody), schema: '/v2/schemas/members' };
      },
    },
    POST: {
      json: 'object',
      schema: { body: addMemberBody },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const { member } = request.body as Static<typeof addMemberBody>;
        return memberBody(await services.shares.addMember(requestContext(request), id, member));
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
      schema: { body: memberStatusBody },
      handler: async (request) => {
        const { id, memberId } = request.params as { id: string; memberId: string };
        const { status } = request.body as Static<typeof memberStatusBody>;
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
