// Where image data lives. Data streams through: nothing here holds a whole image in memory.
// Two stores implement this contract: a local folder (local-blob-store.ts) and an S3 bucket
// (s3-blob-store.ts); test/blob/blob-store-contract.test.ts runs one suite against both.
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

/** A whole blob found in the store (for the sweep, which compares keys with the database). */
export interface ListedBlob {
  key: string;
  /** When the data was last written: the sweep leaves younger data alone (it may be about to be committed). */
  modifiedAt: Date;
}

/**
 * Data of an upload or copy still in progress, or left behind by a node that died during one: a temporary
 * file in the local folder, an unfinished multipart upload in S3.
 */
export interface PendingUpload {
  /** The key the data would have been stored under. */
  key: string;
  /** Last sign of life: the file's last write, or when the multipart upload was started. */
  since: Date;
  /** Store-specific handle passed back to abortPending (file name, S3 upload ID). */
  ref: string;
}

export interface BlobStore {
  /** Creates what the store needs and removes what a crash of this very node left (never others' data). */
  init(): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
  /** Cheap reachability check for /readyz: resolves when the store answers, rejects otherwise. */
  ping(): Promise<void>;
  /**
   * Streams `data` into the store under a fresh key, hashing as it goes. Resolves only once the data is
   * durable and whole under its key; on any error nothing is left behind under any key. Rejects with
   * DomainError('PayloadTooLarge') past `maxBytes`.
   */
  put(data: Readable, options: { maxBytes: number; keyPrefix: string }): Promise<StoredBlob>;
  /** A stream of the stored bytes, or of one inclusive byte range. Rejects when the key is missing. */
  get(key: string, range?: BlobRange): Promise<Readable>;
  /** Server-side copy (copy to region, copy of a shared image); returns the new key. */
  copy(key: string, keyPrefix: string): Promise<string>;
  /** Removes the data; a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every stored blob. */
  list(): AsyncIterable<ListedBlob>;
  /** Every upload in progress or abandoned, on any node. */
  listPending(): AsyncIterable<PendingUpload>;
  /** Discards a pending upload's data; one already gone is not an error. */
  abortPending(upload: PendingUpload): Promise<void>;
}
