// The list statements are compiled once per shape and then only bound to each request's values
// (src/repositories/db/statement-shapes.ts). A shape keyed too coarsely would hand one request the statement
// of another: these lists alternate shapes (filters present or not, one value or two, booleans, tags,
// properties, markers, callers, Tencent's offset and total) and check every answer against what the rows say.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { Image } from '../../src/domain/types.js';
import type { ImageFilters } from '../../src/repositories/db/image.repository.js';
import { byIdShapes, listShapes } from '../../src/repositories/db/image.repository.js';
import type { RequestContext } from '../../src/services/context.js';
import { forEachDatabase } from '../helpers/databases.js';
import { serviceHarness, type ServiceHarness } from '../helpers/services.js';

forEachDatabase((target) => {
  describe(`compiled list shapes on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let h: ServiceHarness;
    let alice: RequestContext;
    let bob: RequestContext;
    const made = new Map<string, Image>();

    before(async () => {
      h = await serviceHarness(target);
      alice = await h.account();
      bob = await h.account();
      const specs: Array<[RequestContext, string, Partial<Parameters<typeof h.services.images.create>[1]>]> =
        [
          [alice, 'alpha', { tags: ['t1'], properties: { os_distro: 'ubuntu' } }],
          [alice, 'beta', { tags: ['t2'], protected: true }],
          [alice, 'gamma', { tags: ['t1', 't2'], properties: { os_distro: 'debian' } }],
          [alice, 'Alpha two', { minRam: 512 }],
          [bob, 'alpha', { properties: { os_distro: 'ubuntu' } }],
          [bob, 'delta', { protected: true }],
        ];
      for (const [ctx, name, extra] of specs) {
        const image = await h.services.images.create(ctx, {
          name,
          diskFormat: 'raw',
          containerFormat: 'bare',
          visibility: 'private',
          ...extra,
        });
        made.set(`${ctx.caller.accountId}/${name}`, image);
      }
    });
    after(() => h.close());

    async function names(ctx: RequestContext, filters: ImageFilters, limit = 20): Promise<string[]> {
      const page = await h.services.images.list(ctx, {
        limit,
        sort: [{ key: 'name', dir: 'asc' }],
        memberStatus: 'accepted',
        filters,
      });
      return page.images.map((i) => i.name ?? '');
    }

    it('alternating filter shapes and values each get their own rows', async () => {
      const hitsBefore = listShapes.stats.hits;
      // Each pair runs twice so that the second round is served from the learnt shapes.
      for (let round = 0; round < 2; round++) {
        assert.deepEqual(await names(alice, { names: ['alpha'] }), ['alpha']);
        assert.deepEqual(await names(alice, {}), ['Alpha two', 'alpha', 'beta', 'gamma']);
        assert.deepEqual(await names(alice, { names: ['beta'] }), ['beta']);
        assert.deepEqual(await names(alice, { names: ['alpha', 'gamma'] }), ['alpha', 'gamma']);
        assert.deepEqual(await names(alice, { tags: ['t1'] }), ['alpha', 'gamma']);
        assert.deepEqual(await names(alice, { tags: ['t1', 't2'] }), ['gamma']);
        assert.deepEqual(await names(alice, { tags: ['t2'] }), ['beta', 'gamma']);
        assert.deepEqual(await names(alice, { properties: { os_distro: 'debian' } }), ['gamma']);
        assert.deepEqual(await names(alice, { properties: { os_distro: 'ubuntu' } }), ['alpha']);
        assert.deepEqual(await names(alice, { protected: true }), ['beta']);
        assert.deepEqual(await names(alice, { protected: false }), ['Alpha two', 'alpha', 'gamma']);
        assert.deepEqual(await names(alice, { minRam: 512 }), ['Alpha two']);
        assert.deepEqual(await names(alice, { minRam: 0 }), ['alpha', 'beta', 'gamma']);
        // The same shape for another caller lists that caller's rows.
        assert.deepEqual(await names(bob, {}), ['alpha', 'delta']);
        assert.deepEqual(await names(bob, { names: ['alpha'] }), ['alpha']);
        assert.deepEqual(await names(bob, { protected: true }), ['delta']);
        assert.deepEqual(await names(alice, {}, 3), ['Alpha two', 'alpha', 'beta']);
      }
      assert.ok(listShapes.stats.hits > hitsBefore, 'the second round reused compiled shapes');
    });

    it('pages after a marker, in two sort orders, bind the marker of each request', async () => {
      const walk = async (dir: 'asc' | 'desc') => {
        const out: string[] = [];
        let marker: string | undefined;
        for (let i = 0; i < 10; i++) {
          const page = await h.services.images.list(alice, {
            limit: 1,
            sort: [{ key: 'name', dir }],
            memberStatus: 'accepted',
            filters: {},
            ...(marker ? { marker } : {}),
          });
          if (!page.images.length) break;
          out.push(page.images[0]?.name ?? '');
          marker = page.images[0]?.id;
        }
        return out;
      };
      assert.deepEqual(await walk('asc'), ['Alpha two', 'alpha', 'beta', 'gamma']);
      assert.deepEqual(await walk('desc'), ['gamma', 'beta', 'alpha', 'Alpha two']);
      assert.deepEqual(await walk('asc'), ['Alpha two', 'alpha', 'beta', 'gamma']);
    });

    it("Tencent's describe: offsets, totals and a name filter (not cacheable) alternate correctly", async () => {
      const describe = (ctx: RequestContext, filters: ImageFilters, offset: number, limit: number) =>
        h.services.images.describe(ctx, { kinds: ['own'], filters, offset, limit });
      for (let round = 0; round < 2; round++) {
        const all = await describe(alice, {}, 0, 2);
        assert.equal(all.total, 4);
        assert.equal(all.images.length, 2);
        const rest = await describe(alice, {}, 2, 2);
        assert.equal(rest.total, 4);
        assert.deepEqual([...all.images, ...rest.images].map((i) => i.name).sort(), [
          'Alpha two',
          'alpha',
          'beta',
          'gamma',
        ]);
        const fuzzy = await describe(alice, { nameContains: ['ALPHA'] }, 0, 20);
        assert.deepEqual(fuzzy.images.map((i) => i.name).sort(), ['Alpha two', 'alpha']);
        assert.equal(fuzzy.total, 2);
        const other = await describe(alice, { nameContains: ['amm'] }, 0, 20);
        assert.deepEqual(
          other.images.map((i) => i.name),
          ['gamma'],
        );
        const bobs = await describe(bob, { names: ['alpha'] }, 0, 20);
        assert.deepEqual(
          bobs.images.map((i) => i.id),
          [made.get(`${bob.caller.accountId}/alpha`)?.id],
        );
        assert.equal(bobs.total, 1);
      }
    });

    it('reads by ID (show) alternate images and get each its own row, tags and properties', async () => {
      const hitsBefore = byIdShapes.stats.hits;
      const expected = [...made.values()].filter((i) => i.ownerId === alice.caller.accountId);
      for (let round = 0; round < 2; round++) {
        for (const image of expected) {
          const shown = await h.services.images.get(alice, image.id);
          assert.equal(shown.id, image.id);
          assert.equal(shown.name, image.name);
          assert.deepEqual(shown.tags, image.tags);
          assert.deepEqual(shown.properties, image.properties);
        }
        // Another owner's private image stays hidden through the same compiled statements.
        await assert.rejects(
          h.services.images.get(alice, made.get(`${bob.caller.accountId}/delta`)!.id),
          /No image found/,
        );
      }
      assert.ok(byIdShapes.stats.hits > hitsBefore, 'the reads by ID were not served from their shapes');
    });
  });
});
