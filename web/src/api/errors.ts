// Error codes into words: every error the console shows goes through here, so no raw code reaches the user.
import type { MessageKey, Translate } from '../i18n';
import { ApiError } from './client';
import { ownerOnlyRefusalKey } from './refusals';

const KNOWN: Record<string, MessageKey> = {
  ImageNotFound: 'error.ImageNotFound',
  NotFound: 'error.NotFound',
  AccountNotFound: 'error.AccountNotFound',
  InstanceNotFound: 'error.InstanceNotFound',
  ApiKeyNotFound: 'error.ApiKeyNotFound',
  ShareLimitExceeded: 'error.ShareLimitExceeded',
  ShareWithSelf: 'error.ShareWithSelf',
  MemberAlreadyExists: 'error.MemberAlreadyExists',
  MemberNotFound: 'error.MemberNotFound',
  ImageInShared: 'error.ImageInShared',
  ImageProtected: 'error.ImageProtected',
  InvalidInput: 'error.InvalidInput',
  Unauthenticated: 'error.Unauthenticated',
  InvalidCredentials: 'error.InvalidCredentials',
  AccountDisabled: 'error.AccountDisabled',
  RateLimited: 'error.RateLimited',
  CsrfRejected: 'error.CsrfRejected',
  NotImageOwner: 'error.NotImageOwner',
  Forbidden: 'error.Forbidden',
  ImageQuotaExceeded: 'error.ImageQuotaExceeded',
  InvalidImageStatus: 'error.InvalidImageStatus',
  Conflict: 'error.Conflict',
  PayloadTooLarge: 'error.PayloadTooLarge',
  InvalidCopyTarget: 'error.InvalidCopyTarget',
  ShareNotAccepted: 'error.ShareNotAccepted',
  CopyNotGranted: 'error.CopyNotGranted',
  LaunchNotAllowed: 'error.LaunchNotAllowed',
  RegionNotFound: 'error.RegionNotFound',
  WrongPassword: 'error.WrongPassword',
  NetworkError: 'error.NetworkError',
  Cancelled: 'error.Cancelled',
  ServerError: 'error.ServerError',
};

export function errorMessage(t: Translate, error: unknown): string {
  if (!(error instanceof ApiError)) return t('error.Unknown');
  const key = KNOWN[error.code];
  if (error.code === 'RateLimited') {
    const seconds = Number(error.details.retryAfterSeconds);
    if (Number.isFinite(seconds) && seconds > 0)
      return t('error.RateLimitedFor', { minutes: Math.max(1, Math.ceil(seconds / 60)) });
  }
  if (error.code === 'ImageInShared') {
    const count = Number(error.details.shareCount);
    if (Number.isFinite(count) && count > 0) return t('error.ImageInSharedCount', { count });
  }
  // Lifecycle (issue 12): a deprecated image past its date; a deprecation's replacement or date refused.
  if (error.code === 'InvalidImageStatus' && error.details.reason === 'obsolete') {
    return t('error.ImageObsolete');
  }
  if (error.code === 'InvalidInput' && error.details.field === 'replacement') {
    return t('error.ReplacementInvalid');
  }
  if (error.code === 'InvalidInput' && error.details.field === 'obsolete_at') {
    return t('error.ObsoleteAtInvalid');
  }
  if (error.code === 'LaunchNotAllowed' && typeof error.details.ownerId === 'string') {
    return t('error.LaunchNotAllowedFrom', { owner: error.details.ownerId });
  }
  const ownerOnly = ownerOnlyRefusalKey(error.code, error.details);
  if (ownerOnly) return t(ownerOnly);
  if (key) return t(key);
  if (error.code.endsWith('NotFound')) return t('error.NotFound');
  if (error.status >= 500) return t('error.ServerError');
  if (error.status === 400) return t('error.InvalidInput');
  if (error.status === 403) return t('error.Forbidden');
  if (error.status === 409) return t('error.Conflict');
  return t('error.Unknown');
}
