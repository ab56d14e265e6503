// Instances: the one thing a receiver may do with a shared image. They are records of who launched what
// from which image, not virtual machines.
import type { Config } from '../config.js';
import { fail } from '../domain/errors.js';
import { newInstanceId } from '../domain/ids.js';
import { assertNotObsolete } from '../domain/image-status.js';
import { assertUsable } from '../domain/sharing.js';
import type { Image, Instance } from '../domain/types.js';
import type { ImageUnitOfWork } from '../repositories/image-stores.js';
import { isoNow, type Clock } from './clock.js';
import type { RequestContext } from './context.js';
import { recordHistory } from './history.js';
import { recordEvent } from './events.js';
import { loadImageFor } from './image-access.js';
import { applyLaunchPolicy } from './launch-policy.service.js';

export const MAX_INSTANCES_PER_CALL = 100;
export const MAX_INSTANCE_NAME_LENGTH = 128;

export class InstanceService {
  constructor(
    private readonly store: ImageUnitOfWork,
    private readonly config: Config,
    private readonly clock: Clock,
  ) {}

  async launch(
    ctx: RequestContext,
    imageId: string,
    options: { count?: number; name?: string } = {},
  ): Promise<Instance[]> {
    const count = options.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > MAX_INSTANCES_PER_CALL) {
      throw fail('InvalidInput', `InstanceCount must be an integer from 1 to ${MAX_INSTANCES_PER_CALL}.`, {
        field: 'InstanceCount',
      });
    }
    const name = options.name ?? 'Unnamed';
    if (name.length === 0 || name.length > MAX_INSTANCE_NAME_LENGTH) {
      throw fail('InvalidInput', `InstanceName must be 1 to ${MAX_INSTANCE_NAME_LENGTH} characters.`, {
        field: 'InstanceName',
      });
    }
    return this.store.transaction(async (repos) => {
      const now = isoNow(this.clock);
      const { row } = await loadImageFor(repos, ctx, imageId, 'launch', { now });
      assertUsable({ id: imageId, status: row.status as Image['status'] });
      assertNotObsolete(
        { id: imageId, obsoleteAt: row.obsolete_at, replacementImageId: row.replacement_image_id },
        now,
      );
      // The caller's own guardrail: which owners' images it lets itself launch (enforce refuses, audit records).
      await applyLaunchPolicy(repos, ctx, row, count, now);

      await repos.instances.lockAccount(ctx.caller.accountId);
      const running = await repos.instances.countActive(ctx.caller.accountId);
      if (running + count > this.config.instances.maxPerAccount) {
        throw fail('QuotaExceeded', `At most ${this.config.instances.maxPerAccount} instances per account.`);
      }
      const instances: Instance[] = [];
      for (let i = 0; i < count; i++) {
        let id = newInstanceId();
        while (await repos.instances.idExists(id)) id = newInstanceId();
        instances.push({
          id,
          accountId: ctx.caller.accountId,
          imageId,
          region: ctx.region,
          name: count > 1 ? `${name}-${i + 1}` : name,
          state: 'RUNNING',
          createdAt: now,
          updatedAt: now,
          terminatedAt: null,
        });
      }
      await repos.instances.insertMany(instances);
      for (const instance of instances)
        await recordHistory(repos, ctx, 'launch', row, { details: { instanceId: instance.id }, at: now });
      // The owner hears of launches by other accounts (eventAudience: none for its own).
      await recordEvent(repos, {
        type: 'image.launched',
        image: row,
        actorId: ctx.caller.accountId,
        details: { instanceIds: instances.map((i) => i.id).join(','), count: String(instances.length) },
        at: now,
      });
      return instances;
    });
  }

  async list(
    ctx: RequestContext,
    options: { ids?: string[]; offset?: number; limit?: number } = {},
  ): Promise<{ instances: Instance[]; total: number }> {
    const repos = this.store.stores;
    return repos.instances.list(ctx.caller.accountId, ctx.region, {
      ids: options.ids,
      offset: options.offset ?? 0,
      limit: options.limit ?? 20,
    });
  }

  /** Terminates all of the given instances, or none when any of them is not the caller's. */
  async terminate(ctx: RequestContext, ids: string[]): Promise<void> {
    const unique = [...new Set(ids)];
    await this.store.transaction(async (repos) => {
      for (const id of unique) {
        const instance = await repos.instances.find(id, ctx.caller.accountId, ctx.region);
        if (!instance) throw fail('InstanceNotFound', `Instance ${id} does not exist.`, { instanceId: id });
      }
      await repos.instances.setState(unique, 'TERMINATED', isoNow(this.clock));
    });
  }
}
