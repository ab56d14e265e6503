// One typed configuration, assembled from (lowest to highest precedence):
// embedded defaults -> JSON config file -> environment -> command-line overrides.
// Every setting has a default that needs no set-up: SQLite and a local folder under ./data.
import { readFileSync, existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { DeleteSharedPolicy } from './domain/sharing.js';

export type { DeleteSharedPolicy } from './domain/sharing.js';
export type BlobBackend = 'local' | 's3';

export interface Config {
  server: {
    host: string;
    port: number;
    /** Base URL clients reach us at (catalog, Location headers). Null: derived from host and port. */
    publicUrl: string | null;
    /** Largest JSON/form body accepted on any API (image data has its own limit). */
    bodyLimitBytes: number;
    /**
     * Which X-Forwarded-For hops to believe, for the client address seen by login limits and logs. Empty (the
     * default): none, the socket's peer is the client. A number: that many proxies in front of us (a hop
     * count). Otherwise proxy addresses or CIDRs (a list, or one comma-separated string). See trustProxySetting.
     */
    trustProxy: string | number | string[];
    /**
     * Processes serving the one port (Node cluster: a primary that migrates, creates the first admin and
     * forks, and this many workers that serve). 0 (the default): the number of cores. 1: no cluster.
     */
    workers: number;
    /** Largest body of a login (Keystone POST /auth/tokens, console POST /session): they are read before
     * authentication, and a password is at most 4096 characters. */
    loginBodyLimitBytes: number;
    /** Longest request line URL (path and query); longer is 414. */
    maxUrlBytes: number;
    /** Largest header block (request line and headers); larger is 431 (Node's maxHeaderSize). */
    maxHeaderBytes: number;
    /** Slow clients are cut off (see src/http/slow-clients.ts). */
    timeouts: {
      /** The whole header block must arrive within this. */
      headersMs: number;
      /** The whole body of an API request (JSON, form) must arrive within this. */
      bodyMs: number;
      /** Image data (application/octet-stream) must bring at least dataMinBytes in every window of this. */
      dataWindowMs: number;
      dataMinBytes: number;
      /** A connection with no traffic either way for this long is closed. */
      idleMs: number;
      /** How long an idle keep-alive connection waits for its next request. */
      keepAliveMs: number;
    };
  };
  /** Folder for the SQLite file and local image data. */
  dataDir: string;
  database: {
    /** postgres://... selects PostgreSQL; empty selects SQLite at <dataDir>/imageshare.sqlite. */
    url: string;
    /** PostgreSQL only: the schema to work in (created if missing); empty uses the server's search_path. */
    schema: string;
    /** PostgreSQL only: statements running longer than this are cancelled. */
    statementTimeoutMs: number;
    /** PostgreSQL only: connections per server process (with `server.workers`, per worker). */
    poolSize: number;
  };
  blob: {
    /** Where image data lives: a local (or shared) folder, or an S3-compatible bucket. */
    backend: BlobBackend;
    /** Local backend: folder for image data; empty means <dataDir>/images. */
    dir: string;
    /** Names this node's temporary upload files in a shared folder; empty means the host name. */
    nodeId: string;
    /**
     * Local backend: write upload data with O_DIRECT where the file system accepts it (no page-cache copy, the
     * disk writes while data arrives), at the cost of the next download reading from the disk; false (the
     * default) writes through the page cache. See docs/storage.md.
     */
    directIo: boolean;
    /** How often each node sweeps data no image refers to; 0 turns the background sweep off. */
    sweepIntervalSeconds: number;
    /** Data younger than this is never swept: it may belong to an upload or copy about to commit. */
    sweepGraceSeconds: number;
    s3: {
      /** Empty: AWS's endpoint for the region. */
      endpoint: string;
      region: string;
      bucket: string;
      /** Prepended to every object key, e.g. "images/". */
      prefix: string;
      /** Empty: the standard AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, roles). */
      accessKeyId: string;
      secretAccessKey: string;
      /** Path-style URLs (http://host/bucket/key), needed by most S3-compatible servers. */
      forcePathStyle: boolean;
      /** Multipart part size; the largest image is this times the server's part limit (AWS: 10,000). */
      partSizeMiB: number;
      /** Parts of one upload in flight at once; memory per upload is about (this + 1) x part size. */
      uploadConcurrency: number;
      /** Create the bucket on start when it does not exist. */
      createBucket: boolean;
    };
  };
  /** Region names; the first is the default region (served at the root of the image API). */
  regions: string[];
  tokens: {
    ttlSeconds: number;
    /**
     * How long a process may keep using a token it found valid without asking the database again: a
     * revocation through another process or node takes effect here within this many seconds (through this
     * process: at once). 0: every request reads the token from the database.
     */
    cacheSeconds: number;
  };
  login: {
    /** Failed logins allowed within the window to one account from one client address. */
    maxFailuresPerAccountAddress: number;
    /** Failed logins allowed within the window from one client address, to any accounts. */
    maxFailuresPerAddress: number;
    /**
     * Failed logins allowed within the window to one account from all addresses together (only attempts the
     * two limits above let through count): a ceiling for distributed guessing, high enough that one address
     * cannot reach it alone.
     */
    maxFailuresPerAccount: number;
    windowSeconds: number;
  };
  /**
   * Per-account limits on writes, in each process (see src/services/write-rate-limit.service.ts): `burst`
   * writes at once, then `perSecond` on average; perSecond 0 turns the limit off.
   */
  rateLimits: { writes: { perSecond: number; burst: number } };
  sharing: { maxAccountsPerImage: number };
  /** Account groups (issue 12): accounts per group, and groups per owning account. */
  groups: { maxMembersPerGroup: number; maxGroupsPerAccount: number };
  images: {
    /** What deleting a still-shared image does: refuse (the seed's rule) or cancel the shares (Glance). */
    deleteShared: DeleteSharedPolicy;
    /** Custom images an account may own in one region. */
    quotaPerRegion: number;
    maxUploadBytes: number;
    /** An upload whose heartbeat is older than this is taken as abandoned (its node died). */
    uploadStaleSeconds: number;
    maxPropertiesPerImage: number;
    maxTagsPerImage: number;
    /** Days a deleted image stays in its owner's recycle bin, restorable, before it is purged; 0: no bin. */
    recycleBinDays: number;
    /** Operator switches (issue 12 guardrails): false refuses making an image public / community from now on. */
    allowNewPublic: boolean;
    allowNewCommunity: boolean;
  };
  /** Receivers' launch policies (issue 12 guardrails): the most accounts and groups one allow-list names. */
  guardrails: { maxAllowedOwners: number };
  /** The first admin, created on first start with an empty database. Empty values are generated. */
  admin: { id: string; name: string; password: string };
  tencent: {
    /** API 3.0 signatures older or newer than this are refused (AuthFailure.SignatureExpire). */
    maxClockSkewSeconds: number;
    /** Legacy v2 API: allowed Timestamp skew, and how long a Nonce is remembered. */
    legacyMaxClockSkewSeconds: number;
    maxKeysPerAccount: number;
    /**
     * How long a process may keep using an API key it found enabled without asking the database again: a key
     * disabled or deleted (or its account disabled) through another process or node stops working here within
     * this many seconds (through this process: at once). 0: every signed request reads its key.
     */
    keyCacheSeconds: number;
  };
  instances: { maxPerAccount: number };
  console: {
    /** How long a console login lasts (absolute, from login). */
    sessionTtlSeconds: number;
    /** A console session not used for this long ends too (stored with the session: every node agrees). */
    sessionIdleSeconds: number;
    /** The built console (index.html, assets/); empty means web/dist in the installed package. */
    staticDir: string;
  };
  log: { level: string };
  /** Prometheus metrics at /metrics: served only when a token is set, to `Authorization: Bearer <token>`. */
  metrics: { token: string };
  /** Secret used to encrypt API SecretKeys at rest. Empty: generated once into <dataDir>/master.key. */
  masterKey: string;
  /** Inboxes, "expiring soon" events and webhooks (issue 12; docs/api/notifications.md). */
  notifications: {
    /** A share with an end time gets its "expiring soon" event this long before the end. */
    expiringSoonSeconds: number;
    /** How often each node looks for shares to send "expiring soon" for; 0 turns the scan off. */
    scanIntervalSeconds: number;
    /** Inbox entries, finished webhook deliveries and their events are kept this many days. */
    retentionDays: number;
    webhooks: {
      maxPerAccount: number;
      /** Allow webhook targets on loopback, private, link-local and other non-public addresses (SSRF). */
      allowPrivateTargets: boolean;
      /** Attempts per delivery before it is given up (state `failed`). */
      maxAttempts: number;
      /** The first retry's delay; each next one doubles, up to retryMaxSeconds. */
      retryBaseSeconds: number;
      retryMaxSeconds: number;
      /** One delivery attempt's whole time (connect, send, answer). */
      timeoutMs: number;
      /** How often each node's dispatcher looks for due deliveries; 0 turns the dispatcher off. */
      pollIntervalMs: number;
      /** A claimed delivery is another node's to retry after this long (its claimer died). */
      leaseSeconds: number;
      /** Deliveries one node sends at once. */
      concurrency: number;
    };
  };
}

export const defaultConfig: Config = {
  server: {
    host: '127.0.0.1',
    port: 9292,
    publicUrl: null,
    bodyLimitBytes: 1024 * 1024,
    trustProxy: '',
    workers: 0,
    loginBodyLimitBytes: 65_536,
    maxUrlBytes: 12_288,
    maxHeaderBytes: 16384,
    timeouts: {
      headersMs: 10_000,
      bodyMs: 30_000,
      dataWindowMs: 30_000,
      dataMinBytes: 16384,
      idleMs: 120_000,
      keepAliveMs: 72_000,
    },
  },
  dataDir: './data',
  database: { url: '', schema: '', statementTimeoutMs: 30_000, poolSize: 10 },
  blob: {
    backend: 'local',
    dir: '',
    nodeId: '',
    directIo: false,
    sweepIntervalSeconds: 3600,
    sweepGraceSeconds: 3600,
    s3: {
      endpoint: '',
      region: 'us-east-1',
      bucket: '',
      prefix: '',
      accessKeyId: '',
      secretAccessKey: '',
      forcePathStyle: false,
      partSizeMiB: 8,
      uploadConcurrency: 2,
      createBucket: false,
    },
  },
  regions: ['ap-guangzhou', 'ap-shanghai'],
  tokens: { ttlSeconds: 3600, cacheSeconds: 2 },
  login: {
    maxFailuresPerAccountAddress: 5,
    maxFailuresPerAddress: 20,
    maxFailuresPerAccount: 100,
    windowSeconds: 300,
  },
  // High enough that Tempest and the real clients are never limited (Tempest's busiest account makes a few
  // hundred writes in a burst); low enough that one account cannot flood a node with writes.
  rateLimits: { writes: { perSecond: 50, burst: 1000 } },
  sharing: { maxAccountsPerImage: 50 },
  groups: { maxMembersPerGroup: 500, maxGroupsPerAccount: 100 },
  images: {
    deleteShared: 'refuse',
    quotaPerRegion: 500,
    maxUploadBytes: 1024 ** 4,
    uploadStaleSeconds: 300,
    maxPropertiesPerImage: 128,
    maxTagsPerImage: 128,
    recycleBinDays: 7,
    allowNewPublic: true,
    allowNewCommunity: true,
  },
  guardrails: { maxAllowedOwners: 100 },
  admin: { id: '', name: 'admin', password: '' },
  tencent: {
    maxClockSkewSeconds: 300,
    legacyMaxClockSkewSeconds: 7200,
    maxKeysPerAccount: 2,
    keyCacheSeconds: 2,
  },
  instances: { maxPerAccount: 1000 },
  console: { sessionTtlSeconds: 8 * 3600, sessionIdleSeconds: 30 * 60, staticDir: '' },
  log: { level: 'info' },
  metrics: { token: '' },
  masterKey: '',
  notifications: {
    expiringSoonSeconds: 86_400,
    scanIntervalSeconds: 60,
    retentionDays: 90,
    webhooks: {
      maxPerAccount: 5,
      allowPrivateTargets: false,
      maxAttempts: 8,
      retryBaseSeconds: 30,
      retryMaxSeconds: 3600,
      timeoutMs: 10_000,
      pollIntervalMs: 1000,
      leaseSeconds: 60,
      concurrency: 4,
    },
  },
};

/** Named profiles preset a few settings for a purpose. */
const profiles: Record<string, DeepPartial<Config>> = {
  // Glance's behaviour where the seed documents and Glance differ: Tempest's clean-up deletes shared images.
  openstack: { images: { deleteShared: 'cancel-shares' } },
};

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

/** Short environment names for the settings operators set most; every other setting has IMAGESHARE_A__B form. */
const envAliases: Record<string, string> = {
  DATABASE_URL: 'database.url',
  PORT: 'server.port',
  HOST: 'server.host',
  IMAGESHARE_DATABASE_URL: 'database.url',
  IMAGESHARE_DATABASE_SCHEMA: 'database.schema',
  IMAGESHARE_PORT: 'server.port',
  IMAGESHARE_HOST: 'server.host',
  IMAGESHARE_PUBLIC_URL: 'server.publicUrl',
  IMAGESHARE_TRUST_PROXY: 'server.trustProxy',
  IMAGESHARE_DATA_DIR: 'dataDir',
  IMAGESHARE_REGIONS: 'regions',
  IMAGESHARE_LOG_LEVEL: 'log.level',
  IMAGESHARE_ADMIN_ID: 'admin.id',
  IMAGESHARE_ADMIN_PASSWORD: 'admin.password',
  IMAGESHARE_MASTER_KEY: 'masterKey',
};

export class ConfigError extends Error {}

/** Maps IMAGESHARE_SHARING__MAX_ACCOUNTS_PER_IMAGE to sharing.maxAccountsPerImage. */
function envNameToPath(name: string): string | undefined {
  if (envAliases[name]) return envAliases[name];
  if (!name.startsWith('IMAGESHARE_') || !name.includes('__')) return undefined;
  return name
    .slice('IMAGESHARE_'.length)
    .split('__')
    .map((part) => part.toLowerCase().replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()))
    .join('.');
}

