// Images (custom, shared with me, public), their data, copies, shares and the receiver's side of a share.
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import { Type, type Static } from '@sinclair/typebox';
import { isDomainError, type ErrorCode } from '../../domain/errors.js';
import { isAccountId, isGroupId } from '../../domain/ids.js';
import type { Image } from '../../domain/types.js';
import type { RequestContext } from '../../services/context.js';
import { inImageRegion, inRegion, type ConsoleDeps } from './context.js';
import {
  CopyBody,
  DeprecateBody,
  ErrorBody,
  RecycleBinQuery,
  ImageParams,
  ImagePatchBody,
  ImagesPage,
  ImagesQuery,
  ImageView,
  NewImageBody,
  RegionQuery,
  ConsentBody,
  ShareBody,
  ShareCheckBody,
  ShareCheckResults,
  ShareParams,
  ShareResults,
  ShareTermsBody,
  SharingDefaults,
  SharingDefaultsBody,
  SharedParams,
  SharesPanel,
  ShareStatusBody,
  type shareOutcomes,
} from './schemas.js';
import { consoleState } from './session.js';
import { imageView } from './views.js';

const errors = { '4xx': ErrorBody };
type Outcome = (typeof shareOutcomes)[number];

/** Per-account refusals of a share that the console reports as an outcome instead of failing the call. */
const outcomeByCode: Partial<Record<ErrorCode, Outcome>> = {
  MemberAlreadyExists: 'alreadyShared',
  AccountNotFound: 'unknownAccount',
  ShareWithSelf: 'self',
  ShareLimitExceeded: 'limitReached',
  InvalidInput: 'invalid',
  // A group as the share's target (issue 12): not one of yours, or grown past the group size limit.
  GroupNotFound: 'unknownAccount',
  GroupTooLarge: 'limitReached',
};

