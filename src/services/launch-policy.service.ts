// Receivers' guardrails (issue 12): an account restricts which owners' images it launches (an allow-list of
// account IDs and group IDs, mode off | audit | enforce), and reads back what an `audit` policy would have
// refused. The rule is domain/guardrails.ts judgeLaunch; InstanceService.launch (every surface's launch:
// Tencent RunInstances, the console) calls applyLaunchPolicy inside its transaction.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import {
  DEFAULT_LAUNCH_POLICY,
  groupsOf,
  judgeLaunch,
  parseLaunchPolicy,
  type LaunchAuditEntry,
  type LaunchPolicy,
} from '../domain/guardrails.js';
import type { Visibility } from '../domain/types.js';
import type { ImageRow } from '../repositories/db/schema.js';
import type { ImageStores, ImageUnitOfWork } from '../repositories/image-stores.js';
import { isoNow, type Clock } from './clock.js';
import type { RequestContext } from './context.js';

export interface LaunchPolicyView extends LaunchPolicy {
  /** The most entries the allow-list may hold (guardrails.maxAllowedOwners). */
  maxAllowedOwners: number;
}

/**
 * The members of the groups an allow-list names, for domain/guardrails.ts expandAllowListEntry, read now
 * (inside the launch's transaction), so an account added to a group is allowed from its next launch and one
 * removed is not. Only the caller's own groups count: another account's group ID stands for nobody, as a
 * group it may not see is "not found" everywhere else.
 */
async function groupMembersFor(
  repos: ImageStores,
  callerId: string,
  policy: LaunchPolicy,
): Promise<ReadonlyMap<string, readonly string[]>> {
  const members = new Map<string, readonly string[]>();
  for (const id of groupsOf(policy)) {
    const group = await repos.groups.find(id);
    const own = group !== null && group.ownerId === callerId;
    members.set(id, own ? (await repos.groups.members(id)).map((m) => m.accountId) : []);
  }
  return members;
}

/**
 * The caller's launch policy applied to one launch of `count` instances from `row`, inside the launch's
 * transaction: `enforce` throws LaunchNotAllowed for an owner off the list; `audit` records the launch,
 * which goes ahead (the record commits or rolls back with it).
 */
export async function applyLaunchPolicy(
  repos: ImageStores,
  ctx: RequestContext,
  row: ImageRow,
  count: number,
  now: string,
): Promise<void> {
  const policy = (await repos.launchPolicies.get(ctx.caller.accountId)) ?? DEFAULT_LAUNCH_POLICY;
  if (policy.mode === 'off') return;
  const image = { id: row.id, ownerId: row.owner_id, visibility: row.visibility as Visibility };
  const verdict = judgeLaunch(
    policy,
    { callerId: ctx.caller.accountId, image },
    await groupMembersFor(repos, ctx.caller.accountId, policy),
  );
  if (verdict === 'audited') {
    await repos.launchPolicies.recordAudit({
      id: randomUUID(),
      accountId: ctx.caller.accountId,
      at: now,
      imageId: row.id,
      imageName: row.name,
      ownerId: row.owner_id,
      region: row.region,
      visibility: image.visibility,
      instances: count,
      surface: ctx.surface,
    });
  }
}

export class LaunchPolicyService {
  constructor(
    private readonly store: ImageUnitOfWork,
    private readonly config: Config,
    private readonly clock: Clock,
  ) {}

  private view(policy: LaunchPolicy): LaunchPolicyView {
    return { ...policy, maxAllowedOwners: this.config.guardrails.maxAllowedOwners };
  }

  /** The caller's policy (mode off and an empty list when it never set one). */
  async get(ctx: RequestContext): Promise<LaunchPolicyView> {
    const policy = await this.store.stores.launchPolicies.get(ctx.caller.accountId);
    return this.view(policy ?? DEFAULT_LAUNCH_POLICY);
  }

  /** Replaces the caller's policy, checked (mode, entry formats, at most guardrails.maxAllowedOwners). */
  async set(ctx: RequestContext, mode: unknown, allowedOwners: unknown): Promise<LaunchPolicyView> {
    const policy = parseLaunchPolicy(mode, allowedOwners, this.config.guardrails.maxAllowedOwners);
    await this.store.stores.launchPolicies.set(ctx.caller.accountId, policy, isoNow(this.clock));
    return this.view(policy);
  }

  /** What the caller's `audit` policy would have refused, newest first (every region). */
  async audit(
    ctx: RequestContext,
    page: { offset: number; limit: number },
  ): Promise<{ entries: LaunchAuditEntry[]; total: number }> {
    return this.store.stores.launchPolicies.listAudit(ctx.caller.accountId, page);
  }
}