/** Sets one dotted path from a string, coerced to the type of the default at that path. */
export function setConfigValue(config: Config, path: string, raw: string): void {
  const keys = path.split('.');
  let target = config as unknown as Record<string, unknown>;
  let fallback = defaultConfig as unknown as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    if (typeof target[key] !== 'object' || target[key] === null)
      throw new ConfigError(`unknown setting ${path}`);
    target = target[key] as Record<string, unknown>;
    fallback = fallback[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1] as string;
  if (!(last in fallback)) throw new ConfigError(`unknown setting ${path}`);
  const example = fallback[last];
  if (typeof example === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new ConfigError(`${path} must be a number, got "${raw}"`);
    target[last] = n;
  } else if (typeof example === 'boolean') {
    target[last] = raw === 'true' || raw === '1';
  } else if (Array.isArray(example)) {
    target[last] = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  } else {
    target[last] = raw;
  }
}

function merge<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (!over) return base;
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(over as Record<string, unknown>)) {
    if (value === undefined) continue;
    const current = out[key];
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current &&
      typeof current === 'object'
    ) {
      out[key] = merge(current, value);
    } else {
      out[key] = value;
    }
  }
  return out as T;
}

export interface LoadConfigOptions {
  /** Path of a JSON config file; default: $IMAGESHARE_CONFIG, else ./imageshare.json when present. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Dotted-path overrides from command-line flags, applied last. */
  overrides?: Record<string, string>;
  profile?: string;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  let config = structuredClone(defaultConfig);