export function imageRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const { services, config } = deps;

  const view = async (ctx: RequestContext, image: Image) =>
    imageView(image, ctx.caller.accountId, await services.catalog.extras(ctx, image));

  /** The caller's context in the image's region (found when not given). */
  const at = (request: { query: unknown }, ctx: RequestContext, id: string) =>
    inImageRegion(deps, ctx, id, (request.query as { region?: string } | undefined)?.region);

  app.get<{ Querystring: Static<typeof ImagesQuery> }>(
    '/images',
    {
      schema: {
        tags: ['images'],
        summary: 'One table of images: custom (mine), shared (with me) or public; searched, sorted, paged',
        querystring: ImagesQuery,
        response: { 200: ImagesPage, ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      const ctx = inRegion(deps, consoleState(request).ctx, q.region);
      const page = q.page ?? 1;
      const pageSize = q.pageSize ?? 20;
      const result = await services.catalog.browse(ctx, {
        kind: q.kind ?? 'custom',
        search: q.search,
        sort: q.sort ?? 'createdAt',
        order: q.order ?? 'desc',
        page,
        pageSize,
      });
      return {
        items: result.images.map((image) =>
          imageView(image, ctx.caller.accountId, {
            shareCount: q.kind === 'custom' || !q.kind ? (result.shareCounts.get(image.id) ?? 0) : null,
            share: result.memberships.get(image.id) ?? null,
          }),
        ),
        total: result.total,
        page,
        pageSize,
      };
    },
  );

  app.post<{ Body: Static<typeof NewImageBody> }>(
    '/images',
    {
      schema: {
        tags: ['images'],
        summary: 'Create an image (status queued); then PUT its file',
        body: NewImageBody,
        response: { 201: ImageView, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const ctx = inRegion(deps, consoleState(request).ctx, b.region);
      const image = await services.images.create(ctx, {
        name: b.name,
        description: b.description ?? null,
        diskFormat: b.diskFormat,
        containerFormat: b.containerFormat,
      });
      return reply.code(201).send(await view(ctx, image));
    },
  );

  app.put<{ Params: Static<typeof ImageParams>; Querystring: Static<typeof RegionQuery> }>(
    '/images/:id/file',
    {
      schema: {
        tags: ['images'],
        summary: 'Upload the image data (raw bytes, streamed); answers with its MD5 and SHA-512',
        params: ImageParams,
        querystring: RegionQuery,
        consumes: ['application/octet-stream'],
        response: { 200: ImageView, ...errors },
      },
    },
    async (request) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.id);
      const image = await services.images.upload(ctx, request.params.id, request.body as Readable);
      return view(ctx, image);
    },
  );

  app.get<{ Params: Static<typeof ImageParams>; Querystring: Static<typeof RegionQuery> }>(
    '/images/:id',
    {
      schema: {
        tags: ['images'],
        summary: 'One image',
        params: ImageParams,
        querystring: RegionQuery,
        response: { 200: ImageView, ...errors },
      },
    },
    async (request) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.id);
      return view(ctx, await services.images.get(ctx, request.params.id));
    },
  );

  app.patch<{
    Params: Static<typeof ImageParams>;
    Querystring: Static<typeof RegionQuery>;
    Body: Static<typeof ImagePatchBody>;
  }>(
    '/images/:id',
    {
      schema: {
        tags: ['images'],
        summary: 'Rename or re-describe an image, or set its deletion protection (owner only)',
        params: ImageParams,
        querystring: RegionQuery,
        body: ImagePatchBody,
        response: { 200: ImageView, ...errors },
      },
    },
    async (request) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.id);
      const patch: { name?: string; description?: string; protected?: boolean } = {};
      if (request.body.name !== undefined) patch.name = request.body.name;
      if (request.body.description !== undefined) patch.description = request.body.description;
      if (request.body.protected !== undefined) patch.protected = request.body.protected;
      return view(ctx, await services.images.update(ctx, request.params.id, patch));
    },
  );

  app.delete<{ Params: Static<typeof ImageParams>; Querystring: Static<typeof RegionQuery> }>(
    '/images/:id',
    {
      schema: {
        tags: ['images'],
        summary: 'Delete an image (refused with ImageInShared while it is shared)',
        params: ImageParams,
        querystring: RegionQuery,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.id);
      await services.images.delete(ctx, request.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{
    Params: Static<typeof ImageParams>;
    Querystring: Static<typeof RegionQuery>;
    Body: Static<typeof CopyBody>;
  }>(
    '/images/:id/copy',
    {
      schema: {
        tags: ['images'],
        summary: 'Copy an image to another region (a copy carries no shares)',
        params: ImageParams,
        querystring: RegionQuery,
        body: CopyBody,
        response: { 201: ImageView, ...errors },
      },
    },
    async (request, reply) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.id);
      const copy = await services.images.copy(ctx, request.params.id, request.body.targetRegion, {
        ...(request.body.name !== undefined ? { name: request.body.name } : {}),
      });
      return reply.code(201).send(await view({ ...ctx, region: copy.region }, copy));
    },
  );

  // --- lifecycle (owner): deprecation, disabling, the recycle bin ---
  app.post<{
    Params: Static<typeof ImageParams>;
    Querystring: Static<typeof RegionQuery>;
    Body: Static<typeof DeprecateBody>;
  }>(
    '/images/:id/deprecate',
    {
      schema: {
        tags: ['lifecycle'],
        summary:
          'Deprecate an image: an optional replacement and a date after which new launches are refused',
        params: ImageParams,
        querystring: RegionQuery,
        body: DeprecateBody,
        response: { 200: ImageView, ...errors },
      },
    },
    async (request) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.id);
      const { replacementImageId, obsoleteAt } = request.body;
      const image = await services.images.deprecate(ctx, request.params.id, {
        ...(replacementImageId !== undefined ? { replacementImageId } : {}),
        ...(obsoleteAt !== undefined ? { obsoleteAt } : {}),
      });
      return view(ctx, image);
    },
  );

  for (const action of ['undeprecate', 'disable', 'enable'] as const) {
    const summaries = {
      undeprecate: "End an image's deprecation",
      disable: 'Disable an image: every share suspended (the shares are kept)',
      enable: 'Enable a disabled image: every share back as it was',
    };
    app.post<{ Params: Static<typeof ImageParams>; Querystring: Static<typeof RegionQuery> }>(
      `/images/:id/${action}`,
      {
        schema: {
          tags: ['lifecycle'],
          summary: summaries[action],
          params: ImageParams,
          querystring: RegionQuery,
          response: { 200: ImageView, ...errors },
        },
      },
      async (request) => {
        const ctx = await at(request, consoleState(request).ctx, request.params.id);
        return view(ctx, await services.images[action](ctx, request.params.id));
      },
    );
  }

  app.get<{ Querystring: Static<typeof RecycleBinQuery> }>(
    '/recycle-bin',
    {
      schema: {
        tags: ['lifecycle'],
        summary: 'Your deleted images in the recycle bin of a region, restorable until purgeAfter',
        querystring: RecycleBinQuery,
        response: { 200: ImagesPage, ...errors },
      },
    },
    async (request) => {
      const ctx = inRegion(deps, consoleState(request).ctx, request.query.region);
      const page = request.query.page ?? 1;
      const pageSize = request.query.pageSize ?? 20;
      const bin = await services.images.listRecycleBin(ctx, {
        offset: (page - 1) * pageSize,
        limit: pageSize,
      });
      return {
        items: bin.images.map((image) =>
          imageView(image, ctx.caller.accountId, { shareCount: null, share: null }),
        ),
        total: bin.total,
        page,
        pageSize,
      };
    },
  );

  app.post<{ Params: Static<typeof ImageParams>; Querystring: Static<typeof RegionQuery> }>(
    '/recycle-bin/:id/restore',
    {
      schema: {
        tags: ['lifecycle'],
        summary: 'Restore an image from the recycle bin, with its shares, within its retention',
        params: ImageParams,
        querystring: RegionQuery,
        response: { 200: ImageView, ...errors },
      },
    },
    async (request) => {
      const ctx = inRegion(deps, consoleState(request).ctx, request.query.region);
      const image = await services.images.restore(ctx, request.params.id);
      return view(ctx, image);
    },
  );

  // --- shares (owner) ---
  app.get<{ Params: Static<typeof ImageParams>; Querystring: Static<typeof RegionQuery> }>(
    '/images/:id/shares',
    {
      schema: {
        tags: ['shares'],
        summary: "The image's sharing panel: each account, its status, launches and running instances",
        params: ImageParams,
        querystring: RegionQuery,
        response: { 200: SharesPanel, ...errors },
      },
    },
    async (request) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.id);
      const panel = await services.shares.sharingPanel(ctx, request.params.id);
      return {
        limit: panel.limit,
        used: panel.used,
        consent: panel.consent,
        consentSetting: panel.consentSetting,
        shares: panel.shares.map((s) => ({
          accountId: s.memberId,
          status: s.status,
          expiresAt: s.expiresAt,
          access: s.access,
          live: s.live,
          createdAt: s.createdAt,
          updatedAt: s.updatedAt,
          launches: s.launches,
          runningInstances: s.runningInstances,
          lastLaunchAt: s.lastLaunchAt,
        })),
        groups: panel.groups.map((g) => ({
          groupId: g.groupId,
          groupName: g.groupName,
          size: g.size,
          expiresAt: g.expiresAt,
          access: g.access,
          live: g.live,
          createdAt: g.createdAt,
        })),
      };
    },
  );

  app.post<{
    Params: Static<typeof ImageParams>;
    Querystring: Static<typeof RegionQuery>;
    Body: Static<typeof ShareBody>;
  }>(
    '/images/:id/shares',
    {
      schema: {
        tags: ['shares'],
        summary: 'Share with one or several accounts; each account gets its own outcome',
        params: ImageParams,
        querystring: RegionQuery,
        body: ShareBody,
        response: { 200: ShareResults, ...errors },
      },
    },
    async (request) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.id);
      const id = request.params.id;
      const results: Array<{ accountId: string; outcome: Outcome; message: string }> = [];
      const { expiresAt, access } = request.body;
      const terms = {
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        ...(access !== undefined ? { access } : {}),
      };
      for (const accountId of [...new Set(request.body.accountIds)]) {
        try {
          await services.shares.addMember(ctx, id, accountId, terms);
          results.push({ accountId, outcome: 'shared', message: `Shared with ${accountId}.` });
        } catch (err) {
          // Refusals about this account are its outcome; anything about the image (not found, not the
          // owner) fails the whole call, as it would for every account.
          const outcome = isDomainError(err) ? outcomeByCode[err.code] : undefined;
          if (!outcome || !isDomainError(err)) throw err;
          const invalid = outcome === 'unknownAccount' && !isAccountId(accountId) && !isGroupId(accountId);
          results.push({
            accountId,
            outcome: invalid ? 'invalid' : outcome,
            message: invalid ? `${accountId} is not an account ID (digits only).` : err.message,
          });
        }
      }
      const panel = await services.shares.sharingPanel(ctx, id);
      return { results, used: panel.used, limit: config.sharing.maxAccountsPerImage };
    },
  );

  app.post<{
    Params: Static<typeof ImageParams>;
    Querystring: Static<typeof RegionQuery>;
    Body: Static<typeof ShareCheckBody>;
  }>(
    '/images/:id/shares/check',
    {
      schema: {
        tags: ['shares'],
        summary: 'Pre-flight: what sharing with each account would answer, without sharing',
        params: ImageParams,
        querystring: RegionQuery,
        body: ShareCheckBody,
        response: { 200: ShareCheckResults, ...errors },
      },
    },
    async (request) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.id);
      const checks = await services.shares.checkShare(ctx, request.params.id, request.body.accountIds);
      return {
        results: checks.map((c) => {
          const outcome: Outcome = c.ok ? 'shared' : (outcomeByCode[c.code as ErrorCode] ?? 'invalid');
          const invalid =
            outcome === 'unknownAccount' && !isAccountId(c.accountId) && !isGroupId(c.accountId);
          return {
            accountId: c.accountId,
            ok: c.ok,
            outcome: invalid ? 'invalid' : outcome,
            message: c.ok
              ? `Can be shared with ${c.accountId}.`
              : invalid
                ? `${c.accountId} is not an account ID (digits only).`
                : (c.message as string),
          };
        }),
      };
    },
  );

  app.put<{
    Params: Static<typeof ShareParams>;
    Querystring: Static<typeof RegionQuery>;
    Body: Static<typeof ShareTermsBody>;
  }>(
    '/images/:id/shares/:accountId',
    {
      schema: {
        tags: ['shares'],
        summary: "Change a share's terms: its end time and whether the receiver may copy",
        params: ShareParams,
        querystring: RegionQuery,
        body: ShareTermsBody,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.id);
      const { expiresAt, access } = request.body;
      await services.shares.setShareTerms(ctx, request.params.id, request.params.accountId, {
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        ...(access !== undefined ? { access } : {}),
      });
      return reply.code(204).send();
    },
  );

  app.put<{
    Params: Static<typeof ImageParams>;
    Querystring: Static<typeof RegionQuery>;
    Body: Static<typeof ConsentBody>;
  }>(
    '/images/:id/consent',
    {
      schema: {
        tags: ['shares'],
        summary: "The consent the image asks of its receivers (listing or launch; null: the owner's default)",
        params: ImageParams,
        querystring: RegionQuery,
        body: ConsentBody,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.id);
      await services.shares.setImageConsent(ctx, request.params.id, request.body.consent);
      return reply.code(204).send();
    },
  );

  app.get(
    '/sharing-defaults',
    {
      schema: {
        tags: ['shares'],
        summary: 'My default consent for images that set none',
        response: { 200: SharingDefaults, ...errors },
      },
    },
    async (request) => {
      const d = await services.shares.defaultConsent(consoleState(request).ctx);
      return { consent: d.setting, effectiveConsent: d.effective };
    },
  );

  app.put<{ Body: Static<typeof SharingDefaultsBody> }>(
    '/sharing-defaults',
    {
      schema: {
        tags: ['shares'],
        summary: 'Set my default consent (null: the service default, listing)',
        body: SharingDefaultsBody,
        response: { 200: SharingDefaults, ...errors },
      },
    },
    async (request) => {
      const ctx = consoleState(request).ctx;
      await services.shares.setDefaultConsent(ctx, request.body.consent);
      const d = await services.shares.defaultConsent(ctx);
      return { consent: d.setting, effectiveConsent: d.effective };
    },
  );

  app.delete<{ Params: Static<typeof ShareParams>; Querystring: Static<typeof RegionQuery> }>(
    '/images/:id/shares/:accountId',
    {
      schema: {
        tags: ['shares'],
        summary: 'Cancel the share with one account',
        params: ShareParams,
        querystring: RegionQuery,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.id);
      await services.shares.removeMember(ctx, request.params.id, request.params.accountId);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: Static<typeof ImageParams>; Querystring: Static<typeof RegionQuery> }>(
    '/images/:id/shares',
    {
      schema: {
        tags: ['shares'],
        summary: 'Cancel every share of the image',
        params: ImageParams,
        querystring: RegionQuery,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.id);
      await services.shares.cancelAllShares(ctx, request.params.id);
      return reply.code(204).send();
    },
  );

  // --- the receiver's side ---
  app.put<{
    Params: Static<typeof SharedParams>;
    Querystring: Static<typeof RegionQuery>;
    Body: Static<typeof ShareStatusBody>;
  }>(
    '/shared/:imageId/status',
    {
      schema: {
        tags: ['shares'],
        summary: 'Accept or reject an image shared with me',
        params: SharedParams,
        querystring: RegionQuery,
        body: ShareStatusBody,
        response: { 200: ImageView, ...errors },
      },
    },
    async (request) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.imageId);
      const id = request.params.imageId;
      await services.shares.setMemberStatus(ctx, id, ctx.caller.accountId, request.body.status);
      return view(ctx, await services.images.get(ctx, id));
    },
  );

  app.delete<{ Params: Static<typeof SharedParams>; Querystring: Static<typeof RegionQuery> }>(
    '/shared/:imageId',
    {
      schema: {
        tags: ['shares'],
        summary: 'Leave a share: the image is no longer shared with me',
        params: SharedParams,
        querystring: RegionQuery,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const ctx = await at(request, consoleState(request).ctx, request.params.imageId);
      await services.shares.leave(ctx, request.params.imageId);
      return reply.code(204).send();
    },
  );
}
