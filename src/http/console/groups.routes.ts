// Account groups in the console (issue 12): the caller's groups, their members, and the images shared with
// each. A thin adapter over the group service, as the other surfaces are; a group that is not the caller's
// is "not found" (domain/groups.ts).
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { GroupView as ServiceGroupView } from '../../services/group.service.js';
import type { ConsoleDeps } from './context.js';
import {
  ErrorBody,
  GroupBody,
  GroupDetail,
  GroupList,
  GroupMemberParams,
  GroupMembersBody,
  GroupParams,
  GroupUpdateBody,
  GroupView,
} from './schemas.js';
import { consoleState } from './session.js';

const errors = { '4xx': ErrorBody };

function groupView(g: ServiceGroupView): Static<typeof GroupView> {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    size: g.size,
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
  };
}

export function groupRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const { services } = deps;
  const limits = services.groups.limits;

  app.get(
    '/groups',
    {
      schema: {
        tags: ['groups'],
        summary: 'Your account groups, by name',
        response: { 200: GroupList, ...errors },
      },
    },
    async (request) => {
      const { groups, total } = await services.groups.list(consoleState(request).ctx, {
        offset: 0,
        limit: limits.maxGroupsPerAccount,
      });
      return {
        groups: groups.map(groupView),
        total,
        maxGroups: limits.maxGroupsPerAccount,
        maxMembersPerGroup: limits.maxMembersPerGroup,
      };
    },
  );

  app.post<{ Body: Static<typeof GroupBody> }>(
    '/groups',
    {
      schema: {
        tags: ['groups'],
        summary: 'Create a group',
        body: GroupBody,
        response: { 201: GroupView, ...errors },
      },
    },
    async (request, reply) => {
      const group = await services.groups.create(consoleState(request).ctx, request.body);
      return reply.code(201).send(groupView(group));
    },
  );

  app.get<{ Params: Static<typeof GroupParams> }>(
    '/groups/:groupId',
    {
      schema: {
        tags: ['groups'],
        summary: 'A group, its members and the images shared with it',
        params: GroupParams,
        response: { 200: GroupDetail, ...errors },
      },
    },
    async (request) => {
      const ctx = consoleState(request).ctx;
      const id = request.params.groupId;
      const group = await services.groups.get(ctx, id);
      const members = await services.groups.members(ctx, id);
      const images = await services.groups.sharedImages(ctx, id);
      return {
        group: groupView(group),
        members: members.map((m) => ({ accountId: m.accountId, addedAt: m.addedAt })),
        images,
      };
    },
  );

  app.patch<{ Params: Static<typeof GroupParams>; Body: Static<typeof GroupUpdateBody> }>(
    '/groups/:groupId',
    {
      schema: {
        tags: ['groups'],
        summary: 'Rename a group or change its description',
        params: GroupParams,
        body: GroupUpdateBody,
        response: { 200: GroupView, ...errors },
      },
    },
    async (request) =>
      groupView(
        await services.groups.update(consoleState(request).ctx, request.params.groupId, request.body),
      ),
  );

  app.delete<{ Params: Static<typeof GroupParams> }>(
    '/groups/:groupId',
    {
      schema: {
        tags: ['groups'],
        summary: 'Delete a group: its shares end with it',
        params: GroupParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await services.groups.delete(consoleState(request).ctx, request.params.groupId);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof GroupParams>; Body: Static<typeof GroupMembersBody> }>(
    '/groups/:groupId/members',
    {
      schema: {
        tags: ['groups'],
        summary: 'Add accounts to a group (all or none; accounts already in it stay)',
        params: GroupParams,
        body: GroupMembersBody,
        response: { 200: Type.Object({ added: Type.Array(Type.String()) }), ...errors },
      },
    },
    async (request) => {
      const added = await services.groups.addMembers(
        consoleState(request).ctx,
        request.params.groupId,
        request.body.accountIds,
      );
      return { added: added.map((m) => m.accountId) };
    },
  );

  app.delete<{ Params: Static<typeof GroupMemberParams> }>(
    '/groups/:groupId/members/:accountId',
    {
      schema: {
        tags: ['groups'],
        summary: 'Remove an account from a group: what only the group gave it ends at once',
        params: GroupMemberParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await services.groups.removeMember(
        consoleState(request).ctx,
        request.params.groupId,
        request.params.accountId,
      );
      return reply.code(204).send();
    },
  );
}
