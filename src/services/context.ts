import type { Surface } from '../domain/history.js';
import type { Caller } from '../domain/types.js';

/** Who is asking, and through which region's endpoint. Every service method takes one first. */
export interface RequestContext {
  caller: Caller;
  region: string;
  /** The way in the request came through, recorded in the history of the changes it makes. */
  surface: Surface;
  /** The client's address as the surface saw it (history), when there is one. */
  clientAddress?: string;
}

/** What the sharing rules need to know about accounts (implemented by the account service). */
export interface AccountLookup {
  /** True for an existing account that is not disabled. */
  exists(accountId: string): Promise<boolean>;
}
