// Image members (sharing), with Glance's bodies and status codes (spec §2.1): create answers 200, the
// member body carries `schema`, and unknown keys in an update body are ignored (openstacksdk sends more).
// Who may do what is decided by the share service (domain/access.ts, domain/sharing.ts).
import type { FastifyInstance } from 'fastify';
import { hasNul } from '../../domain/image-fields.js';
import { parseMemberStatus } from '../../domain/sharing.js';
import { requestContext } from './auth.js';
import { badRequest } from './errors.js';
import type { GlanceContext } from './plugin.js';
import { jsonObjectBody, ownValue, route } from './routing.js';
import { memberBody } from './serialize.js';

export function memberRoutes(app: FastifyInstance, g: GlanceContext): void {
  const { services } = g;
  const limit = g.config.server.bodyLimitBytes;

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
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const body = await jsonObjectBody(request, limit);
        if (!Object.hasOwn(body, 'member')) throw badRequest('Member to be added not specified');
        const member = ownValue(body, 'member');
        if (member === '' || member === null) throw badRequest("Member can't be empty");
        if (typeof member !== 'string') throw badRequest('Member must be a string (an account ID).');
        if (member.length > 255) throw badRequest('Member ID is longer than 255 characters.');
        if (hasNul(member)) throw badRequest('Member ID must not contain NUL characters (\\u0000).');
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
      handler: async (request) => {
        const { id, memberId } = request.params as { id: string; memberId: string };
        const body = await jsonObjectBody(request, limit);
        if (!Object.hasOwn(body, 'status')) throw badRequest('Status not specified');
        let status;
        try {
          status = parseMemberStatus(ownValue(body, 'status'));
        } catch {
          throw badRequest('Incorrect request: Status must be "pending", "accepted" or "rejected".');
        }
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
