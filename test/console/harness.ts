// End-to-end harness for the browser console: the real service started as the README starts it
// (`node bin/imageshare.js serve`, a temporary data folder or PostgreSQL schema, a free port), Debian's Chromium
// driven by playwright-core, accounts created in the service's own database, and helpers to log in, check
// accessibility with axe and take screenshots.
//
// A browser suite is written as `describeConsole(title, (suite) => { it(...) })`: once per database, skipped
// with the reason when Chromium (or the database) is missing, with one service and one browser started before
// its tests and stopped after them.
//
// Screenshots go to $CONSOLE_SCREENSHOT_DIR (default: <tmp>/imageshare-console-screenshots).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { openServices } from '../../src/main.js';
import type { BlobStore } from '../../src/repositories/blob/blob-store.js';
import type { Db } from '../../src/repositories/db/database.js';
import type { Services } from '../../src/services/container.js';
import { forEachDatabase, freshSchemaName, type DatabaseTarget } from '../helpers/databases.js';
import { spawnServer, uniqueName, type ServerProcess, type TestAccount } from '../helpers/server.js';

export const CHROMIUM = '/usr/bin/chromium';
const repoRoot = resolve(import.meta.dirname, '..', '..');
const postgresUrl = process.env.TEST_DATABASE_URL ?? '';
export const screenshotDir =
  process.env.CONSOLE_SCREENSHOT_DIR ?? join(tmpdir(), 'imageshare-console-screenshots');

