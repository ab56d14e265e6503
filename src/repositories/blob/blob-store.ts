// Where image data lives. Data streams through: nothing here holds a whole image in memory.
import type { Readable } from 'node:stream';

export interface StoredBlob {
  key: string;
  size: number;
  md5: string; // hex
  sha512: string; // hex
}

export interface BlobRange {
  start: number;
  end: number; // inclusive
}

export interface BlobStore {
  /**
   * Streams `data` into the store under a fresh key, hashing as it goes. Resolves only once the data is
   * durable (fsync'd and renamed into place); on any error nothing is left behind. Rejects with
   * DomainError('PayloadTooLarge') past `maxBytes`.
   */
  put(data: Readable, options: { maxBytes: number; keyPrefix: string }): Promise<StoredBlob>;
  /** A stream of the stored bytes, or of one inclusive byte range. */
  get(key: string, range?: BlobRange): Promise<Readable>;
  /** Server-side copy (copy to region, copy of a shared image); returns the new key. */
  copy(key: string, keyPrefix: string): Promise<string>;
  /** Removes the data; a missing key is not an error. */
  delete(key: string): Promise<void>;
}
