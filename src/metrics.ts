// Prometheus metrics (prom-client), served at /metrics when `metrics.token` is set (src/http/ops/metrics.routes.ts).
// Everything is registered in prom-client's global registry. In a cluster of worker processes a scrape reaches
// one worker, which asks the primary (scrapeText); the primary sums every worker's registry with prom-client's
// AggregatorRegistry (serveClusterMetrics). Labels are bounded: a route is its pattern (never the raw URL, which
// holds IDs), a status is the status code, an image event is one of the history actions.
import cluster from 'node:cluster';
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

/** How many webhook deliveries wait to be sent (main.ts registers the notification service's count). */
let outboxSource: (() => Promise<number>) | null = null;

new client.Gauge({
  name: 'imageshare_webhook_outbox_pending',
  help: 'Webhook deliveries waiting to be sent, all nodes together (the same figure from every worker)',
  // Every worker reads the one database: the cluster's figure is any worker's, not their sum.
  aggregator: 'max',
  async collect() {
    if (!outboxSource) return;
    this.set(await outboxSource());
  },
});

const webhookAttempts = new client.Counter({
  name: 'imageshare_webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome: delivered, retry (failed, will be retried), failed (given up)',
  labelNames: ['outcome'] as const,
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
  setOutboxSource(source: typeof outboxSource) {
    outboxSource = source;
  },
  webhookAttempt(outcome: 'delivered' | 'retry' | 'failed') {
    webhookAttempts.inc({ outcome });
  },
};

/** A worker's request to the primary for the cluster's figures, and the primary's answer. */
const ASK = 'imageshare:metrics-ask';
const ANSWER = 'imageshare:metrics-answer';
/** A scrape that the primary does not answer within this long fails (503) instead of hanging. */
const ASK_TIMEOUT_MS = 10_000;

interface Ask {
  type: typeof ASK;
  id: number;
}
interface Answer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

const isAsk = (m: unknown): m is Ask => (m as Ask | null)?.type === ASK;
const isAnswer = (m: unknown): m is Answer => (m as Answer | null)?.type === ANSWER;

/**
 * What a scrape of /metrics gets. One process: its own registry. A cluster worker: every worker's figures
 * summed by the primary, since the balancer hands a scrape to any one worker and its own counters would be a
 * fraction of the node's.
 */
export async function scrapeText(): Promise<string> {
  const send = process.send?.bind(process);
  if (!cluster.isWorker || !send) return metricsRegistry.metrics();
  const id = ++lastAsk;
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      process.off('message', onMessage);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error('the cluster primary did not answer the metrics request'));
    }, ASK_TIMEOUT_MS);
    const onMessage = (m: unknown) => {
      if (!isAnswer(m) || m.id !== id) return;
      done();
      if (m.text !== undefined) resolve(m.text);
      else reject(new Error(m.error ?? 'the cluster primary could not gather the metrics'));
    };
    process.on('message', onMessage);
    send({ type: ASK, id } satisfies Ask);
  });
}
let lastAsk = 0;

// prom-client answers the primary's requests for this worker's registry only once an AggregatorRegistry has
// been made in the worker (that adds its IPC listener).
if (cluster.isWorker) new client.AggregatorRegistry();

/**
 * In the cluster's primary: answer the workers' scrapes with every worker's registry summed (prom-client's
 * AggregatorRegistry asks each worker over IPC; prom-client answers in the workers by itself).
 */
export function serveClusterMetrics(): void {
  const aggregator = new client.AggregatorRegistry();
  cluster.on('message', (worker, message) => {
    if (!isAsk(message)) return;
    const reply = (answer: Omit<Answer, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: ANSWER, id: message.id, ...answer } satisfies Answer);
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
