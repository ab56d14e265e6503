// `GET /` belongs to the image API's version discovery, which API clients rely on. A browser asking for the
// root (an Accept that prefers text/html) is sent to the console instead.
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The quality of the best Accept entry matching `type` exactly (0 when none does). */
function qualityOf(accept: string, matches: (mediaRange: string) => boolean): number {
  let best = 0;
  for (const part of accept.split(',')) {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    if (!range || !matches(range.trim())) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = q ? Number(q.slice(2)) : 1;
    if (Number.isFinite(value)) best = Math.max(best, value);
  }
  return best;
}

/** True when the client names text/html and likes it better than JSON (wildcards count for JSON only). */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept || accept.length > 1024) return false;
  const html = qualityOf(accept, (r) => r === 'text/html');
  const json = qualityOf(accept, (r) => r === 'application/json' || r === 'application/*' || r === '*/*');
  return html > 0 && html > json;
}

/** onRequest hook: a browser's plain `GET /` goes to /console/ (302). */
export async function redirectBrowsersToConsole(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  if (request.method !== 'GET' || request.url !== '/') return undefined;
  if (request.headers['x-tc-action'] !== undefined) return undefined;
  const accept = request.headers.accept;
  if (!prefersHtml(typeof accept === 'string' ? accept : undefined)) return undefined;
  return reply.redirect('/console/', 302);
}
