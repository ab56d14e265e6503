// Sessions and the rest of the quality bar in the browser: a wrong password, the lockout message, logout
// (the old cookie no longer works), a cross-site POST without the CSRF token refused, a password change ending
// the session, API keys enabled / disabled / deleted, the Chinese locale, and the phone layout (390x844).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Response } from 'playwright-core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createActiveImage } from '../helpers/tencent.js';
import {
  assertAccessible,
  assertFitsWidth,
  describeConsole,
  logIn,
  logInToImages,
  openConsole,
} from './harness.js';

describeConsole('sessions, locale and phone', (suite) => {
  it('a wrong password is said in words; after 5 failures the lockout says when to try again', async () => {
    const account = await suite.service.createAccount();
    const { page, context } = await openConsole(suite.browser, suite.service);
    await logIn(page, account.id, 'not-the-password');
    await page.getByRole('alert').getByText('The account or the password is wrong.').waitFor();
    await assertAccessible(page, 'login with an error');
    for (let i = 0; i < 5; i++) {
      const answered = page.waitForResponse((res) => res.url().endsWith('/console/api/v1/session'));
      await logIn(page, account.name, `wrong-${i}`);
      await answered;
    }
    // Even the right password is refused now, and the message says for how long.
    await logIn(page, account.id, account.password);
    await page
      .getByRole('alert')
      .getByText(/logging in is locked for this account\. Try again in \d+ minute/)
      .waitFor();
    await suite.shot(page, 'login-locked');
    await context.close();
  });

  it('logout ends the session on the server: the old cookie no longer works', async () => {
    const account = await suite.service.createAccount();
    const { page, context } = await openConsole(suite.browser, suite.service);
    await logInToImages(page, account.id, account.password);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'imageshare_session');
    assert.ok(session, 'a session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    const cookieHeader = `imageshare_session=${session.value}`;
    const before = await fetch(`${suite.service.url}/console/api/v1/session`, {
      headers: { cookie: cookieHeader },
    });
    assert.equal(before.status, 200);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in to the console' }).waitFor();
    const afterLogout = await fetch(`${suite.service.url}/console/api/v1/session`, {
      headers: { cookie: cookieHeader },
    });
    assert.equal(afterLogout.status, 401);
    await context.close();
  });

  // The budget: at most 300 KB of gzipped JavaScript for the first page. Measured on what Chromium really
  // loads (entry, preloaded and lazily imported chunks), for the login page and for a logged-in first page.
  it('the first page ships at most 300 KB of gzipped JavaScript', async () => {
    const account = await suite.service.createAccount();
    const ui = await openConsole(suite.browser, suite.service);
    const scripts = new Map<string, Buffer>();
    const collect = async (response: Response) => {
      if (response.request().resourceType() === 'script' && response.ok())
        scripts.set(response.url(), await response.body());
    };
    const budget = 300 * 1024;
    const gzipped = () => [...scripts.values()].reduce((sum, body) => sum + gzipSync(body).length, 0);
    ui.page.on('response', (response) => void collect(response));
    await ui.page.reload();
    await ui.page.getByRole('heading', { name: 'Log in to the console' }).waitFor();
    await ui.page.waitForLoadState('networkidle');
    const login = gzipped();
    assert.ok(scripts.size > 0, 'scripts were seen');
    assert.ok(login <= budget, `login page: ${login} bytes of gzipped JavaScript`);
    await logInToImages(ui.page, account.id, account.password);
    scripts.clear();
    await ui.page.reload();
    await ui.page.getByRole('heading', { name: 'Images', level: 1 }).waitFor();
    await ui.page.waitForLoadState('networkidle');
    const images = gzipped();
    assert.ok(images <= budget, `Images after a reload: ${images} bytes of gzipped JavaScript`);
    console.log(`first-page JavaScript, gzipped: login ${login} B, images ${images} B (budget ${budget} B)`);
    await ui.context.close();
  });

  it('a session left idle ends on the server; the console says it expired and logs in again', async () => {
    const account = await suite.service.createAccount();
    const { page, context } = await suite.openAs(account);
    // Idle means nothing in flight: the Images page's own calls (regions, then the list) must be answered before
    // the session is aged, or one of them meets the expiry first and the login replaces the page under the click.
    await page.getByText('You have no custom images in this region yet.').waitFor();
    const session = (await context.cookies()).find((c) => c.name === 'imageshare_session');
    assert.ok(session);
    // Instead of waiting 30 minutes: the session's stored last use is moved back past the idle timeout.
    await suite.service.db.kysely
      .updateTable('console_sessions')
      .set({ last_seen_at: new Date(Date.now() - 31 * 60 * 1000).toISOString() })
      .where('token_hash', '=', createHash('sha256').update(session.value).digest('hex'))
      .execute();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('heading', { name: 'Log in to the console' }).waitFor();
    await page.getByText('Your session expired. Log in again.').waitFor();
    await assertAccessible(page, 'login after the session expired');
    // A reload of the page says the same (the session answer itself says why).
    await page.reload();
    await page.getByText('Your session expired. Log in again.').waitFor();
    await suite.shot(page, 'login-session-expired');
    await logIn(page, account.id, account.password);
    // Back where the user was.
    await page.getByRole('heading', { name: 'Instances', level: 1 }).waitFor();
    await context.close();
  });

  it('a cross-site POST without the CSRF token is refused and changes nothing', async () => {
    const account = await suite.service.createAccount();
    const { page, context } = await openConsole(suite.browser, suite.service);
    await logInToImages(page, account.id, account.password);
    const cookie = (await context.cookies()).find((c) => c.name === 'imageshare_session');
    assert.ok(cookie);
    // A forged request carrying the victim's cookie (as a browser with lax cookies would) but no token.
    const forged = await fetch(`${suite.service.url}/console/api/v1/account/api-keys`, {
      method: 'POST',
      headers: {
        cookie: `imageshare_session=${cookie.value}`,
        origin: 'http://attacker.example',
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/json',
      },
      body: '{}',
    });
    assert.equal(forged.status, 403);
    assert.equal(((await forged.json()) as { error: { code: string } }).error.code, 'CsrfRejected');
    // And a real cross-site page posting a form to the console: the browser's SameSite=Strict cookie stays home.
    const attacker = await attackerSite(`${suite.service.url}/console/api/v1/account/api-keys`);
    try {
      await context.unroute('**/*');
      const answer = page.waitForResponse((res) => res.url().endsWith('/console/api/v1/account/api-keys'));
      await page.goto(attacker.url);
      const res = await answer;
      assert.ok([401, 403].includes(res.status()), `cross-site form answered ${res.status()}`);
    } finally {
      attacker.server.close();
    }
    assert.deepEqual(await suite.service.services.apiKeys.list(account.id), []);
    await context.close();
  });

  it('API keys: create (SecretKey once), disable, enable, delete', async () => {
    const account = await suite.service.createAccount();
    const { page, context } = await openConsole(suite.browser, suite.service);
    await logIn(page, account.id, account.password);
    await page.getByRole('link', { name: 'Account information' }).click();
    await page.getByText('You have no API keys.').waitFor();
    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'API key created' });
    await dialog.locator('code').nth(1).waitFor();
    const [secretId] = (await dialog.locator('code').allInnerTexts()) as [string];
    await dialog.getByRole('button', { name: 'I have saved it' }).click();
    const keyRow = page.getByRole('row').filter({ hasText: secretId });
    await keyRow.getByText('Enabled').waitFor();
    assert.equal((await page.getByText(/SecretKey/).count()) <= 1, true, 'the SecretKey is not shown again');
    await keyRow.getByRole('button', { name: `Disable: ${secretId}` }).click();
    await keyRow.getByText('Disabled').waitFor();
    await keyRow.getByRole('button', { name: `Enable: ${secretId}` }).click();
    await keyRow.getByText('Enabled').waitFor();
    await keyRow.getByRole('button', { name: `Delete: ${secretId}` }).click();
    await page
      .getByRole('dialog', { name: 'Delete API key' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await page.getByText('You have no API keys.').waitFor();
    await context.close();
  });

  it('changing the password ends the session; the new password logs in', async () => {
    const account = await suite.service.createAccount();
    const { page, context } = await openConsole(suite.browser, suite.service);
    await logIn(page, account.id, account.password);
    await page.getByRole('link', { name: 'Account information' }).click();
    await page.getByLabel('Current password').fill('wrong-current');
    await page.getByLabel('New password', { exact: true }).fill('brand-new-pw');
    await page.getByLabel('New password again').fill('brand-new-pw');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').getByText('The current password is wrong.').waitFor();
    await page.getByLabel('Current password').fill(account.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password was changed and every session was ended.').waitFor();
    await logIn(page, account.id, account.password);
    await page.getByRole('alert').getByText('The account or the password is wrong.').waitFor();
    await logIn(page, account.id, 'brand-new-pw');
    // Back where the user was.
    await page.getByRole('heading', { name: 'Account information', level: 1 }).waitFor();
    await context.close();
  });

  it('Simplified Chinese: chosen by the browser language or switched at any time', async () => {
    const account = await suite.service.createAccount();
    await createActiveImage(
      suite.service.services,
      { caller: { accountId: account.id, isAdmin: false }, region: 'ap-guangzhou', surface: 'openstack' },
      '中文镜像',
    );
    const zh = await openConsole(suite.browser, suite.service, { locale: 'zh-CN' });
    await zh.page.getByRole('heading', { name: '登录控制台' }).waitFor();
    await zh.page.getByLabel('账号 ID 或账号名').fill(account.id);
    await zh.page.getByLabel('密码', { exact: true }).fill(account.password);
    await zh.page.getByRole('button', { name: '登录' }).click();
    await zh.page.getByRole('tab', { name: '自定义镜像', selected: true }).waitFor();
    await zh.page.getByRole('row').filter({ hasText: '中文镜像' }).getByText('可用').waitFor();
    assert.equal(await zh.page.evaluate(() => document.documentElement.lang), 'zh-CN');
    await assertAccessible(zh.page, 'images in Chinese');
    await suite.shot(zh.page, 'images-zh-CN');
    await zh.page.getByRole('link', { name: '账号信息' }).first().click();
    await zh.page.getByText('将此 ID 发送给想要向您共享镜像的人。').waitFor();
    // Switch back to English and forth again, without reloading.
    await zh.page.getByRole('button', { name: 'English' }).click();
    await zh.page.getByText('Send this ID to whoever wants to share an image with you.').waitFor();
    await zh.page.getByRole('button', { name: '简体中文' }).click();
    await zh.page.getByRole('heading', { name: '账号信息', level: 1 }).waitFor();
    await zh.context.close();
  });

  // Every page with data on it (an image shared both ways, an instance, history), in both languages, on a phone
  // and in Chinese at 1280x800: axe finds nothing serious and nothing needs sideways scrolling.
  const PAGES = {
    'en-US': { main: 'Main', links: ['Images', 'Instances', 'History', 'Account information'] },
    'zh-CN': { main: '主导航', links: ['镜像', '实例', '操作记录', '账号信息'] },
  } as const;
  for (const [width, height, locale] of [
    [390, 844, 'en-US'],
    [390, 844, 'zh-CN'],
    [1280, 800, 'zh-CN'],
  ] as const) {
    it(`every page at ${width}x${height} in ${locale}: accessible, nothing scrolls sideways`, async () => {
      const account = await suite.service.createAccount();
      const other = await suite.service.createAccount();
      const ctx = (id: string) => ({
        caller: { accountId: id, isAdmin: false },
        region: 'ap-guangzhou',
        surface: 'openstack' as const,
      });
      const mine = await createActiveImage(suite.service.services, ctx(account.id), 'phone-image');
      await suite.service.services.shares.shareWith(ctx(account.id), mine, [other.id]);
      const theirs = await createActiveImage(suite.service.services, ctx(other.id), 'shared-to-phone');
      await suite.service.services.shares.shareWith(ctx(other.id), theirs, [account.id]);
      await suite.service.services.shares.setMemberStatus(ctx(account.id), theirs, account.id, 'accepted');
      await suite.service.services.instances.launch(ctx(account.id), theirs, { name: 'phone-vm' });

      const ui = await openConsole(suite.browser, suite.service, { viewport: { width, height }, locale });
      const { page } = ui;
      const what = (name: string) => `${name} (${width}x${height}, ${locale})`;
      await assertAccessible(page, what('login'));
      await assertFitsWidth(page, what('login'), { tables: width >= 1280 });
      await logIn(page, account.id, account.password, locale);
      await page.getByRole('row').filter({ hasText: 'phone-image' }).waitFor();
      const { main, links } = PAGES[locale];
      for (const link of links) {
        await page.getByRole('navigation', { name: main }).getByRole('link', { name: link }).click();
        await page.getByRole('heading', { name: link, level: 1 }).waitFor();
        await page.waitForLoadState('networkidle');
        // Judged once the page shows its data, not a loading skeleton.
        await page.locator('.t-skeleton, .t-loading').first().waitFor({ state: 'detached' });
        if (width < 1280 && locale === 'en-US')
          await suite.shot(page, `phone-${link.toLowerCase().replace(/ /g, '-')}`);
        await assertFitsWidth(page, what(link), { tables: width >= 1280 });
        await assertAccessible(page, what(link));
      }
      assert.deepEqual(ui.outsideRequests, []);
      await ui.context.close();
    });
  }
});

/** A page on another site (localhost vs 127.0.0.1) that posts a form to the console as soon as it loads. */
async function attackerSite(targetUrl: string): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(
      `<form id="f" method="POST" action="${targetUrl}" enctype="text/plain"><input name="{}" value=""></form>` +
        `<script>document.getElementById('f').submit()</script>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://localhost:${port}/` };
}
