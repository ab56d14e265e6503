// Versioned migrations, applied in name order on start. A migration, once released, never changes:
// add a new one instead. The same builder calls produce the same schema on SQLite and PostgreSQL.
import type { Migration } from 'kysely';
import { m0001Initial } from './0001-initial.js';
import { m0002UploadClaims } from './0002-upload-claims.js';
import { m0003Console } from './0003-console.js';
import { m0004BlobKeyIndex } from './0004-blob-key-index.js';
import { m0009Tc3SignatureBindings } from './0009-tc3-signature-bindings.js';
import { m0020ShareTerms } from './0020-share-terms.js';
import { m0030ConsoleSessionIdle } from './0030-console-session-idle.js';
import { m0080MemberImageCreated } from './0080-member-image-created.js';
import { m0090MemberExpiryIndex } from './0090-member-expiry-index.js';
import { m0100NotificationPurgeIndexes } from './0100-notification-purge-indexes.js';
import { m0040AccountGroups } from './0040-account-groups.js';
import { m0060ImageLifecycle } from './0060-image-lifecycle.js';
import { m0070Guardrails } from './0070-guardrails.js';
import { m0050Notifications } from './0050-notifications.js';

export const migrations: Record<string, Migration> = {
  '0001-initial': m0001Initial,
  '0002-upload-claims': m0002UploadClaims,
  '0003-console': m0003Console,
  '0004-blob-key-index': m0004BlobKeyIndex,
  '0009-tc3-signature-bindings': m0009Tc3SignatureBindings,
  '0020-share-terms': m0020ShareTerms,
  '0030-console-session-idle': m0030ConsoleSessionIdle,
  '0080-member-image-created': m0080MemberImageCreated,
  '0090-member-expiry-index': m0090MemberExpiryIndex,
  '0100-notification-purge-indexes': m0100NotificationPurgeIndexes,
  '0040-account-groups': m0040AccountGroups,
  '0060-image-lifecycle': m0060ImageLifecycle,
  '0070-guardrails': m0070Guardrails,
  '0050-notifications': m0050Notifications,
};