  const profile = options.profile ?? env.IMAGESHARE_PROFILE;
  if (profile) {
    if (!profiles[profile]) throw new ConfigError(`unknown profile "${profile}"`);
    config = merge(config, profiles[profile]);
  }

  const file =
    options.file ?? env.IMAGESHARE_CONFIG ?? (existsSync('imageshare.json') ? 'imageshare.json' : '');
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    config = merge(config, parsed as DeepPartial<Config>);
  }

  for (const [name, value] of Object.entries(env)) {
    const path = envNameToPath(name);
    if (path && value !== undefined && value !== '') setConfigValue(config, path, value);
  }
  for (const [path, value] of Object.entries(options.overrides ?? {})) setConfigValue(config, path, value);

  validateConfig(config);
  config.dataDir = resolve(config.dataDir);
  return config;
}

function validateConfig(config: Config): void {
  const problems: string[] = [];
  if (config.regions.length === 0) problems.push('regions must name at least one region');
  for (const region of config.regions) {
    if (!/^[a-z][a-z0-9-]{1,63}$/.test(region)) problems.push(`region name "${region}" is not [a-z0-9-]`);
  }
  if (!['refuse', 'cancel-shares'].includes(config.images.deleteShared)) {
    problems.push('images.deleteShared must be "refuse" or "cancel-shares"');
  }
  if (!Number.isInteger(config.sharing.maxAccountsPerImage) || config.sharing.maxAccountsPerImage < 1) {
    problems.push('sharing.maxAccountsPerImage must be a positive integer');
  }
  for (const [name, value] of Object.entries(config.groups)) {
    if (!Number.isInteger(value) || value < 1) problems.push(`groups.${name} must be a positive integer`);
  }
  const binDays = config.images.recycleBinDays;
  if (!Number.isInteger(binDays) || binDays < 0 || binDays > 365) {
    problems.push('images.recycleBinDays must be an integer from 0 (no recycle bin) to 365');
  }
  const maxAllowed = config.guardrails.maxAllowedOwners;
  if (!Number.isInteger(maxAllowed) || maxAllowed < 1 || maxAllowed > 10000) {
    problems.push('guardrails.maxAllowedOwners must be an integer from 1 to 10000');
  }
  if (config.tokens.ttlSeconds < 1) problems.push('tokens.ttlSeconds must be positive');
  for (const [name, value] of [
    ['tokens.cacheSeconds', config.tokens.cacheSeconds],
    ['tencent.keyCacheSeconds', config.tencent.keyCacheSeconds],
  ] as const) {
    if (!(value >= 0 && value <= 60)) problems.push(`${name} must be from 0 (no cache) to 60`);
  }
  if (config.metrics.token && config.metrics.token.length < 16) {
    problems.push('metrics.token must be at least 16 characters (or empty: no /metrics)');
  }
  for (const [name, value] of Object.entries(config.server.timeouts)) {
    if (!Number.isInteger(value) || value < 1)
      problems.push(`server.timeouts.${name} must be a positive integer`);
  }
  for (const name of ['maxUrlBytes', 'maxHeaderBytes', 'bodyLimitBytes', 'loginBodyLimitBytes'] as const) {
    const value = config.server[name];
    if (!Number.isInteger(value) || value < 256)
      problems.push(`server.${name} must be an integer of 256 or more`);
  }
  const writes = config.rateLimits.writes;
  if (!(writes.perSecond >= 0)) problems.push('rateLimits.writes.perSecond must be 0 (off) or more');
  if (!Number.isInteger(writes.burst) || writes.burst < 1)
    problems.push('rateLimits.writes.burst must be a positive integer');
  for (const [name, value] of Object.entries(config.login)) {
    if (!Number.isInteger(value) || value < 1) problems.push(`login.${name} must be a positive integer`);
  }
  if (config.console.sessionTtlSeconds < 1) problems.push('console.sessionTtlSeconds must be positive');
  if (!(config.console.sessionIdleSeconds >= 1)) problems.push('console.sessionIdleSeconds must be positive');
  if (config.database.url && !/^postgres(ql)?:\/\//.test(config.database.url)) {
    problems.push('database.url must be a postgres:// URL (or empty for SQLite)');
  }
  if (config.database.schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(config.database.schema)) {
    problems.push('database.schema must be a lower-case SQL identifier');
  }
  problems.push(...blobConfigProblems(config.blob));
  problems.push(...notificationConfigProblems(config.notifications));
  try {
    parseTrustProxy(config);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (config.server.publicUrl && !/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(config.server.publicUrl)) {
    problems.push('server.publicUrl must be an http(s):// URL without query or fragment');
  }
  if (problems.length) throw new ConfigError(problems.join('; '));
}

function notificationConfigProblems(n: Config['notifications']): string[] {
  const problems: string[] = [];
  const whole = (name: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min)
      problems.push(`notifications.${name} must be an integer of ${min} or more`);
  };
  whole('expiringSoonSeconds', n.expiringSoonSeconds, 1);
  whole('scanIntervalSeconds', n.scanIntervalSeconds, 0);
  whole('retentionDays', n.retentionDays, 1);
  whole('webhooks.maxPerAccount', n.webhooks.maxPerAccount, 0);
  whole('webhooks.maxAttempts', n.webhooks.maxAttempts, 1);
  whole('webhooks.retryBaseSeconds', n.webhooks.retryBaseSeconds, 1);
  whole('webhooks.retryMaxSeconds', n.webhooks.retryMaxSeconds, n.webhooks.retryBaseSeconds);
  whole('webhooks.timeoutMs', n.webhooks.timeoutMs, 100);
  whole('webhooks.pollIntervalMs', n.webhooks.pollIntervalMs, 0);
  whole('webhooks.leaseSeconds', n.webhooks.leaseSeconds, 1);
  whole('webhooks.concurrency', n.webhooks.concurrency, 1);
  if (n.webhooks.leaseSeconds * 1000 <= n.webhooks.timeoutMs)
    problems.push('notifications.webhooks.leaseSeconds must be longer than webhooks.timeoutMs');
  return problems;
}

