// Image API version discovery (spec §1.8): unauthenticated; GET <endpoint>/ answers 300 Multiple Choices and
// GET <endpoint>/versions 200, both with Glance Zed's version list. Links are absolute and point at this
// region's endpoint (<base>/v2/ or <base>/regions/<r>/v2/), so keystoneauth discovers the right one.

/** Glance 25 (Zed) without cache or multi-store: v2.15 current, then the older ones it still serves. */
const VERSIONS: Array<[string, 'CURRENT' | 'SUPPORTED']> = [
  ['v2.15', 'CURRENT'],
  ['v2.9', 'SUPPORTED'],
  ['v2.7', 'SUPPORTED'],
  ['v2.6', 'SUPPORTED'],
  ['v2.5', 'SUPPORTED'],
  ['v2.4', 'SUPPORTED'],
  ['v2.3', 'SUPPORTED'],
  ['v2.2', 'SUPPORTED'],
  ['v2.1', 'SUPPORTED'],
  ['v2.0', 'SUPPORTED'],
];

export function versionsDocument(endpointUrl: string) {
  const href = `${endpointUrl.replace(/\/+$/, '')}/v2/`;
  return {
    versions: VERSIONS.map(([id, status]) => ({ id, status, links: [{ rel: 'self', href }] })),
  };
}
