// What an API 3.0 action is: its region requirement, its parameter schema and a handler. The dispatcher
// (plugin.ts) authenticates, resolves the region, validates parameters and then calls the handler with a
// RequestContext; the handler returns the fields of `Response` (RequestId is added by the dispatcher).
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../../config.js';
import type { RequestContext } from '../../../services/context.js';
import type { Services } from '../../../services/container.js';
import type { Static, TObject } from '@sinclair/typebox';

export interface ActionContext {
  ctx: RequestContext;
  services: Services;
  config: Config;
  requestId: string;
  log: FastifyBaseLogger;
}

export interface ActionDefinition<S extends TObject = TObject> {
  /**
   * 'required': X-TC-Region / Region must name a configured region (else InvalidRegion.NotFound);
   * 'optional': the default region when absent; 'none': not used (DescribeRegions).
   */
  region: 'required' | 'optional' | 'none';
  /** The parameters' schema (param-types.ts), validated by params.ts' validateParams. */
  params: S;
  handler(params: Static<S>, ac: ActionContext): Promise<Record<string, unknown>>;
}

export type ActionTable = Record<string, ActionDefinition>;

/** Keeps the handler's parameter type tied to its schema, then erases it for the table. */
export function defineAction<S extends TObject>(def: ActionDefinition<S>): ActionDefinition {
  return def;
}