function blobConfigProblems(blob: Config['blob']): string[] {
  const problems: string[] = [];
  if (!['local', 's3'].includes(blob.backend)) problems.push('blob.backend must be "local" or "s3"');
  if (!(blob.sweepIntervalSeconds >= 0)) problems.push('blob.sweepIntervalSeconds must be 0 or more');
  if (!(blob.sweepGraceSeconds >= 0)) problems.push('blob.sweepGraceSeconds must be 0 or more');
  if (blob.backend !== 's3') return problems;
  const s3 = blob.s3;
  if (!s3.bucket) problems.push('blob.s3.bucket must be set when blob.backend is "s3"');
  if (!/^[A-Za-z0-9._/-]*$/.test(s3.prefix))
    problems.push('blob.s3.prefix may hold only A-Z a-z 0-9 . _ / -');
  // S3 refuses parts under 5 MiB (except the last) and over 5 GiB.
  if (!Number.isInteger(s3.partSizeMiB) || s3.partSizeMiB < 5 || s3.partSizeMiB > 5120) {
    problems.push('blob.s3.partSizeMiB must be an integer from 5 to 5120');
  }
  if (!Number.isInteger(s3.uploadConcurrency) || s3.uploadConcurrency < 1 || s3.uploadConcurrency > 16) {
    problems.push('blob.s3.uploadConcurrency must be an integer from 1 to 16');
  }
  if (Boolean(s3.accessKeyId) !== Boolean(s3.secretAccessKey)) {
    problems.push('blob.s3.accessKeyId and blob.s3.secretAccessKey must be set together');
  }
  return problems;
}

