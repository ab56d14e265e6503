// The JSON documents of the Keystone subset: version discovery, token bodies with the service catalog,
// projects and users. Pure functions of the config and the data; no I/O.
import { createHash } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Account } from '../../domain/types.js';
import { DEFAULT_DOMAIN, type TokenInfo } from '../../services/auth.service.js';

/** Stable 32-hex IDs for the fixed objects (roles, services, endpoints): the same on every node. */
function fixedId(label: string): string {
  return createHash('md5').update(`imageshare:${label}`).digest('hex');
}

export const ROLES = {
  admin: { id: fixedId('role:admin'), name: 'admin' },
  member: { id: fixedId('role:member'), name: 'member' },
  reader: { id: fixedId('role:reader'), name: 'reader' },
} as const;

export function rolesFor(account: Account): { id: string; name: string }[] {
  return account.isAdmin ? [ROLES.admin, ROLES.member, ROLES.reader] : [ROLES.member, ROLES.reader];
}

const VERSION_ID = 'v3.14';
const VERSION_UPDATED = '2020-04-07T00:00:00Z';

export function versionObject(baseUrl: string) {
  return {
    id: VERSION_ID,
    status: 'stable',
    updated: VERSION_UPDATED,
    links: [{ rel: 'self', href: `${baseUrl}/identity/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

/** Keystone's time format: microseconds and a Z, e.g. 2015-11-07T02:58:43.578000Z. */
export function keystoneTime(iso: string): string {
  return new Date(iso).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** One image endpoint per region (the default region at the root, others under /regions/<name>) + identity. */
export function catalog(config: Config, baseUrl: string) {
  const interfaces = ['public', 'internal', 'admin'] as const;
  const imageEndpoints = config.regions.flatMap((region, index) => {
    const url = index === 0 ? baseUrl : `${baseUrl}/regions/${region}`;
    return interfaces.map((iface) => ({
      id: fixedId(`endpoint:image:${region}:${iface}`),
      interface: iface,
      region,
      region_id: region,
      url,
    }));
  });
  const identityEndpoints = config.regions.flatMap((region) =>
    interfaces.map((iface) => ({
      id: fixedId(`endpoint:identity:${region}:${iface}`),
      interface: iface,
      region,
      region_id: region,
      url: `${baseUrl}/identity/v3/`,
    })),
  );
  return [
    { type: 'image', name: 'glance', id: fixedId('service:image'), endpoints: imageEndpoints },
    { type: 'identity', name: 'keystone', id: fixedId('service:identity'), endpoints: identityEndpoints },
  ];
}

export function projectRef(account: Account) {
  return { id: account.id, name: account.name, domain: { ...DEFAULT_DOMAIN } };
}

export function tokenBody(info: TokenInfo, config: Config, baseUrl: string, withCatalog: boolean) {
  const account = info.account;
  return {
    token: {
      methods: info.methods,
      user: { domain: { ...DEFAULT_DOMAIN }, id: account.id, name: account.name, password_expires_at: null },
      audit_ids: [info.auditId],
      expires_at: keystoneTime(info.expiresAt),
      issued_at: keystoneTime(info.issuedAt),
      project: projectRef(account),
      is_domain: false,
      roles: rolesFor(account),
      ...(withCatalog ? { catalog: catalog(config, baseUrl) } : {}),
    },
  };
}

export function projectObject(account: Account, baseUrl: string) {
  return {
    id: account.id,
    name: account.name,
    domain_id: DEFAULT_DOMAIN.id,
    enabled: account.disabledAt === null,
    is_domain: false,
    description: '',
    parent_id: DEFAULT_DOMAIN.id,
    tags: [],
    options: {},
    links: { self: `${baseUrl}/identity/v3/projects/${account.id}` },
  };
}

export function userObject(account: Account, baseUrl: string) {
  return {
    id: account.id,
    name: account.name,
    domain_id: DEFAULT_DOMAIN.id,
    enabled: account.disabledAt === null,
    default_project_id: account.id,
    password_expires_at: null,
    options: {},
    links: { self: `${baseUrl}/identity/v3/users/${account.id}` },
  };
}

export function domainObject(baseUrl: string) {
  return {
    id: DEFAULT_DOMAIN.id,
    name: DEFAULT_DOMAIN.name,
    description: 'The default domain',
    enabled: true,
    tags: [],
    options: {},
    links: { self: `${baseUrl}/identity/v3/domains/${DEFAULT_DOMAIN.id}` },
  };
}
