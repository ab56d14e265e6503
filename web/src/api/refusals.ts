// Which words a refusal of an owner-only action gets (no imports: unit-tested from test/console/).
// The domain marks such a refusal with the caller's relation to the image; a receiver of a share is told that
// the image is shared with it, as every API tells it (issue 11, consistent refusals), anyone else only that the
// owner may do this.
export type OwnerOnlyKey = 'error.SharedWithYou' | 'error.NotImageOwner';

export function ownerOnlyRefusalKey(
  code: string,
  details: Record<string, unknown>,
): OwnerOnlyKey | undefined {
  if (code !== 'NotImageOwner' && code !== 'SharedImageModifyUnsupported') return undefined;
  return details.relation === 'member' ? 'error.SharedWithYou' : 'error.NotImageOwner';
}
