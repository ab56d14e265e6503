// Limits on how slowly and how much a client may send, for every surface at once (issue 11, "Limits and slow
// clients"). A client that trickles its headers or its body (one byte a second, "slowloris") would otherwise
// hold a socket and a request forever; a few hundred of them would take every connection the process has.
//
// - Headers: Node's own `headersTimeout` (the whole header block within server.timeouts.headersMs), checked
//   every `connectionsCheckingInterval` (set from the same settings in app.ts).
// - URL: longer than server.maxUrlBytes is 414 (Node already refuses header blocks over maxHeaderBytes: 431).
// - Bodies of API requests (JSON, forms): the whole body within server.timeouts.bodyMs.
// - Image data (`application/octet-stream`, which may take hours for a large image): at least
//   server.timeouts.dataMinBytes in every window of server.timeouts.dataWindowMs.
// - Idle sockets: no byte either way for server.timeouts.idleMs (Node's socket timeout, app.ts).
// A client over a body limit is cut off (its socket destroyed): it is not reading answers anyway.
//
// The checks only read the socket's byte count and the request's `complete` flag: they never touch the body
// stream itself, so the parsers and the upload pipeline see it exactly as before.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config.js';

export type TimeoutSettings = Config['server']['timeouts'];

/** How often the body checks run: often enough to cut a slow client close to its limit, at most once a second. */
export function checkIntervalMs(timeouts: TimeoutSettings): number {
  const shortest = Math.min(timeouts.headersMs, timeouts.bodyMs, timeouts.dataWindowMs);
  return Math.max(25, Math.min(1000, Math.floor(shortest / 4)));
}

function hasBody(raw: IncomingMessage): boolean {
  if (raw.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(raw.headers['content-length'] ?? '0');
  return !(length === 0);
}

function isImageData(raw: IncomingMessage): boolean {
  const type = String(raw.headers['content-type'] ?? '');
  return type.split(';')[0]!.trim().toLowerCase() === 'application/octet-stream';
}

export function registerSlowClientLimits(
  app: FastifyInstance,
  server: Pick<Config['server'], 'timeouts' | 'maxUrlBytes'>,
): void {
  const { timeouts, maxUrlBytes } = server;
  const interval = checkIntervalMs(timeouts);

  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const raw = request.raw;
    if ((raw.url ?? '').length > maxUrlBytes) {
      // A string: the route's response schema (the console's error schema) is not applied to it.
      void reply
        .code(414)
        .header('connection', 'close')
        .type('application/json')
        .send(
          JSON.stringify({
            error: {
              code: 414,
              title: 'URI Too Long',
              message: `The URL is longer than ${maxUrlBytes} bytes.`,
            },
          }),
        );
      return;
    }
    if (raw.complete || !hasBody(raw)) return done();

    const socket = raw.socket;
    const imageData = isImageData(raw);
    const started = Date.now();
    let windowStart = started;
    let windowBytes = socket.bytesRead;
    const cut = (why: string) => {
      stop();
      request.log.info({ slowClient: why, bytesRead: socket.bytesRead }, 'slow client cut off');
      socket.destroy();
    };
    const timer = setInterval(() => {
      if (raw.complete || socket.destroyed) return stop();
      const now = Date.now();
      if (!imageData) {
        if (now - started >= timeouts.bodyMs) cut(`body not received within ${timeouts.bodyMs} ms`);
        return;
      }
      if (now - windowStart < timeouts.dataWindowMs) return;
      if (socket.bytesRead - windowBytes < timeouts.dataMinBytes) {
        cut(`image data slower than ${timeouts.dataMinBytes} bytes per ${timeouts.dataWindowMs} ms`);
        return;
      }
      windowStart = now;
      windowBytes = socket.bytesRead;
    }, interval);
    timer.unref();
    function stop() {
      clearInterval(timer);
    }
    raw.once('end', stop);
    raw.once('close', stop);
    done();
  });
}
