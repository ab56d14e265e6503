// Identifier formats and generators. IDs come from a CSPRNG so they cannot be guessed or enumerated.
import { randomBytes, randomInt } from 'node:crypto';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomSuffix(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  // 256 is not a multiple of 36, so reject the top bytes to keep every character equally likely.
  for (let i = 0; i < length; i++) {
    let b = bytes[i] as number;
    while (b >= 252) b = randomBytes(1)[0] as number;
    out += ID_ALPHABET[b % 36];
  }
  return out;
}

export const IMAGE_ID_PATTERN = /^img-[a-z0-9]{8}$/;
export const INSTANCE_ID_PATTERN = /^ins-[a-z0-9]{8}$/;
export const ACCOUNT_ID_PATTERN = /^[1-9][0-9]{4,19}$/;
/** Account groups (issue 12): an owner's named set of accounts, a share target like an account. */
export const GROUP_ID_PATTERN = /^grp-[a-z0-9]{8}$/;

export function newImageId(): string {
  return `img-${randomSuffix(8)}`;
}

export function newInstanceId(): string {
  return `ins-${randomSuffix(8)}`;
}

export function newGroupId(): string {
  return `grp-${randomSuffix(8)}`;
}

export function isGroupId(value: string): boolean {
  return GROUP_ID_PATTERN.test(value);
}

/** A new numeric account ID of 10 digits (Tencent's UINs are numeric, e.g. 909619400). */
export function newAccountId(): string {
  return String(randomInt(1_000_000_000, 9_999_999_999));
}

export function isImageId(value: string): boolean {
  return IMAGE_ID_PATTERN.test(value);
}

export function isAccountId(value: string): boolean {
  return ACCOUNT_ID_PATTERN.test(value);
}
