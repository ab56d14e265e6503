// The Debian `openstack` client (python3-openstackclient) against a test server: token issue and catalog list
// with the admin's credentials. Skips when /usr/bin/openstack is missing, unless REQUIRE_ALL_SUITES=1.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forEachDatabase } from '../helpers/databases.js';
import { openstack, openstackSkipReason } from '../helpers/openstack.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const missing = openstackSkipReason();

forEachDatabase((target) => {
  describe(`openstack client on ${target.dialect}`, { skip: missing ?? target.skipReason ?? false }, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ target });
    });
    after(async () => t?.close());

    it('issues a token with the admin credentials (project by name)', async () => {
      const token = (await openstack(t, t.admin, ['token', 'issue'])) as Record<string, string>;
      assert.equal(token.project_id, t.admin.id);
      assert.equal(token.user_id, t.admin.id);
      assert.deepEqual(await t.server.services.auth.authenticate(token.id), {
        accountId: t.admin.id,
        isAdmin: true,
      });
    });

    it('issues a token with the project given by ID', async () => {
      const alice = await t.createAccount();
      const token = (await openstack(t, alice, ['token', 'issue'], {
        OS_PROJECT_ID: alice.id,
        OS_PROJECT_NAME: '',
      })) as Record<string, string>;
      assert.equal(token.project_id, alice.id);
    });

    it('lists the catalog: an image endpoint per region and the identity endpoint', async () => {
      const catalog = (await openstack(t, t.admin, ['catalog', 'list'])) as {
        Name: string;
        Type: string;
        Endpoints: { interface: string; region: string; url: string }[];
      }[];
      const image = catalog.find((s) => s.Type === 'image');
      assert.ok(image);
      const publicUrls = image.Endpoints.filter((e) => e.interface === 'public').map((e) => [
        e.region,
        e.url,
      ]);
      assert.deepEqual(publicUrls, [
        ['ap-guangzhou', t.url],
        ['ap-shanghai', `${t.url}/regions/ap-shanghai`],
      ]);
      const identity = catalog.find((s) => s.Type === 'identity');
      assert.equal(identity?.Endpoints[0]?.url, `${t.url}/identity/v3/`);
    });

    it('reports a wrong password as a 401', async () => {
      await assert.rejects(
        openstack(t, { ...t.admin, password: 'wrong-password' }, ['token', 'issue']),
        (err: Error & { stderr?: string }) => /requires authentication.*HTTP 401/.test(err.stderr ?? ''),
      );
    });
  });
});
