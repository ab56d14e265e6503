// Sends one webhook delivery: a POST of JSON to the webhook's URL, over http or https, within a time limit.
// SSRF: unless the operator allows private targets, the host name is resolved here and the connection is
// pinned to an address that was checked (domain/notifications.ts isBlockedAddress), so a DNS answer that
// changes between the check and the connection cannot point it at a private address. Redirects are not
// followed (a 3xx is a failed attempt).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { bareHost, isBlockedAddress } from '../domain/notifications.js';

export interface WebhookPost {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export interface TransportOptions {
  timeoutMs: number;
  allowPrivateTargets: boolean;
}

/** The receiver's HTTP status, or a short error (never the receiver's body, never a secret). */
export type PostResult = { ok: boolean; status: number | null; error: string | null };

export type WebhookTransport = (post: WebhookPost, options: TransportOptions) => Promise<PostResult>;

class BlockedTarget extends Error {}

function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const usable = addresses.filter((a) => allowPrivate || !isBlockedAddress(a.address));
      const first = usable[0];
      if (!first) return callback(new BlockedTarget('the host resolves to non-public addresses only'), '', 0);
      if (options.all) return callback(null, usable);
      return callback(null, first.address, first.family);
    });
  };
}

export const postWebhook: WebhookTransport = (post, options) =>
  new Promise<PostResult>((resolve) => {
    let url: URL;
    try {
      url = new URL(post.url);
    } catch {
      return resolve({ ok: false, status: null, error: 'invalid URL' });
    }
    const host = bareHost(url.hostname);
    if (isIP(host) && !options.allowPrivateTargets && isBlockedAddress(host))
      return resolve({ ok: false, status: null, error: 'blocked: non-public address' });
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const done = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...post.headers, 'content-length': String(Buffer.byteLength(post.body)) },
        lookup: checkedLookup(options.allowPrivateTargets),
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        // The answer's body is not needed: read and drop it (bounded by the time limit).
        res.on('data', () => undefined);
        res.on('end', () =>
          done({ ok: status >= 200 && status < 300, status, error: status >= 300 ? `HTTP ${status}` : null }),
        );
        res.on('error', () => done({ ok: false, status, error: 'answer cut' }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ ok: false, status: null, error: `timed out after ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    req.on('error', (err) => {
      const message =
        err instanceof BlockedTarget
          ? `blocked: ${err.message}`
          : ((err as NodeJS.ErrnoException).code ?? 'connection failed');
      done({ ok: false, status: null, error: message });
    });
    req.end(post.body);
  });
