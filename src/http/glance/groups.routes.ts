// imageshare's account-groups extension of the image API (docs/api/openstack.md "Account groups"): an
// owner's named groups of accounts at /v2/groups, which POST /v2/images/{id}/members takes as a member
// ({"member": "grp-..."}). Glance has no groups; the bodies follow its style (snake_case, `self`, `schema`).
// Who may do what is decided by the group service (domain/groups.ts).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { GroupMember } from '../../domain/groups.js';
import type { GroupView } from '../../services/group.service.js';
import { MAX_ACCOUNTS_PER_GROUP_REQUEST, MAX_GROUP_PAGE } from '../../services/group.service.js';
import { requestContext } from './auth.js';
import { badRequest } from './errors.js';
import type { GlanceContext } from './plugin.js';
import { route } from './routing.js';
import { isoSeconds } from './serialize.js';

const NO_NUL = '^[^\\u0000]*$';

const groupName = Type.String({ minLength: 1, maxLength: 64, pattern: NO_NUL });
const groupDescription = Type.String({ maxLength: 255, pattern: NO_NUL });

export const createGroupBody = Type.Object({ name: groupName, description: Type.Optional(groupDescription) });
export const updateGroupBody = Type.Object({
  name: Type.Optional(groupName),
  description: Type.Optional(groupDescription),
});
export const addGroupMembersBody = Type.Object({
  members: Type.Array(Type.String({ minLength: 1, maxLength: 255, pattern: NO_NUL }), {
    minItems: 1,
    maxItems: MAX_ACCOUNTS_PER_GROUP_REQUEST,
  }),
});

export function groupBody(group: GroupView): Record<string, unknown> {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    owner: group.ownerId,
    member_count: group.size,
    created_at: isoSeconds(group.createdAt),
    updated_at: isoSeconds(group.updatedAt),
    self: `/v2/groups/${group.id}`,
    members: `/v2/groups/${group.id}/members`,
  };
}

function groupMemberBody(member: GroupMember): Record<string, unknown> {
  return { member_id: member.accountId, group_id: member.groupId, created_at: isoSeconds(member.addedAt) };
}

/** limit and marker-free offset paging (groups per account are few: groups.maxGroupsPerAccount). */
function pageOf(query: Record<string, string | undefined>): { offset: number; limit: number } {
  const number = (name: string, fallback: number, max: number) => {
    const raw = query[name];
    if (raw === undefined) return fallback;
    if (!/^\d{1,9}$/.test(raw) || Number(raw) > max) {
      throw badRequest(`${name} must be an integer from 0 to ${max}.`);
    }
    return Number(raw);
  };
  return { offset: number('offset', 0, 1_000_000), limit: number('limit', 100, MAX_GROUP_PAGE) };
}

export function groupRoutes(app: FastifyInstance, g: GlanceContext): void {
  const { services } = g;

  route(app, '/v2/groups', {
    GET: {
      rejectBody: true,
      handler: async (request) => {
        const page = pageOf(request.query as Record<string, string | undefined>);
        const { groups, total } = await services.groups.list(requestContext(request), page);
        return { groups: groups.map(groupBody), total, limits: services.groups.limits };
      },
    },
    POST: {
      json: 'object',
      schema: { body: createGroupBody },
      handler: async (request, reply) => {
        const body = request.body as Static<typeof createGroupBody>;
        const group = await services.groups.create(requestContext(request), body);
        return reply
          .code(201)
          .header('location', `${g.endpointUrl()}/v2/groups/${group.id}`)
          .send(groupBody(group));
      },
    },
  });

  route(app, '/v2/groups/:groupId', {
    GET: {
      rejectBody: true,
      handler: async (request) => {
        const { groupId } = request.params as { groupId: string };
        const ctx = requestContext(request);
        const group = await services.groups.get(ctx, groupId);
        const images = await services.groups.sharedImages(ctx, groupId);
        return {
          ...groupBody(group),
          images: images.map((i) => ({ image_id: i.imageId, expires_at: i.expiresAt })),
        };
      },
    },
    PATCH: {
      json: 'object',
      schema: { body: updateGroupBody },
      handler: async (request) => {
        const { groupId } = request.params as { groupId: string };
        const body = request.body as Static<typeof updateGroupBody>;
        return groupBody(await services.groups.update(requestContext(request), groupId, body));
      },
    },
    DELETE: {
      rejectBody: true,
      handler: async (request, reply) => {
        const { groupId } = request.params as { groupId: string };
        await services.groups.delete(requestContext(request), groupId);
        return reply.code(204).send();
      },
    },
  });

  route(app, '/v2/groups/:groupId/members', {
    GET: {
      rejectBody: true,
      handler: async (request) => {
        const { groupId } = request.params as { groupId: string };
        const members = await services.groups.members(requestContext(request), groupId);
        return { members: members.map(groupMemberBody) };
      },
    },
    POST: {
      json: 'object',
      schema: { body: addGroupMembersBody },
      handler: async (request) => {
        const { groupId } = request.params as { groupId: string };
        const { members } = request.body as Static<typeof addGroupMembersBody>;
        const added = await services.groups.addMembers(requestContext(request), groupId, members);
        return { added: added.map(groupMemberBody) };
      },
    },
  });

  route(app, '/v2/groups/:groupId/members/:memberId', {
    DELETE: {
      rejectBody: true,
      handler: async (request, reply) => {
        const { groupId, memberId } = request.params as { groupId: string; memberId: string };
        await services.groups.removeMember(requestContext(request), groupId, memberId);
        return reply.code(204).send();
      },
    },
  });
}
