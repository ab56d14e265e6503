// Builds every service once, over one database and one blob store. The HTTP surfaces and the CLI
// receive this container; nothing else constructs services.
import type { Config } from '../config.js';
import type { Db } from '../repositories/db/database.js';
import type { BlobStore } from '../repositories/blob/blob-store.js';
import { KyselyAccountRepository } from '../repositories/db/account.repository.js';
import { KyselyTokenRepository } from '../repositories/db/token.repository.js';
import { KyselyLoginFailureRepository } from '../repositories/db/login-failure.repository.js';
import { AccountService } from './account.service.js';
import { AuthService } from './auth.service.js';
import { TokenCache } from './token-cache.js';
import { KyselyApiKeyRepository } from '../repositories/db/api-key.repository.js';
import { KyselyNonceRepository } from '../repositories/db/nonce.repository.js';
import { ApiKeyCache, ApiKeyService } from './api-key.service.js';
import { SecretBox, loadMasterKey } from './secret-box.js';
import { ImageService } from './image.service.js';
import { ShareService } from './share.service.js';
import { groupPolicy, sharingPolicy } from './sharing-policy.js';
import { GroupService } from './group.service.js';
import { KyselyImageUnitOfWork } from '../repositories/db/transaction.js';
import { InstanceService } from './instance.service.js';
import { BlobSweepService } from './blob-sweep.service.js';
import { KyselyBlobReferenceRepository } from '../repositories/db/blob-reference.repository.js';
import { KyselySessionRepository } from '../repositories/db/session.repository.js';
import { SessionService } from './session.service.js';
import { ImageCatalogService } from './image-catalog.service.js';
import { HistoryService } from './history.service.js';
import { systemClock, type Clock } from './clock.js';
import { IntegrityService } from './integrity.service.js';
import { KyselyIntegrityRepository } from '../repositories/db/integrity.repository.js';
import { WriteRateLimiter } from './write-rate-limit.service.js';
import { LaunchPolicyService } from './launch-policy.service.js';
import { NotificationService } from './notification.service.js';
import { postWebhook, type WebhookTransport } from './webhook-transport.js';

export interface Services {
  accounts: AccountService;
  auth: AuthService;
  apiKeys: ApiKeyService;
  images: ImageService;
  shares: ShareService;
  /** Account groups (issue 12). */
  groups: GroupService;
  instances: InstanceService;
  blobSweep: BlobSweepService;
  sessions: SessionService;
  catalog: ImageCatalogService;
  history: HistoryService;
  /** What the sharing rules take as "now" (shares' end times). */
  clock: Clock;
  integrity: IntegrityService;
  /** Per-account limit on writes, taken by every surface once it knows the caller (one per process). */
  writeLimits: WriteRateLimiter;
  /** Receivers' launch policies (issue 12 guardrails). */
  launchPolicies: LaunchPolicyService;
  /** Inboxes, webhooks, their dispatcher and the "expiring soon" scan (issue 12). */
  notifications: NotificationService;
}

export interface ServiceDeps {
  config: Config;
  db: Db;
  blobs: BlobStore;
  /** Default: the system clock. */
  clock?: Clock;
  /** How webhook deliveries are sent (default: HTTP POST, webhook-transport.ts). */
  webhookTransport?: WebhookTransport;
}

export function createServices(deps: ServiceDeps): Services {
  const accountRepository = new KyselyAccountRepository(deps.db);
  const tokenRepository = new KyselyTokenRepository(deps.db);
  const sessionRepository = new KyselySessionRepository(deps.db);
  // Per process: a revocation elsewhere reaches it within tokens.cacheSeconds (see TokenCache).
  const tokenCache = new TokenCache(deps.config.tokens.cacheSeconds * 1000);
  // The same bound for Tencent API keys: tencent.keyCacheSeconds (see ApiKeyCache).
  const apiKeyCache = new ApiKeyCache(deps.config.tencent.keyCacheSeconds * 1000);
  const accounts = new AccountService(accountRepository, tokenRepository, sessionRepository, {
    // An account disabled (or its password changed) through this process: its cached credentials go at once.
    forgetAccount: (id) => {
      tokenCache.forgetAccount(id);
      apiKeyCache.forgetAccount(id);
    },
  });
  const writeLimits = new WriteRateLimiter(deps.config.rateLimits.writes);
  const auth = new AuthService(
    accountRepository,
    tokenRepository,
    new KyselyLoginFailureRepository(deps.db),
    {
      tokenTtlSeconds: deps.config.tokens.ttlSeconds,
      maxFailuresPerAccountAddress: deps.config.login.maxFailuresPerAccountAddress,
      maxFailuresPerAccount: deps.config.login.maxFailuresPerAccount,
      maxFailuresPerAddress: deps.config.login.maxFailuresPerAddress,
      windowSeconds: deps.config.login.windowSeconds,
    },
    writeLimits,
    Date.now,
    tokenCache,
  );
  // Tencent API keys: SecretKeys are sealed with the master key (config.masterKey or <dataDir>/master.key).
  const apiKeys = new ApiKeyService({
    config: deps.config,
    keys: new KyselyApiKeyRepository(deps.db),
    nonces: new KyselyNonceRepository(deps.db),
    box: () => new SecretBox(loadMasterKey(deps.config.masterKey, deps.config.dataDir)),
    cache: apiKeyCache,
  });
  const imageStore = new KyselyImageUnitOfWork(deps.db);
  const clock = deps.clock ?? systemClock;
  return {
    accounts,
    auth,
    apiKeys,
    images: new ImageService(imageStore, deps.blobs, deps.config, clock),
    shares: new ShareService(imageStore, accounts, sharingPolicy(deps.config), clock),
    groups: new GroupService(imageStore, accounts, groupPolicy(deps.config), clock),
    instances: new InstanceService(imageStore, deps.config, clock),
    blobSweep: new BlobSweepService(
      deps.blobs,
      new KyselyBlobReferenceRepository(deps.db),
      {
        graceSeconds: deps.config.blob.sweepGraceSeconds,
        uploadStaleSeconds: deps.config.images.uploadStaleSeconds,
      },
      clock,
    ),
    sessions: new SessionService(auth, accounts, accountRepository, sessionRepository, {
      ttlSeconds: deps.config.console.sessionTtlSeconds,
      idleSeconds: deps.config.console.sessionIdleSeconds,
    }),
    catalog: new ImageCatalogService(imageStore, clock),
    history: new HistoryService(imageStore, clock),
    clock,
    integrity: new IntegrityService(deps.blobs, new KyselyIntegrityRepository(deps.db), imageStore, clock),
    writeLimits,
    launchPolicies: new LaunchPolicyService(imageStore, deps.config, clock),
    notifications: new NotificationService(
      imageStore,
      () => new SecretBox(loadMasterKey(deps.config.masterKey, deps.config.dataDir)),
      {
        expiringSoonSeconds: deps.config.notifications.expiringSoonSeconds,
        retentionDays: deps.config.notifications.retentionDays,
        webhooks: deps.config.notifications.webhooks,
      },
      clock,
      deps.webhookTransport ?? postWebhook,
    ),
  };
}
