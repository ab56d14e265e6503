// Query keys and fetchers for the query cache: one place, so that a change can invalidate exactly what it touched.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, query } from './client';
import type {
  ApiKey,
  GroupDetail,
  GroupList,
  HistoryEntry,
  ImageKind,
  ImageView,
  InstanceView,
  LaunchAuditRecord,
  LaunchPolicy,
  Page,
  Region,
  SharesView,
  SortField,
  SortOrder,
} from './types';

export const keys = {
  regions: ['regions'] as const,
  images: ['images'] as const,
  imageList: (params: ImageListParams) => ['images', 'list', params] as const,
  shares: (imageId: string) => ['images', 'shares', imageId] as const,
  instances: ['instances'] as const,
  instanceList: (params: PageParams & { region?: string }) => ['instances', 'list', params] as const,
  recycleBin: (params: PageParams & { region: string }) => ['images', 'recycle-bin', params] as const,
  history: ['history'] as const,
  historyList: (params: PageParams) => ['history', 'list', params] as const,
  apiKeys: ['account', 'api-keys'] as const,
  groups: ['groups'] as const,
  group: (id: string) => ['groups', id] as const,
};

export interface PageParams {
  page: number;
  pageSize: number;
}

export interface ImageListParams extends PageParams {
  region: string;
  kind: ImageKind;
  search: string;
  sort: SortField;
  order: SortOrder;
}

// Lists are fetched again whenever a page or dialog showing them opens, however fresh the cache: images, shares
// and instances also change through the Tencent and OpenStack APIs (and other tabs), which the console never
// hears of, so a page opened seconds after such a change must not show the list from before it. The cached
// list shows meanwhile.
const ON_OPEN = { refetchOnMount: 'always' } as const;

export function useRegions() {
  return useQuery({
    queryKey: keys.regions,
    queryFn: () => api<{ regions: Region[]; recycleBinDays: number }>('GET', '/regions'),
    staleTime: Infinity,
  });
}

export function useImages(params: ImageListParams, enabled = true) {
  return useQuery({
    ...ON_OPEN,
    queryKey: keys.imageList(params),
    queryFn: ({ signal }) => api<Page<ImageView>>('GET', `/images${query({ ...params })}`, { signal }),
    placeholderData: keepPreviousData,
    enabled,
  });
}

/** The caller's deleted images in a region's recycle bin (under the images key: deletes and restores touch it). */
export function useRecycleBin(params: PageParams & { region: string }, enabled = true) {
  return useQuery({
    ...ON_OPEN,
    queryKey: keys.recycleBin(params),
    queryFn: ({ signal }) => api<Page<ImageView>>('GET', `/recycle-bin${query({ ...params })}`, { signal }),
    placeholderData: keepPreviousData,
    enabled,
  });
}

export function useShares(imageId: string | null) {
  return useQuery({
    ...ON_OPEN,
    queryKey: keys.shares(imageId ?? ''),
    queryFn: ({ signal }) =>
      api<SharesView>('GET', `/images/${encodeURIComponent(imageId ?? '')}/shares`, { signal }),
    enabled: imageId !== null,
  });
}

export function useInstances(params: PageParams & { region?: string }) {
  return useQuery({
    ...ON_OPEN,
    queryKey: keys.instanceList(params),
    queryFn: ({ signal }) => api<Page<InstanceView>>('GET', `/instances${query({ ...params })}`, { signal }),
    placeholderData: keepPreviousData,
  });
}

export function useHistory(params: PageParams) {
  return useQuery({
    ...ON_OPEN,
    queryKey: keys.historyList(params),
    queryFn: ({ signal }) => api<Page<HistoryEntry>>('GET', `/history${query({ ...params })}`, { signal }),
    placeholderData: keepPreviousData,
  });
}

export function useApiKeys() {
  return useQuery({
    queryKey: keys.apiKeys,
    queryFn: () => api<{ apiKeys: ApiKey[] }>('GET', '/account/api-keys'),
  });
}

/** The caller's account groups (issue 12), with the limits. */
export function useGroups() {
  return useQuery({
    ...ON_OPEN,
    queryKey: keys.groups,
    queryFn: ({ signal }) => api<GroupList>('GET', '/groups', { signal }),
  });
}

export function useGroup(id: string) {
  return useQuery({
    ...ON_OPEN,
    queryKey: keys.group(id),
    queryFn: ({ signal }) => api<GroupDetail>('GET', `/groups/${encodeURIComponent(id)}`, { signal }),
  });
}

/** Issue 12 guardrails: my launch policy and the launches its audit mode recorded. */
export const guardrailKeys = {
  launchPolicy: ['account', 'launch-policy'] as const,
  launchAudit: ['launch-audit'] as const,
  launchAuditList: (params: PageParams) => ['launch-audit', 'list', params] as const,
};

export function useLaunchPolicy() {
  return useQuery({
    ...ON_OPEN,
    queryKey: guardrailKeys.launchPolicy,
    queryFn: ({ signal }) => api<LaunchPolicy>('GET', '/launch-policy', { signal }),
  });
}

export function useLaunchAudit(params: PageParams) {
  return useQuery({
    ...ON_OPEN,
    queryKey: guardrailKeys.launchAuditList(params),
    queryFn: ({ signal }) =>
      api<Page<LaunchAuditRecord>>('GET', `/launch-audit${query({ ...params })}`, { signal }),
    placeholderData: keepPreviousData,
  });
}
