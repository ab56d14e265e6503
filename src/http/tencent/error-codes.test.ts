import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError, errorCodes } from '../../domain/errors.js';
import { domainToTencent, legacyCodeFor, tencentCodeFor } from './error-codes.js';

describe('Tencent error-code table', () => {
  it('maps every domain error code (add a row to error-codes.ts for a new code)', () => {
    const missing = errorCodes.filter((code) => !domainToTencent[code]);
    assert.deepEqual(missing, []);
  });

  it('applies per-action overrides, else the table', () => {
    const notOwner = new DomainError('NotImageOwner', 'x');
    assert.equal(tencentCodeFor(notOwner), 'UnauthorizedOperation.ImageNotBelongToAccount');
    assert.equal(
      tencentCodeFor(notOwner, 'ModifyImageSharePermission'),
      'UnauthorizedOperation.ImageNotBelongToAccount',
    );
    // Only the receiver of a share is told, when deleting, that the image was shared with it.
    const receiver = new DomainError('NotImageOwner', 'x', { relation: 'member' });
    assert.equal(tencentCodeFor(receiver, 'DeleteImages'), 'InvalidParameterValue.InvalidImageIdIsShared');
    const publicImage = new DomainError('NotImageOwner', 'x', { relation: 'public' });
    assert.equal(
      tencentCodeFor(publicImage, 'DeleteImages'),
      'UnauthorizedOperation.ImageNotBelongToAccount',
    );
    assert.equal(
      tencentCodeFor(publicImage, 'ModifyImageAttribute'),
      'UnauthorizedOperation.ImageNotBelongToAccount',
    );
    assert.equal(
      tencentCodeFor(new DomainError('SharedImageModifyUnsupported', 'x'), 'ModifyImageAttribute'),
      'UnsupportedOperation.SharedImageModifyUnsupported',
    );
    assert.equal(tencentCodeFor(new DomainError('ShareLimitExceeded', 'x')), 'OverQuota');
  });

  it('maps API 3.0 codes to legacy numeric codes (spec §1.6)', () => {
    assert.deepEqual(legacyCodeFor('AuthFailure.SignatureFailure'), {
      code: 4100,
      codeDesc: 'AuthFailure.SignatureFailure',
    });
    assert.equal(legacyCodeFor('AuthFailure.SecretIdNotFound').code, 4104);
    assert.equal(legacyCodeFor('AuthFailure.SignatureExpire').code, 4500);
    assert.equal(legacyCodeFor('MissingParameter').code, 4000);
    assert.equal(legacyCodeFor('InvalidParameterValue.LimitExceeded').code, 4000);
    assert.equal(legacyCodeFor('InvalidImageId.NotFound').code, 5000);
    assert.equal(legacyCodeFor('InvalidAccountId.NotFound').code, 5000);
    assert.equal(legacyCodeFor('UnauthorizedOperation.ImageNotBelongToAccount').code, 4110);
    assert.equal(legacyCodeFor('OverQuota').code, 5100);
    assert.equal(legacyCodeFor('InternalError').code, 5100);
  });
});
