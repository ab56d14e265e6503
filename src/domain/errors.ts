// The one catalogue of coded errors the services raise. Each HTTP surface maps these codes to its own
// envelope (Glance status codes, Tencent Response.Error.Code, legacy `code`), in one table per surface.
// Messages are written for the caller: they never carry internals (SQL, paths, stack traces).

export const errorCodes = [
  'Unauthenticated', // no or bad credentials
  'RateLimited', // too many failed logins
  'InvalidInput', // malformed or out-of-range input
  'ImageNotFound', // missing, deleted, or not visible to the caller (never "forbidden": no hint it exists)
  'MemberNotFound',
  'AccountNotFound',
  'InstanceNotFound',
  'TagNotFound',
  'RegionNotFound',
  'NotImageOwner', // the caller may see the image but not change it (a receiver of a share)
  'SharedImageModifyUnsupported', // a receiver tried to rename or re-describe
  'Forbidden', // any other refusal by policy (admin-only fields, reserved properties, ...)
  'ImageNotShareable', // members only on visibility "shared"
  'InvalidCopyTarget', // a copy to a region the rules do not allow (owner: other regions; receiver: its own)
  'ShareWithSelf',
  'ShareLimitExceeded',
  'ShareRequestTooLarge', // one request names more accounts than an image can ever be shared with
  'MemberAlreadyExists',
  'ShareNotAccepted', // the owner asks for consent before launch: a pending or rejected share cannot launch
  'CopyNotGranted', // a receiver copies a shared image without the owner's launch_and_copy grant
  'ImageInShared', // cannot delete while shares exist
  'ImageProtected',
  'ImageDeactivated',
  'InvalidImageStatus', // the image's status does not allow the operation
  'ImageQuotaExceeded',
  'QuotaExceeded', // other per-image limits: properties, tags
  'Conflict',
  'PayloadTooLarge',
  'RangeNotSatisfiable',
  'ApiKeyLimitExceeded',
  'GroupNotFound', // missing, or another account's group (never "forbidden": no hint it exists)
  'GroupTooLarge', // a group would hold more accounts than groups.maxMembersPerGroup
  'GroupQuotaExceeded', // an account would own more groups than groups.maxGroupsPerAccount
  'LaunchNotAllowed', // the caller's own launch policy (guardrails) does not allow the image's owner
  'NotificationNotFound', // a webhook or inbox event the caller does not have (issue 12)
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Optional machine-readable details for surfaces that carry them (e.g. the offending field). */
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

/** Shorthand used by the services: `throw fail('ImageNotFound', 'No image found with ID x')`. */
export function fail(
  code: ErrorCode,
  message: string,
  details?: Record<string, string | number>,
): DomainError {
  return new DomainError(code, message, details);
}

export function imageNotFound(id: string): DomainError {
  return new DomainError('ImageNotFound', `No image found with ID ${id}`, { imageId: id });
}
