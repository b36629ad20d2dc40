import { type TLiteral, type TUnion, Type } from '@sinclair/typebox';

/**
 * A schema for one of a fixed list of strings, e.g. `literals(ADMIN_ROLES)`: the `enum`-like
 * union the protocol's `as const` arrays describe.
 */
export function literals<const T extends readonly string[]>(
  values: T,
  options: { default?: T[number]; description?: string } = {},
): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  );
}
