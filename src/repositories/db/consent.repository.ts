// The consent settings of issue 12: an image's own (images.consent) and its owner's default for all its
// images (accounts.default_consent). Which one applies is the domain's rule (sharing.ts effectiveConsent).
import type { Kysely } from 'kysely';
import { consentLevels, type Consent } from '../../domain/types.js';
import type { ConsentStore } from '../image-stores.js';
import type { Database } from './schema.js';

function asConsent(value: string | null | undefined): Consent | null {
  return (consentLevels as readonly string[]).includes(value ?? '') ? (value as Consent) : null;
}

export class ConsentRepository implements ConsentStore {
  constructor(private readonly db: Kysely<Database>) {}

  async settingsOf(imageId: string): Promise<{ image: Consent | null; ownerDefault: Consent | null }> {
    const row = await this.db
      .selectFrom('images')
      .leftJoin('accounts', 'accounts.id', 'images.owner_id')
      .select(['images.consent as image', 'accounts.default_consent as owner'])
      .where('images.id', '=', imageId)
      .executeTakeFirst();
    return { image: asConsent(row?.image), ownerDefault: asConsent(row?.owner) };
  }

  async setForImage(imageId: string, consent: Consent | null): Promise<void> {
    await this.db.updateTable('images').set({ consent }).where('id', '=', imageId).execute();
  }

  async ownerDefault(accountId: string): Promise<Consent | null> {
    const row = await this.db
      .selectFrom('accounts')
      .select('default_consent')
      .where('id', '=', accountId)
      .executeTakeFirst();
    return asConsent(row?.default_consent);
  }

  async setOwnerDefault(accountId: string, consent: Consent | null): Promise<void> {
    await this.db
      .updateTable('accounts')
      .set({ default_consent: consent })
      .where('id', '=', accountId)
      .execute();
  }
}
