// Prometheus metrics (prom-client), served at /metrics when `metrics.token` is set (src/http/ops/metrics.ts).
// Everything is registered in prom-client's global registry: in a cluster of worker processes the primary
// can then sum the workers' figures with prom-client's AggregatorRegistry.clusterMetrics(), which collects
// exactly that registry from each worker over IPC. Labels are bounded: a route is its pattern (never the raw
// URL, which holds IDs), a status is the status code, an image event is one of the history actions.
import client from 'prom-client';

export const metricsRegistry = client.register;

let defaultsCollected = false;

const requestDuration = new client.Histogram({
  name: 'imageshare_http_request_duration_seconds',
  help: 'HTTP request duration by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
});

const requestBytes = new client.Counter({
  name: 'imageshare_http_request_bytes_total',
  help: 'Request body bytes announced in Content-Length, by route pattern (chunked uploads: see image data)',
  labelNames: ['route'] as const,
});

const responseBytes = new client.Counter({
  name: 'imageshare_http_response_bytes_total',
  help: 'Response body bytes sent with a Content-Length, by route pattern',
  labelNames: ['route'] as const,
});

const loginFailures = new client.Counter({
  name: 'imageshare_login_failures_total',
  help: 'Refused password logins (Keystone and console): 401 wrong credentials, 429 over the failure limits',
  labelNames: ['surface', 'status'] as const,
});

const imageEvents = new client.Counter({
  name: 'imageshare_image_events_total',
  help: 'Image changes as recorded in the history: share, cancel, accept, reject, leave, upload, delete, launch...',
  labelNames: ['action', 'surface'] as const,
});

const imageDataBytes = new client.Counter({
  name: 'imageshare_image_data_bytes_total',
  help: 'Image data stored by uploads (in) and sent by downloads (out)',
  labelNames: ['direction'] as const,
});

/** Where the database pool's figures come from (main.ts registers the open database). */
let poolSource: (() => { total: number; idle: number; waiting: number }) | null = null;

new client.Gauge({
  name: 'imageshare_db_pool_connections',
  help: 'Database connections: total open, idle, and requests waiting for one (SQLite: one connection)',
  labelNames: ['state'] as const,
  collect() {
    if (!poolSource) return;
    const stats = poolSource();
    this.set({ state: 'total' }, stats.total);
    this.set({ state: 'idle' }, stats.idle);
    this.set({ state: 'waiting' }, stats.waiting);
  },
});

export const metrics = {
  /** Process metrics (CPU, memory, event loop lag, handles), once per process. */
  collectDefaults(): void {
    if (defaultsCollected) return;
    defaultsCollected = true;
    client.collectDefaultMetrics({ prefix: 'imageshare_' });
  },
  request(method: string, route: string, status: number, seconds: number, bytesIn: number, bytesOut: number) {
    requestDuration.observe({ method, route, status: String(status) }, seconds);
    if (bytesIn > 0) requestBytes.inc({ route }, bytesIn);
    if (bytesOut > 0) responseBytes.inc({ route }, bytesOut);
  },
  loginFailure(surface: string, status: number) {
    loginFailures.inc({ surface, status: String(status) });
  },
  imageEvent(action: string, surface: string) {
    imageEvents.inc({ action, surface });
  },
  imageData(direction: 'in' | 'out', bytes: number) {
    if (bytes > 0) imageDataBytes.inc({ direction }, bytes);
  },
  setPoolSource(source: typeof poolSource) {
    poolSource = source;
  },
};
