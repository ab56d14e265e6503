// The building blocks of Tencent action parameters, as TypeBox schemas (validated by params.ts). An object of
// parameters refuses names it does not declare (UnknownParameter); `tencentCodes` names the error code of a
// failed keyword where Tencent answers with a specific one, `hint` explains a pattern in the message.
import { Type, type TProperties, type TSchema, type TUnsafe } from '@sinclair/typebox';

/** An object of parameters: every name declared, the others are UnknownParameter. */
export const Params = <P extends TProperties>(properties: P) =>
  Type.Object(properties, { additionalProperties: false });

/** One of the given strings (a plain `enum`, so the message can list them). */
export const StringEnum = <const T extends readonly string[]>(values: T): TUnsafe<T[number]> =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

/** A string Tencent accepts but this service does not interpret, of bounded length. */
export const Text = (maxLength: number, minLength = 0) =>
  Type.String({ maxLength, ...(minLength > 0 ? { minLength } : {}) });

/**
 * An integer; without an explicit maximum it stays within what a JSON number holds exactly (a larger one
 * is a clear error here, not a bigint error in the database). `rangeCode`: Tencent's code when out of range.
 */
export const Int = (options: { minimum?: number; maximum?: number; rangeCode?: string } = {}) =>
  Type.Integer({
    minimum: options.minimum ?? Number.MIN_SAFE_INTEGER,
    maximum: options.maximum ?? Number.MAX_SAFE_INTEGER,
    ...(options.rangeCode
      ? { tencentCodes: { minimum: options.rangeCode, maximum: options.rangeCode } }
      : {}),
  });

/** A list of 1 to `maxItems` values (more: InvalidParameterValue.LimitExceeded). */
export const List = <T extends TSchema>(items: T, maxItems: number) =>
  Type.Array(items, { minItems: 1, maxItems });

/** Tencent image IDs are `img-` + lowercase letters and digits; ours have 8, Tencent's examples up to 9. */
export const ImageId = Type.String({
  pattern: '^img-[a-z0-9]{1,32}$',
  hint: 'expected img- followed by lowercase letters and digits',
  tencentCodes: { pattern: 'InvalidImageId.Malformed' },
});

export const AccountId = Type.String({
  pattern: '^[1-9][0-9]{4,19}$',
  hint: 'account IDs are numeric',
  tencentCodes: { pattern: 'InvalidParameterValue.InvalidAppIdFormat' },
});

/** imageshare's extension (docs/api/tencent.md): a share target is an account ID or one of the owner's groups. */
export const ShareTargetId = Type.String({
  pattern: '^([1-9][0-9]{4,19}|grp-[a-z0-9]{8})$',
  hint: 'account IDs are numeric; group IDs are grp- followed by 8 lowercase letters and digits',
  tencentCodes: { pattern: 'InvalidParameterValue.InvalidAppIdFormat' },
});

export const InstanceId = Type.String({
  pattern: '^ins-[a-z0-9]{1,32}$',
  hint: 'expected ins- followed by lowercase letters and digits',
  tencentCodes: { pattern: 'InvalidInstanceId.Malformed' },
});

/** Tencent's bounds on image names and descriptions, in both dialects. */
export const ImageName = Text(60, 1);
export const ImageDescription = Text(256);

/** Tencent's region names (`ap-guangzhou`); whether one is configured is the action's question. */
export const RegionName = Text(64);

/** Tencent parameters that have no meaning here (RunInstances' Placement, ...): accepted, not interpreted. */
export const Ignored = () => Type.Optional(Type.Unknown());
