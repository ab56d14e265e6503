// Seeds a migrated database for the listing benchmark, straight through Kysely in one transaction with
// multi-row inserts: `images` owners (accounts), images spread over time, owners, visibilities and statuses
// with a few properties and tags each, and image_members rows, of which `shared` belong to one receiver
// account (mixed accepted / pending / rejected). Deterministic for a given seed.
import type { Kysely, Transaction } from 'kysely';
import type { Db } from '../../src/repositories/db/database.js';
import type { Database, NewImageRow } from '../../src/repositories/db/schema.js';
import { hashPassword } from '../../src/services/passwords.js';

export interface SeedOptions {
  images: number;
  /** Images shared with the receiver (all visibility `shared`, in the default region, active). */
  shared: number;
  /** Images per owner account. */
  imagesPerOwner: number;
  regions: string[];
  seed?: number;
}

export interface SeedResult {
  receiver: { id: string; name: string; password: string };
  owners: number;
  images: number;
  imageProperties: number;
  imageTags: number;
  members: number;
  receiverMembers: { accepted: number; pending: number; rejected: number };
  /** Live images the receiver's default list (own + public + shared accepted) can see in the default region. */
  visibleDefault: number;
  seconds: number;
}

/** mulberry32: a small deterministic PRNG, so every run seeds the same data. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const BATCH = 500; // rows per INSERT: 500 x 23 columns stays below both databases' parameter limits

async function insertBatches<T extends keyof Database>(
  trx: Transaction<Database> | Kysely<Database>,
  table: T,
  rows: Array<Record<string, unknown>>,
): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) {
    // Rows are built per table above; Kysely's per-table insert type would need one function per table.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment
    const batch = rows.slice(i, i + BATCH) as any;
    // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- as above: one generic insert for every table
    await trx.insertInto(table).values(batch).execute();
  }
}

export async function seedListing(db: Db, options: SeedOptions): Promise<SeedResult> {
  const t0 = performance.now();
  const rand = prng(options.seed ?? 20260101);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const defaultRegion = options.regions[0] as string;
  const now = new Date('2026-06-01T00:00:00.000Z').getTime();
  const isoAt = (ms: number) => new Date(ms).toISOString();

  const ownerCount = Math.max(1, Math.ceil(options.images / options.imagesPerOwner));
  const password = 'bench-receiver-password';
  const passwordHash = await hashPassword(password);
  const receiver = { id: '7000000001', name: 'bench-receiver', password };
  const owners = Array.from({ length: ownerCount }, (_, i) => String(8000000000 + i));
  const accountRows = [receiver.id, ...owners].map((id, i) => ({
    id,
    name: i === 0 ? receiver.name : `bench-owner-${i}`,
    password_hash: passwordHash,
    is_admin: 0,
    created_at: isoAt(now - 400 * 86400_000),
    updated_at: isoAt(now - 400 * 86400_000),
    disabled_at: null,
  }));

  // Images: created_at ascends over a year; owners, regions, visibility and status drawn per image.
  const ids = new Set<string>();
  const newId = () => {
    for (;;) {
      let s = 'img-';
      for (let i = 0; i < 8; i++) s += ALPHABET[Math.floor(rand() * 36)];
      if (!ids.has(s)) {
        ids.add(s);
        return s;
      }
    }
  };
  const span = 365 * 86400_000;
  const images: NewImageRow[] = [];
  const sharedCandidates: number[] = [];
  for (let i = 0; i < options.images; i++) {
    const region = rand() < 0.9 ? defaultRegion : pick(options.regions);
    const v = rand();
    const visibility = v < 0.8 ? 'shared' : v < 0.9 ? 'private' : v < 0.95 ? 'public' : 'community';
    const s = rand();
    const status =
      s < 0.93 ? 'active' : s < 0.96 ? 'queued' : s < 0.97 ? 'deactivated' : s < 0.98 ? 'killed' : 'deleted';
    const created = now - span + Math.floor((span * i) / options.images) + Math.floor(rand() * 1000);
    const hasData = status === 'active' || status === 'deactivated' || status === 'deleted';
    const size = hasData ? 1 + Math.floor(rand() * 20 * 1024 ** 3) : null;
    images.push({
      id: newId(),
      owner_id: owners[i % ownerCount] as string,
      region,
      name: `bench-${i}`,
      description: null,
      status,
      visibility,
      protected: 0,
      os_hidden: 0,
      size,
      virtual_size: null,
      checksum: hasData ? hex(rand, 32) : null,
      os_hash_algo: hasData ? 'sha512' : null,
      os_hash_value: hasData ? hex(rand, 128) : null,
      disk_format: pick(['raw', 'qcow2', 'vhd']),
      container_format: 'bare',
      min_disk: 0,
      min_ram: 0,
      blob_key: null,
      source_image_id: null,
      created_at: isoAt(created),
      updated_at: isoAt(created + 60_000),
      deleted_at: status === 'deleted' ? isoAt(created + 3600_000) : null,
    });
    if (visibility === 'shared' && status === 'active' && region === defaultRegion) sharedCandidates.push(i);
  }
  if (sharedCandidates.length < options.shared) throw new Error('not enough shared images to share');

  // The receiver's shares: `shared` images picked uniformly from all shareable ones, so they are spread
  // thinly across the whole table (1 in ~70 at 100,000 images), not bunched at one end.
  for (let i = sharedCandidates.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [sharedCandidates[i], sharedCandidates[j]] = [
      sharedCandidates[j] as number,
      sharedCandidates[i] as number,
    ];
  }
  const receiverImages = new Set(sharedCandidates.slice(0, options.shared));
  const members: Array<Record<string, unknown>> = [];
  const receiverMembers = { accepted: 0, pending: 0, rejected: 0 };
  const receiverStatus = new Map<string, string>();
  images.forEach((img, i) => {
    const created = Date.parse(img.created_at) + 120_000;
    if (receiverImages.has(i)) {
      const r = rand();
      const status = r < 0.6 ? 'accepted' : r < 0.9 ? 'pending' : 'rejected';
      receiverMembers[status] += 1;
      receiverStatus.set(img.id, status);
      members.push({
        image_id: img.id,
        member_id: receiver.id,
        status,
        created_at: isoAt(created),
        updated_at: isoAt(created),
      });
    }
    // Other accounts' shares: about a third of shareable images have one or two members.
    if (img.visibility === 'shared' && rand() < 0.33) {
      const n = rand() < 0.7 ? 1 : 2;
      const chosen = new Set<string>();
      for (let k = 0; k < n; k++) {
        const member = pick(owners);
        if (member === img.owner_id || chosen.has(member)) continue;
        chosen.add(member);
        members.push({
          image_id: img.id,
          member_id: member,
          status: pick(['accepted', 'accepted', 'pending', 'rejected']),
          created_at: isoAt(created),
          updated_at: isoAt(created),
        });
      }
    }
  });

  const properties: Array<Record<string, unknown>> = [];
  const tags: Array<Record<string, unknown>> = [];
  images.forEach((img, i) => {
    properties.push({
      image_id: img.id,
      key: 'os_distro',
      value: pick(['ubuntu', 'debian', 'centos', 'rocky']),
    });
    properties.push({ image_id: img.id, key: 'architecture', value: 'x86_64' });
    if (i % 3 === 0) tags.push({ image_id: img.id, tag: pick(['prod', 'test', 'golden']) });
  });

  await db.kysely.transaction().execute(async (trx) => {
    await insertBatches(trx, 'accounts', accountRows);
    await insertBatches(trx, 'images', images as Array<Record<string, unknown>>);
    await insertBatches(trx, 'image_properties', properties);
    await insertBatches(trx, 'image_tags', tags);
    await insertBatches(trx, 'image_members', members);
  });

  const liveInDefault = (img: NewImageRow) =>
    img.region === defaultRegion && img.deleted_at === null && img.status !== 'killed';
  let visibleDefault = 0;
  images.forEach((img, i) => {
    if (!liveInDefault(img)) return;
    if (img.visibility === 'public') visibleDefault += 1;
    else if (receiverImages.has(i) && receiverStatus.get(img.id) === 'accepted') visibleDefault += 1;
  });

  return {
    receiver,
    owners: ownerCount,
    images: images.length,
    imageProperties: properties.length,
    imageTags: tags.length,
    members: members.length,
    receiverMembers,
    visibleDefault,
    seconds: Math.round(performance.now() - t0) / 1000,
  };
}

function hex(rand: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += '0123456789abcdef'[Math.floor(rand() * 16)];
  return s;
}