// --- behind a load balancer -------------------------------------------------------------------------------

/**
 * `server.trustProxy` in the form Fastify's `trustProxy` option takes: false (trust no proxy: X-Forwarded-For
 * is ignored, so a client cannot choose the address its failed logins count against), a hop count, or the
 * proxies' addresses/CIDRs. `true` (believe every hop) is refused on purpose: it would let any client pick its
 * address; list the balancers instead.
 */
export function trustProxySetting(
  config: Config,
): false | string[] | ((address: string, hop: number) => boolean) {
  const parsed = parseTrustProxy(config);
  // Fastify 5 takes a bare number as "trust nothing" (a hop count cannot tell the balancer from a client that
  // reached the node directly), so the hop count becomes proxy-addr's classic rule: believe the `hops` nearest
  // entries. Only safe when nothing but the balancers can reach the nodes; docs/deploy.md says so.
  if (typeof parsed === 'number') return (_address, hop) => hop < parsed;
  return parsed;
}

function parseTrustProxy(config: Config): false | number | string[] {
  const value = config.server.trustProxy as unknown;
  if (value === '' || value === false || value === 0 || value === null || value === undefined) return false;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value.trim()))) {
    const hops = Number(value);
    if (!Number.isInteger(hops) || hops < 0 || hops > 32) {
      throw new ConfigError('server.trustProxy as a hop count must be an integer from 0 to 32');
    }
    return hops === 0 ? false : hops;
  }
  const entries =
    typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value.map((v) => String(v)) : null;
  if (!entries) {
    throw new ConfigError('server.trustProxy must be a hop count or a list of proxy addresses/CIDRs');
  }
  const list = entries.map((e) => e.trim()).filter(Boolean);
  for (const entry of list) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 4 ? 32 : 128;
    const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (!family || !bitsOk || extra !== undefined) {
      throw new ConfigError(`server.trustProxy: "${entry}" is not an IP address or CIDR`);
    }
  }
  return list.length ? list : false;
}

export function defaultRegion(config: Config): string {
  return config.regions[0] as string;
}

/** The URL clients use to reach this server. */
export function publicBaseUrl(config: Config): string {
  if (config.server.publicUrl) return config.server.publicUrl.replace(/\/+$/, '');
  const host =
    config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  return `http://${host}:${config.server.port}`;
}
