// An account as the API suites use it: signed in on every surface at once (a Keystone token, a Tencent key
// and its CVM client, a console session) and its service-level context, so one test can act through each API.
//
//   const owner = await newParty(t, 'ap-guangzhou');
//   await owner.cvm.DescribeImages({});   t.request('GET', '/v2/images', { token: owner.token });
import type { RequestContext } from '../../src/services/context.js';
import { consoleLogin, type ConsoleLogin } from './console.js';
import type { TestAccount, TestServer } from './server.js';
import { cvmClient, type CvmClientType, type Key } from './tencent.js';

export interface Party {
  account: TestAccount;
  key: Key;
  cvm: CvmClientType;
  token: string;
  console: ConsoleLogin;
  /** The account's context for calling the services directly (as through Tencent, in `region`). */
  ctx: RequestContext;
}

/** A new account (or `account`), signed in on every surface, its Tencent client and context in `region`. */
export async function newParty(t: TestServer, region: string, account?: TestAccount): Promise<Party> {
  const a = account ?? (await t.createAccount());
  const key = await t.server.services.apiKeys.create(a.id);
  return {
    account: a,
    key,
    cvm: cvmClient(t.url, key, { region }),
    token: await t.token(a),
    console: await consoleLogin(t, a),
    ctx: { caller: { accountId: a.id, isAdmin: a.isAdmin }, region, surface: 'tencent' },
  };
}
