// Which region a console call works in. Image and instance IDs are unique across regions, so routes that
// name one need no region: it is found by looking in each configured region (a handful) for one the caller
// may see; a `region` query parameter skips the search. An unknown region is a 404 like any missing thing.
import type { Config } from '../../config.js';
import { fail } from '../../domain/errors.js';
import type { Services } from '../../services/container.js';
import type { RequestContext } from '../../services/context.js';

export interface ConsoleDeps {
  config: Config;
  services: Services;
}

export function inRegion(deps: ConsoleDeps, ctx: RequestContext, region: string | undefined): RequestContext {
  if (region === undefined) return ctx;
  if (!deps.config.regions.includes(region)) {
    throw fail('RegionNotFound', `Region ${region} does not exist.`, { region });
  }
  return { ...ctx, region };
}

/** The context in the region holding an image the caller may see (else the default region: a 404 follows). */
export async function inImageRegion(
  deps: ConsoleDeps,
  ctx: RequestContext,
  imageId: string,
  region: string | undefined,
): Promise<RequestContext> {
  if (region !== undefined) return inRegion(deps, ctx, region);
  for (const candidate of deps.config.regions) {
    const here = { ...ctx, region: candidate };
    if (await deps.services.images.isVisible(here, imageId)) return here;
  }
  return ctx;
}

/** The context in the region holding one of the caller's instances (else the default region). */
export async function inInstanceRegion(
  deps: ConsoleDeps,
  ctx: RequestContext,
  instanceId: string,
): Promise<RequestContext> {
  for (const candidate of deps.config.regions) {
    const here = { ...ctx, region: candidate };
    const { total } = await deps.services.instances.list(here, { ids: [instanceId], limit: 1 });
    if (total > 0) return here;
  }
  return ctx;
}
