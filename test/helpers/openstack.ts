// Runs the Debian `openstack` client (python3-openstackclient) against a test server, with only the OS_*
// settings for that server: Debian's python first on PATH, no proxies, OS_CLOUD and other OS_* unset.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { TestAccount, TestServer } from './server.js';

const run = promisify(execFile);
export const OPENSTACK = '/usr/bin/openstack';

/** Null when the client is installed; else why its suites skip. Throws under REQUIRE_ALL_SUITES=1. */
export function openstackSkipReason(): string | null {
  const missing = existsSync(OPENSTACK)
    ? null
    : `${OPENSTACK} is missing (apt-get install python3-openstackclient)`;
  if (missing && process.env.REQUIRE_ALL_SUITES === '1')
    throw new Error(`REQUIRE_ALL_SUITES=1 but ${missing}`);
  return missing;
}

export function openstackEnv(
  t: Pick<TestServer, 'url'>,
  account: TestAccount,
  extraEnv: Record<string, string> = {},
) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('OS_') || /^(https?|all|no)_proxy$/i.test(k)) continue;
    env[k] = v;
  }
  return Object.assign(env, {
    PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}`,
    no_proxy: '127.0.0.1,localhost',
    OS_AUTH_URL: `${t.url}/identity/v3`,
    OS_USERNAME: account.name,
    OS_PASSWORD: account.password,
    OS_PROJECT_NAME: account.name,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_IDENTITY_API_VERSION: '3',
    OS_IMAGE_API_VERSION: '2',
    OS_INTERFACE: 'public',
    ...extraEnv,
  });
}

/** `openstack <args> -f json`, parsed. Rejects with the process error (its `stderr` says why) on failure. */
export async function openstack(
  t: Pick<TestServer, 'url'>,
  account: TestAccount,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<unknown> {
  const { stdout } = await run(OPENSTACK, [...args, '-f', 'json'], {
    env: openstackEnv(t, account, extraEnv),
    timeout: 60000,
  });
  return JSON.parse(stdout) as unknown;
}
