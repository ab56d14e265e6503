// Small helpers for the image API suites (test/glance-*.test.ts): typed image requests over real HTTP.
import assert from 'node:assert/strict';
import type { TestResponse, TestServer } from './server.js';

export const PATCH_V21 = 'application/openstack-images-v2.1-json-patch';
export const PATCH_V20 = 'application/openstack-images-v2.0-json-patch';

export type Json = Record<string, unknown>;
/** An image as the API answers it: its `id` is always a string. */
export type ImageJson = Json & { id: string };

export function body(res: TestResponse): Json {
  assert.equal(
    typeof res.body,
    'object',
    `expected a JSON body, got ${res.status} ${res.text.slice(0, 200)}`,
  );
  return res.body as Json;
}

export async function createImage(
  t: TestServer,
  token: string,
  fields: Json = {},
  prefix = '',
): Promise<ImageJson> {
  const res = await t.request('POST', `${prefix}/v2/images`, {
    token,
    body: { disk_format: 'raw', container_format: 'bare', ...fields },
  });
  assert.equal(res.status, 201, res.text);
  const image = body(res);
  assert.equal(typeof image.id, 'string');
  return image as ImageJson;
}

export function patchImage(
  t: TestServer,
  token: string,
  id: string,
  ops: unknown,
  media = PATCH_V21,
  prefix = '',
): Promise<TestResponse> {
  return t.request('PATCH', `${prefix}/v2/images/${id}`, {
    token,
    body: JSON.stringify(ops),
    headers: { 'content-type': media, accept: 'application/json' },
  });
}

export function uploadData(
  t: TestServer,
  token: string,
  id: string,
  data: Buffer,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  return t.request('PUT', `/v2/images/${id}/file`, {
    token,
    body: data,
    headers: { 'content-type': 'application/octet-stream', accept: 'application/json', ...headers },
  });
}

/** GET as JSON client (Accept: application/json), as Tempest does. */
export function getJson(t: TestServer, token: string | undefined, path: string): Promise<TestResponse> {
  return t.request('GET', path, { ...(token ? { token } : {}), headers: { accept: 'application/json' } });
}

export function ids(res: TestResponse): string[] {
  return (body(res).images as Json[]).map((i) => i.id as string);
}

export async function download(
  t: TestServer,
  token: string,
  id: string,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${t.url}/v2/images/${id}/file`, {
    headers: { 'x-auth-token': token, ...headers },
  });
  return { status: res.status, headers: res.headers, data: Buffer.from(await res.arrayBuffer()) };
}
