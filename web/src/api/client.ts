// The one way the console talks to its API: JSON over fetch, the CSRF header on every state-changing call,
// and errors turned into ApiError (a domain code the UI translates; never shown raw).
import type { ImageView } from './types';

export const API_BASE = '/console/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

let csrfToken = '';
let onUnauthenticated: (error: ApiError) => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export function getCsrfToken(): string {
  return csrfToken;
}

/** Called when a call answers 401 after login: the session ended (logout elsewhere, password change, expiry). */
export function setUnauthenticatedHandler(handler: (error: ApiError) => void): void {
  onUnauthenticated = handler;
}

const FALLBACK_CODES: Record<number, string> = {
  400: 'InvalidInput',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  429: 'RateLimited',
};

/** Reads an error answer into an ApiError, whatever shape it has (a proxy's HTML page included). */
export function toApiError(status: number, bodyText: string, retryAfter: string | null): ApiError {
  let code = FALLBACK_CODES[status] ?? (status >= 500 ? 'ServerError' : 'Unknown');
  let message = '';
  let details: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(bodyText) as {
      error?: { code?: unknown; message?: unknown; details?: unknown };
    };
    if (parsed.error && typeof parsed.error.code === 'string') code = parsed.error.code;
    if (parsed.error && typeof parsed.error.message === 'string') message = parsed.error.message;
    if (parsed.error?.details && typeof parsed.error.details === 'object')
      details = parsed.error.details as Record<string, unknown>;
  } catch {
    // Not JSON: keep the code derived from the status.
  }
  if (retryAfter && details.retryAfterSeconds === undefined) details.retryAfterSeconds = Number(retryAfter);
  return new ApiError(status, code, message, details);
}

export interface CallOptions {
  body?: unknown;
  /** Whether a 401 means "the session is gone" (not on the login call itself). */
  sessionBound?: boolean;
  signal?: AbortSignal;
}

export async function api<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch {
    throw new ApiError(0, 'NetworkError', 'network error');
  }
  if (!res.ok) {
    const error = toApiError(res.status, await res.text(), res.headers.get('retry-after'));
    if (res.status === 401 && options.sessionBound !== false) onUnauthenticated(error);
    throw error;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface UploadHandle {
  done: Promise<ImageView>;
  cancel(): void;
}

/**
 * Sends a local file as the image's data with XMLHttpRequest: the browser streams the File from disk (nothing is
 * read into memory here, so multi-GB files work), and XHR is the one browser API that reports upload progress.
 */
export function uploadImageFile(
  imageId: string,
  file: File,
  onProgress: (progress: UploadProgress) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<ImageView>((resolve, reject) => {
    xhr.open('PUT', `${API_BASE}/images/${encodeURIComponent(imageId)}/file`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total: event.total || file.size });
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as ImageView);
      else {
        const error = toApiError(xhr.status, xhr.responseText, xhr.getResponseHeader('retry-after'));
        if (xhr.status === 401) onUnauthenticated(error);
        reject(error);
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'NetworkError', 'network error'));
    xhr.onabort = () => reject(new ApiError(0, 'Cancelled', 'cancelled'));
    xhr.send(file);
  });
  return { done, cancel: () => xhr.abort() };
}

/** True when the server said the session ran out (idle too long, or past its expiry), not merely missing. */
export function isSessionExpired(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401 && error.details.reason === 'sessionExpired';
}