/** Null when Chromium is installed; else why the browser suites skip. Throws under REQUIRE_ALL_SUITES=1. */
export function chromiumSkipReason(): string | null {
  const missing = existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install chromium)`;
  if (missing && process.env.REQUIRE_ALL_SUITES === '1')
    throw new Error(`REQUIRE_ALL_SUITES=1 but ${missing}`);
  return missing;
}

/** The console must be built (npm ci does it through `prepare`); a fresh checkout gets it built here once. */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(repoRoot, 'web', 'dist', 'index.html'))) return;
  execFileSync('npm', ['run', 'build:web'], { cwd: repoRoot, stdio: 'inherit' });
}

export interface ConsoleService {
  url: string;
  process: ServerProcess;
  services: Services;
  /** The service's own database (for what a test must arrange there, such as a session's last use). */
  db: Db;
  /** The service's blob store (its data folder), to look for data left behind. */
  blobs: BlobStore;
  createAccount(options?: { name?: string; password?: string }): Promise<TestAccount>;
  close(): Promise<void>;
}

export async function startConsoleService(
  target: DatabaseTarget,
  env: Record<string, string> = {},
): Promise<ConsoleService> {
  ensureConsoleBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'imageshare-console-'));
  const schema = target.dialect === 'postgres' ? freshSchemaName() : undefined;
  const args = ['--data-dir', dataDir];
  if (schema) args.push('--database-url', postgresUrl, '--database-schema', schema);
  const child = await spawnServer(
    args,
    {
      // Every test request comes from 127.0.0.1: only the per-account limit should lock anyone out.
      IMAGESHARE_LOGIN__MAX_FAILURES_PER_ADDRESS: '100000',
      IMAGESHARE_LOG_LEVEL: 'warn',
      ...env,
    },
    // Generous: on a busy two-core machine several suites start servers and browsers at once.
    120000,
  );
  // Accounts are made as the administrative CLI makes them: its own services over the service's database.
  const config = loadConfig({
    env: {},
    file: '',
    overrides: { dataDir, ...(schema ? { 'database.url': postgresUrl, 'database.schema': schema } : {}) },
  });
  const { db, services, blobs } = await openServices(config);
  return {
    url: child.url,
    process: child,
    services,
    db,
    blobs,
    async createAccount(options = {}) {
      const password = options.password ?? `pw-${randomBytes(9).toString('base64url')}`;
      const created = await services.accounts.create({ name: options.name ?? uniqueName('user'), password });
      return { id: created.account.id, name: created.account.name, password, isAdmin: false };
    },
    async close() {
      await child.stop();
      await blobs.close();
      if (schema) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.kysely);
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface ConsoleBrowser {
  context: BrowserContext;
  page: Page;
  /** Every request the page made to anywhere but the service: must stay empty (no CDN, nothing leaves). */
  outsideRequests: string[];
}

export async function openConsole(
  browser: Browser,
  service: ConsoleService,
  options: { viewport?: { width: number; height: number }; locale?: string } = {},
): Promise<ConsoleBrowser> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    locale: options.locale ?? 'en-US',
    baseURL: service.url,
  });
  const origin = new URL(service.url).origin;
  const outsideRequests: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    outsideRequests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.goto('/console/');
  return { context, page, outsideRequests };
}

const LOGIN_FORM = {
  'en-US': { login: 'Account ID or account name', password: 'Password', submit: 'Log in' },
  'zh-CN': { login: '账号 ID 或账号名', password: '密码', submit: '登录' },
} as const;

export async function logIn(
  page: Page,
  login: string,
  password: string,
  locale: keyof typeof LOGIN_FORM = 'en-US',
): Promise<void> {
  const form = LOGIN_FORM[locale];
  await page.getByLabel(form.login).fill(login);
  await page.getByLabel(form.password, { exact: true }).fill(password);
  await page.getByRole('button', { name: form.submit, exact: true }).click();
}

/**
 * Waits (up to 5 s) until the page shows a finished state: no loading indicator or skeleton, and no finite
 * transition or animation running (a dialog or message fading in or out is drawn at part opacity, which axe
 * measures as low contrast). A fixed pause was not enough on a loaded machine. Progress bars that keep moving
 * never settle: after 5 s the page is judged as it is.
 */
async function settled(page: Page): Promise<void> {
  await page
    .waitForFunction(
      () =>
        !document.querySelector('.t-loading, .t-skeleton, [aria-busy="true"]') &&
        !document
          .getAnimations()
          .some((a) => a.playState === 'running' && a.effect?.getTiming().iterations !== Infinity),
      undefined,
      { timeout: 5000, polling: 100 },
    )
    .catch(() => undefined);
}

/** Runs axe on what the page shows now; fails on any serious or critical violation, naming them. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  await settled(page);
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `accessibility violations on ${what}`,
  );
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  // Let transitions (dialogs fading in, messages) settle before the picture.
  await page.waitForTimeout(400);
  await page.screenshot({ path });
  return path;
}

/** Logs in and waits for the first page after it (Images). */
export async function logInToImages(page: Page, login: string, password: string): Promise<void> {
  await logIn(page, login, password);
  await page.getByRole('heading', { name: 'Images', level: 1 }).waitFor();
}

export interface ConsoleSuite {
  readonly target: DatabaseTarget;
  /** The service (started before the suite's first test). */
  readonly service: ConsoleService;
  readonly browser: Browser;
  /** Screenshots are taken on SQLite only: the pictures would be the same on PostgreSQL. */
  readonly takesScreenshots: boolean;
  shot(page: Page, name: string): Promise<void>;
  /** A new browser context with the console open and the account logged in (by ID unless told), on Images. */
  openAs(
    account: TestAccount,
    options?: Parameters<typeof openConsole>[2] & { loginWith?: 'id' | 'name' },
  ): Promise<ConsoleBrowser>;
}

export interface DescribeConsoleOptions {
  /** Why the suite cannot run besides a missing Chromium or database (for example no openstack client). */
  skip?: string | null;
  /** Environment of the service (IMAGESHARE_...). */
  env?: Record<string, string>;
}

/** One browser suite per database: service and Chromium started before the tests and stopped after. */
export function describeConsole(
  title: string,
  body: (suite: ConsoleSuite) => void,
  options: DescribeConsoleOptions = {},
): void {
  const skipBrowser = chromiumSkipReason();
  forEachDatabase((target) => {
    describe(
      `console: ${title} on ${target.dialect}`,
      { skip: skipBrowser ?? options.skip ?? target.skipReason ?? false },
      () => body(consoleSuite(target, options.env)),
    );
  });
}

/** Registers the suite's before / after hooks; call it inside a describe. */
function consoleSuite(target: DatabaseTarget, env: Record<string, string> = {}): ConsoleSuite {
  let service: ConsoleService | undefined;
  let browser: Browser | undefined;
  before(async () => {
    service = await startConsoleService(target, env);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await service?.close();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the console suite's ${what} is not started yet`);
    return value;
  };
  const takesScreenshots = target.dialect === 'sqlite';
  return {
    target,
    get service() {
      return started(service, 'service');
    },
    get browser() {
      return started(browser, 'browser');
    },
    takesScreenshots,
    async shot(page, name) {
      if (takesScreenshots) await screenshot(page, name);
    },
    async openAs(account, options = {}) {
      const ui = await openConsole(started(browser, 'browser'), started(service, 'service'), options);
      await logInToImages(
        ui.page,
        options.loginWith === 'name' ? account.name : account.id,
        account.password,
      );
      return ui;
    },
  };
}

