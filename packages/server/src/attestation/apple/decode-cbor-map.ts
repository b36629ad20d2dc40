import { decode } from 'cborg';

// Genuine attestation objects are ~5.5 KiB (two certificates and a ~3.7 KiB receipt) and
// assertions well under 1 KiB; anything this large is not from a device and is refused before the
// decoder spends time on it.
export const MAX_CBOR_BYTES = 64 * 1024;

/** The evidence does not have the shape App Attest defines; reported as `malformed`. */
export class MalformedEvidence extends Error {
  override name = 'MalformedEvidence';
}

// Definite lengths, minimal integers, no duplicate keys, no tags, undefined, NaN, Infinity or
// bigints: the CTAP2 canonical CBOR that authenticators emit (WebAuthn §6.5, CTAP2 §8), so there is
// exactly one way to encode a given object. Maps decode to `Map`, so a `__proto__` key stays data.
const DECODE_OPTIONS = {
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  strict: true,
  rejectDuplicateMapKeys: true,
  useMaps: true,
} as const;

/** Decodes one CBOR map that must span the whole input; throws `MalformedEvidence` otherwise. */
export function decodeCborMap(bytes: unknown): Map<unknown, unknown> {
  if (!(bytes instanceof Uint8Array)) throw new MalformedEvidence('evidence is not a byte string');
  if (bytes.byteLength > MAX_CBOR_BYTES) throw new MalformedEvidence(`evidence larger than ${MAX_CBOR_BYTES} bytes`);
  let value: unknown;
  try {
    // Deep nesting ends in a RangeError (stack), caught here like any other decoder error.
    value = decode(bytes, DECODE_OPTIONS);
  } catch (error) {
    throw new MalformedEvidence('invalid CBOR', { cause: error });
  }
  if (!(value instanceof Map)) throw new MalformedEvidence('CBOR top level is not a map');
  return value;
}

export function readMap(map: Map<unknown, unknown>, key: string): Map<unknown, unknown> {
  const value = map.get(key);
  if (!(value instanceof Map)) throw new MalformedEvidence(`${key} is not a map`);
  return value;
}

export function readBytes(map: Map<unknown, unknown>, key: string): Uint8Array {
  const value = map.get(key);
  if (!(value instanceof Uint8Array)) throw new MalformedEvidence(`${key} is not a byte string`);
  return value;
}

export function readText(map: Map<unknown, unknown>, key: string): string {
  const value = map.get(key);
  if (typeof value !== 'string') throw new MalformedEvidence(`${key} is not a text string`);
  return value;
}

export function readByteStrings(map: Map<unknown, unknown>, key: string): Uint8Array[] {
  const value = map.get(key);
  if (!Array.isArray(value) || !value.every((item) => item instanceof Uint8Array)) {
    throw new MalformedEvidence(`${key} is not an array of byte strings`);
  }
  return value;
}
