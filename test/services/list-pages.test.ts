// A list page is one statement on PostgreSQL (ImageRepository.listImages: the listPlan branches, one per
// visibility and member status, merged in SQL with tags and properties aggregated; SQLite runs the same
// branches as separate statements), and a receiver's shares are read in order from its share rows
// (image_members.image_created_at, 0080). This walks every page of the lists a
// receiver and an owner see, in the default order and by name, shared in an order unrelated to the images'
// ages, and checks each page against the order computed here and each image against a plain read of it.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { Image, MemberStatus } from '../../src/domain/types.js';
import type { RequestContext } from '../../src/services/context.js';
import type { ImageListQuery } from '../../src/services/image.service.js';
import { forEachDatabase } from '../helpers/databases.js';
import { serviceHarness, type ServiceHarness } from '../helpers/services.js';

const bytewise = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
/** created_at descending, then id descending: the default list order. */
const newestFirst = (a: Image, b: Image) => bytewise(b.createdAt, a.createdAt) || bytewise(b.id, a.id);

forEachDatabase((target) => {
  describe(`list pages on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let h: ServiceHarness;
    let owners: RequestContext[];
    let receiver: RequestContext;
    const shared = new Map<string, { image: Image; status: MemberStatus }>();
    const own: Image[] = [];

    before(async () => {
      h = await serviceHarness(target);
      owners = [await h.account(), await h.account()];
      receiver = await h.account();
      const made: Image[] = [];
      for (let i = 0; i < 33; i++) {
        const owner = owners[i % 2] as RequestContext;
        const image = await h.services.images.create(owner, {
          // Names out of age order, some equal, for the by-name walk.
          name: `img ${String((i * 7) % 11).padStart(2, '0')}`,
          diskFormat: 'raw',
          containerFormat: 'bare',
          ...(i % 3 === 0 ? { properties: { os_distro: `d${i}`, architecture: 'x86_64' } } : {}),
        });
        if (i % 4 === 0) await h.services.images.addTag(owner, image.id, `t${i}`);
        if (i % 4 === 0) await h.services.images.addTag(owner, image.id, 'a-first');
        made.push(image);
      }
      // Shared with the receiver newest first and oldest first alternately: the share rows' order is not
      // the images' age order.
      const order = made.map((_, i) => (i % 2 ? i : made.length - 1 - i));
      for (const [n, i] of order.entries()) {
        const image = made[i] as Image;
        if (n % 11 === 10) continue; // not every image is shared
        const owner = owners[i % 2] as RequestContext;
        await h.services.shares.addMember(owner, image.id, receiver.caller.accountId);
        const status: MemberStatus = n % 3 === 0 ? 'accepted' : n % 3 === 1 ? 'pending' : 'rejected';
        if (status !== 'pending') {
          await h.services.shares.setMemberStatus(receiver, image.id, receiver.caller.accountId, status);
        }
        shared.set(image.id, { image: await h.services.images.get(receiver, image.id), status });
      }
      for (let i = 0; i < 5; i++) {
        own.push(await h.services.images.create(receiver, { name: `mine ${i}`, visibility: 'private' }));
      }
    });
    after(() => h.close());

    async function walk(ctx: RequestContext, query: Omit<ImageListQuery, 'marker'>): Promise<Image[][]> {
      const pages: Image[][] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await h.services.images.list(ctx, { ...query, ...(marker ? { marker } : {}) });
        if (page.images.length) pages.push(page.images);
        if (!page.full) return pages;
        marker = page.images[page.images.length - 1]?.id;
        assert.ok(pages.length < 50, 'the walk ends');
      }
    }

    it('the receiver walks all its shares, newest first, each image as a plain read shows it', async () => {
      const pages = await walk(receiver, {
        limit: 4,
        sort: [{ key: 'created_at', dir: 'desc' }],
        visibility: 'shared',
        memberStatus: 'all',
        filters: {},
      });
      const expected = [...shared.values()].map((s) => s.image).sort(newestFirst);
      assert.ok(expected.length > 20);
      assert.deepEqual(
        pages.flat().map((i) => i.id),
        expected.map((i) => i.id),
      );
      assert.ok(pages.slice(0, -1).every((p) => p.length === 4));
      for (const image of pages.flat()) {
        assert.deepEqual(image, await h.services.images.get(receiver, image.id), `image ${image.id}`);
      }
      assert.ok(
        pages.flat().some((i) => i.tags.length === 2 && Object.keys(i.properties).length === 2),
        'tags and properties come with the page',
      );
    });

    it('the default list: own images and accepted shares, merged in order across pages', async () => {
      const pages = await walk(receiver, {
        limit: 3,
        sort: [{ key: 'created_at', dir: 'desc' }],
        memberStatus: 'accepted',
        filters: {},
      });
      const accepted = [...shared.values()].filter((s) => s.status === 'accepted').map((s) => s.image);
      const expected = [...accepted, ...own].sort(newestFirst);
      assert.deepEqual(
        pages.flat().map((i) => i.id),
        expected.map((i) => i.id),
      );
    });

    it('sorted by name (the image columns, not the share rows), every page in order', async () => {
      const pages = await walk(receiver, {
        limit: 5,
        sort: [{ key: 'name', dir: 'asc' }],
        visibility: 'shared',
        memberStatus: 'all',
        filters: {},
      });
      const expected = [...shared.values()]
        .map((s) => s.image)
        .sort(
          (a, b) =>
            bytewise(a.name ?? '', b.name ?? '') ||
            bytewise(a.createdAt, b.createdAt) ||
            bytewise(a.id, b.id),
        );
      assert.deepEqual(
        pages.flat().map((i) => i.id),
        expected.map((i) => i.id),
      );
    });

    it("Tencent's DescribeImages pages by offset with the right total and kinds", async () => {
      const listed = [...shared.values()].filter((s) => s.status !== 'rejected').map((s) => s.image);
      const expected = [...listed, ...own].sort(newestFirst);
      const seen: string[] = [];
      for (let offset = 0; offset < expected.length + 5; offset += 6) {
        const page = await h.services.images.describe(receiver, {
          kinds: ['own', 'shared'],
          filters: {},
          offset,
          limit: 6,
        });
        assert.equal(page.total, expected.length, `total at offset ${offset}`);
        for (const image of page.images) {
          seen.push(image.id);
          assert.equal(page.kinds.get(image.id), own.some((o) => o.id === image.id) ? 'own' : 'shared');
        }
      }
      assert.deepEqual(
        seen,
        expected.map((i) => i.id),
      );
    });
  });
});
