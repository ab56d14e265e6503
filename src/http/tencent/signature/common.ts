// Small helpers shared by the signature verifiers. Pure: no I/O, no clock (callers pass "now").
import { timingSafeEqual } from 'node:crypto';

/** Constant-time equality of two byte strings; different lengths compare unequal (length is not secret). */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** The Host header value and the same without `:port` (IPv6 `[::1]:80` keeps its brackets). */
export function hostVariants(host: string): string[] {
  const variants = [host];
  const match = /^(.*?)(:\d+)$/.exec(host);
  if (match && match[1] && !match[1].endsWith(':')) variants.push(match[1]);
  return variants;
}

export type TimestampCheck = 'ok' | 'invalid' | 'expired';

/** Integer seconds within `maxSkewSeconds` of `nowSeconds`, in either direction. */
export function checkTimestamp(
  raw: string | undefined,
  nowSeconds: number,
  maxSkewSeconds: number,
): TimestampCheck {
  if (raw === undefined || !/^\d{1,12}$/.test(raw)) return 'invalid';
  return Math.abs(Number(raw) - nowSeconds) > maxSkewSeconds ? 'expired' : 'ok';
}
