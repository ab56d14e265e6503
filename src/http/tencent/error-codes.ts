// The one table from the domain's coded errors (src/domain/errors.ts) to Tencent's error codes, shared by
// API 3.0 (`Response.Error.Code`) and the legacy v2 API (numeric `code` + `codeDesc`, spec §1.6).
// A few codes depend on the action (a receiver deleting a shared image is told so, not "not yours"); those
// overrides live here too, so this file is the whole story.
import type { DomainError, ErrorCode } from '../../domain/errors.js';

/** An error answered in Tencent's envelope with this exact code. */
export class TencentError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TencentError';
  }
}

// Partial on purpose: a code added to the domain catalogue must not break the build of every surface at once.
// error-codes.test.ts fails until the new code has its row here; meanwhile it answers `FailedOperation`.
export const domainToTencent: Partial<Record<ErrorCode, string>> = {
  Unauthenticated: 'AuthFailure.UnauthorizedOperation',
  RateLimited: 'RequestLimitExceeded',
  InvalidInput: 'InvalidParameterValue',
  ImageNotFound: 'InvalidImageId.NotFound',
  MemberNotFound: 'InvalidAccountId.NotFound',
  AccountNotFound: 'InvalidAccountId.NotFound',
  InstanceNotFound: 'InvalidInstanceId.NotFound',
  NotificationNotFound: 'ResourceNotFound',
  TagNotFound: 'ResourceNotFound',
  RegionNotFound: 'InvalidRegion.NotFound',
  NotImageOwner: 'UnauthorizedOperation.ImageNotBelongToAccount',
  SharedImageModifyUnsupported: 'UnsupportedOperation.SharedImageModifyUnsupported',
  Forbidden: 'UnauthorizedOperation.PermissionDenied',
  ImageNotShareable: 'InvalidParameterValue.InvalidImageId',
  InvalidCopyTarget: 'InvalidParameterValue.InvalidRegion',
  ShareWithSelf: 'InvalidAccountIs.YourSelf',
  ShareLimitExceeded: 'OverQuota',
  ShareRequestTooLarge: 'InvalidParameterValue.LimitExceeded',
  MemberAlreadyExists: 'FailedOperation.AccountAlreadyExists',
  // imageshare's own (issue 12): Tencent has no consent step and no copy grant.
  ShareNotAccepted: 'UnauthorizedOperation.ShareNotAccepted',
  CopyNotGranted: 'UnauthorizedOperation.CopyNotGranted',
  ImageInShared: 'InvalidImageId.InShared',
  ImageProtected: 'InvalidImageId.IncorrectState',
  ImageDeactivated: 'InvalidImageId.IncorrectState',
  InvalidImageStatus: 'InvalidParameterValue.InvalidImageState',
  ImageQuotaExceeded: 'ImageQuotaLimitExceeded',
  QuotaExceeded: 'LimitExceeded',
  Conflict: 'ResourceInUse',
  PayloadTooLarge: 'RequestSizeLimitExceeded',
  ApiKeyLimitExceeded: 'LimitExceeded',
  RangeNotSatisfiable: 'InvalidParameterValue',
  // imageshare's own (issue 12, account groups): Tencent has no groups.
  GroupNotFound: 'InvalidParameterValue.GroupNotFound',
  GroupTooLarge: 'LimitExceeded.GroupTooLarge',
  GroupQuotaExceeded: 'LimitExceeded.GroupQuota',
  // imageshare's own (issue 12 guardrails): the caller's launch policy refuses the image's owner.
  LaunchNotAllowed: 'UnauthorizedOperation.LaunchNotAllowed',
};

/** Per-action exceptions to the table above (API 3.0 action names; legacy actions map to these first). */
export const actionOverrides: Record<string, Partial<Record<ErrorCode, string>>> = {
  DeleteImages: { InvalidImageStatus: 'InvalidImageId.IncorrectState' },
  SyncImages: { InvalidImageStatus: 'InvalidImageId.IncorrectState' },
};

/**
 * Per-action exceptions for refusals to the receiver of a share (the domain's `relation` detail is
 * 'member'): Tencent tells it the image was shared with it. Anyone else who may see but not change an image
 * (a public one) gets the table's "not your image".
 */
export const receiverOverrides: Record<string, Partial<Record<ErrorCode, string>>> = {
  DeleteImages: { NotImageOwner: 'InvalidParameterValue.InvalidImageIdIsShared' },
};

export function tencentCodeFor(err: DomainError, action?: string): string {
  const receiver = err.details.relation === 'member';
  return (
    (action && receiver && receiverOverrides[action]?.[err.code]) ||
    (action && actionOverrides[action]?.[err.code]) ||
    domainToTencent[err.code] ||
    'FailedOperation'
  );
}

export interface LegacyCode {
  code: number;
  codeDesc: string;
}

/** Legacy numeric `code` for an API 3.0 code (spec §1.6); `codeDesc` carries the API 3.0 code itself. */
export function legacyCodeFor(tencentCode: string): LegacyCode {
  const family = tencentCode.split('.')[0] as string;
  let code: number;
  if (tencentCode === 'AuthFailure.SecretIdNotFound' || tencentCode === 'AuthFailure.InvalidSecretId')
    code = 4104;
  else if (tencentCode === 'AuthFailure.SignatureExpire' || tencentCode === 'AuthFailure.ReplayAttack')
    code = 4500;
  else if (family === 'AuthFailure') code = 4100;
  else if (family === 'UnauthorizedOperation') code = 4110;
  else if (family === 'RequestLimitExceeded') code = 4400;
  else if (family === 'UnsupportedProtocol') code = 4600;
  else if (family === 'InvalidRegion')
    code = 4000; // a bad Region parameter, not a missing resource
  else if (tencentCode.endsWith('.Malformed'))
    code = 4000; // a parameter of the wrong format (spec §1.6), e.g. InvalidImageId.Malformed
  else if (tencentCode.endsWith('.NotFound')) code = 5000;
  else if (
    [
      'InvalidParameter',
      'InvalidParameterValue',
      'MissingParameter',
      'UnknownParameter',
      'InvalidFilter',
      'InvalidFilterValue',
      'InvalidAction',
      'NoSuchVersion',
      'InvalidRegion',
      'InvalidAccountIs',
      'InvalidImageName',
      'RequestSizeLimitExceeded',
    ].includes(family)
  )
    code = 4000;
  else code = 5100;
  return { code, codeDesc: tencentCode };
}