/**
 * Fails when a table or a dialog needs sideways scrolling, when a row action or dialog button lies outside the
 * viewport, or when the page itself scrolls sideways. `tables: false` on a phone, where wide tables scroll
 * inside their own container by design and only the page must not.
 */
export async function assertFitsWidth(page: Page, what: string, options: { tables?: boolean } = {}) {
  const tables = options.tables ?? true;
  const problems = await page.evaluate((checkTables) => {
    const found: string[] = [];
    const viewport = document.documentElement.clientWidth;
    // (No named functions in here: tsx would wrap them in a helper the page does not have.)
    const scrolling = checkTables
      ? '.t-table__content, .t-dialog, .t-dialog__body, .t-dialog__footer'
      : '.t-dialog, .t-dialog__body, .t-dialog__footer';
    for (const el of document.querySelectorAll<HTMLElement>(scrolling))
      if (el.scrollWidth > el.clientWidth + 1)
        found.push(`${el.className.split(' ')[0]} scrolls sideways by ${el.scrollWidth - el.clientWidth}px`);
    const buttons = checkTables ? '.row-actions button, .t-dialog button' : '.t-dialog button';
    for (const el of document.querySelectorAll<HTMLElement>(buttons)) {
      const box = el.getBoundingClientRect();
      if (box.width > 0 && (box.left < -1 || box.right > viewport + 1))
        found.push(
          `"${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 60)}" lies outside the viewport (${Math.round(box.left)}..${Math.round(box.right)} of ${viewport})`,
        );
    }
    // An account or image ID broken over two lines cannot be read back or copied by eye. Checksums
    // (code.hash: a SHA-512 is 128 hex digits) are compared by copying and must break to fit a dialog.
    for (const el of document.querySelectorAll<HTMLElement>(
      '.t-dialog code:not(.hash), .t-table code:not(.hash)',
    ))
      if (el.getClientRects().length > 1) found.push(`the ID ${el.textContent ?? ''} wraps over two lines`);
    const page = document.documentElement.scrollWidth - window.innerWidth;
    if (page > 1) found.push(`the page scrolls sideways by ${page}px`);
    return found;
  }, tables);
  assert.deepEqual(problems, [], `${what} does not fit the width`);
}

/** The table row (of a page or a dialog) that shows `text`: an image's name or ID, an account ID. */
export function rowWith(scope: Page | Locator, text: string): Locator {
  return scope.getByRole('row').filter({ hasText: text });
}

/** Opens the Share dialog of the owner's image named `name` from a fresh Custom images list. */
export async function openShareDialog(page: Page, name: string): Promise<Locator> {
  await page.reload();
  await rowWith(page, name)
    .getByRole('button', { name: `Share: ${name}` })
    .click();
  return page.getByRole('dialog', { name: `Share image “${name}”` });
}
