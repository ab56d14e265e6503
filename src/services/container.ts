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

export interface Services {
  accounts: AccountService;
  auth: AuthService;
}

export interface ServiceDeps {
  config: Config;
  db: Db;
  blobs: BlobStore;
}

export function createServices(deps: ServiceDeps): Services {
  const accountRepository = new KyselyAccountRepository(deps.db);
  const tokenRepository = new KyselyTokenRepository(deps.db);
  const accounts = new AccountService(accountRepository, tokenRepository);
  const auth = new AuthService(
    accountRepository,
    tokenRepository,
    new KyselyLoginFailureRepository(deps.db),
    {
      tokenTtlSeconds: deps.config.tokens.ttlSeconds,
      maxFailuresPerAccount: deps.config.login.maxFailuresPerAccount,
      maxFailuresPerAddress: deps.config.login.maxFailuresPerAddress,
      windowSeconds: deps.config.login.windowSeconds,
    },
  );
  return {
    accounts,
    auth,
  };
}
