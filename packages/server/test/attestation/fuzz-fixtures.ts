// Seeded fuzzing for the attestation decoders (issue #4): a reproducible PRNG, and byte / CBOR /
// DER mutators and hostile encodings. Set PORTCULLIS_FUZZ_SEED (decimal or 0x…) to replay a run
// that failed. Just over 400 lines: the three encodings' mutators are kept side by side.
const DEFAULT_SEED = 0x9e3779b9;
const parsedSeed = Number(process.env.PORTCULLIS_FUZZ_SEED ?? Number.NaN);
export const FUZZ_SEED = Number.isSafeInteger(parsedSeed) ? parsedSeed >>> 0 : DEFAULT_SEED;

/** xorshift32 (Marsaglia, 2003): tiny, and the same sequence for the same seed on every machine. */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0 || DEFAULT_SEED;
  }

  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.below(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.next() & 0xff;
    return out;
  }

  /** Characters from `alphabet` (default: printable ASCII, the JOSE alphabet, some Unicode, NUL). */
  text(length: number, alphabet: string = TEXT_ALPHABET): string {
    const chars = [...alphabet];
    let out = '';
    for (let i = 0; i < length; i++) out += this.pick(chars);
    return out;
  }
}

const TEXT_ALPHABET = `${Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')}\u0000\u00e9\u2028\u{1f600}\ufeff\ud800`;
export const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The generator for one case: reproducible from the seed, the target's name and the case number alone. */
export function caseRandom(seed: number, target: string, index: number): Random {
  let hash = seed >>> 0;
  for (const char of `${target}#${index}`) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return new Random(hash);
}

/** A failing input as a failure message shows it: JSON-escaped, long ones cut in the middle. */
export function showInput(value: unknown, max = 400): string {
  const text =
    value instanceof Uint8Array ? `hex:${Buffer.from(value).toString('hex')}` : typeof value === 'string' ? value : String(value);
  const shown = JSON.stringify(text) ?? String(text);
  return shown.length <= max ? shown : `${shown.slice(0, max / 2)}…(${shown.length} chars)…${shown.slice(-max / 2)}`;
}

export const b64url = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');

/** A JSON value of the wrong kind for almost any field. */
export function hostileValue(rng: Random): unknown {
  const kinds: (() => unknown)[] = [
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1e308,
    () => 2 ** 53 + 2,
    () => 1.5,
    () => '',
    () => rng.text(rng.between(1, 40)),
    () => 'x'.repeat(rng.between(257, 20_000)),
    () => 'a\u0000b',
    () => '\u{1f600}\u202e\ud800',
    () => [],
    () => [rng.text(8)],
    () => ({}),
    () => JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown,
    () => JSON.parse(`${'['.repeat(2000)}${']'.repeat(2000)}`) as unknown,
  ];
  return rng.pick(kinds)();
}

/** A JSON document that is not an object: what `JSON.parse` accepts but a reader must refuse. */
export function nonObjectJson(rng: Random): string {
  return rng.pick(['[]', '[{}]', '0', '-1e999', '"str"', 'null', 'true', '""', `${'['.repeat(5000)}${']'.repeat(5000)}`]);
}

// --- Bytes --------------------------------------------------------------------------------------

const INTERESTING_BYTES = [0x00, 0x01, 0x18, 0x1a, 0x1b, 0x1f, 0x30, 0x5b, 0x7f, 0x80, 0x84, 0x9b, 0x9f, 0xbb, 0xbf, 0xff];

/** One random structure-blind mutation of `input`; `how` names it for the failure message. */
export function mutateBytes(rng: Random, input: Uint8Array): { bytes: Buffer; how: string } {
  const bytes = Buffer.from(input);
  const at = () => rng.below(Math.max(bytes.length, 1));
  switch (rng.below(7)) {
    case 0: {
      const keep = at();
      return { bytes: bytes.subarray(0, keep), how: `truncated to ${keep}` };
    }
    case 1: {
      const flips = rng.between(1, 8);
      for (let i = 0; i < flips && bytes.length > 0; i++) {
        const position = at();
        bytes[position] = (bytes[position] ?? 0) ^ (1 << rng.below(8));
      }
      return { bytes, how: `${flips} bit flips` };
    }
    case 2: {
      const writes = rng.between(1, 4);
      for (let i = 0; i < writes && bytes.length > 0; i++) bytes[at()] = rng.pick(INTERESTING_BYTES);
      return { bytes, how: `${writes} bytes overwritten` };
    }
    case 3: {
      const position = at();
      const inserted = rng.bytes(rng.between(1, 16));
      return {
        bytes: Buffer.concat([bytes.subarray(0, position), inserted, bytes.subarray(position)]),
        how: `inserted at ${position}`,
      };
    }
    case 4: {
      const start = at();
      const end = Math.min(bytes.length, start + rng.between(1, 64));
      return { bytes: Buffer.concat([bytes.subarray(0, start), bytes.subarray(end)]), how: `deleted ${start}..${end}` };
    }
    case 5: {
      const start = at();
      const slice = bytes.subarray(start, start + rng.between(1, 256));
      return { bytes: Buffer.concat([bytes.subarray(0, start), slice, bytes.subarray(start)]), how: `duplicated at ${start}` };
    }
    default:
      return { bytes: Buffer.concat([bytes, rng.bytes(rng.between(1, 64))]), how: 'trailing garbage' };
  }
}

// --- CBOR (RFC 8949) ----------------------------------------------------------------------------

interface Head {
  offset: number;
  major: number;
  /** Bytes the head takes: the initial byte and the argument. */
  length: number;
  argument: number;
}

/** Every item head of a definite-length CBOR item, in order, so a mutation can aim at one. */
export function cborHeads(bytes: Uint8Array): Head[] {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const heads: Head[] = [];
  const walk = (offset: number): number => {
    const first = data[offset];
    if (first === undefined) throw new RangeError('CBOR ends inside an item');
    const major = first >> 5;
    const info = first & 0x1f;
    if (info > 27 || offset >= data.length) throw new RangeError('not canonical CBOR');
    const size = info < 24 ? 0 : info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 8;
    const argument =
      size === 0 ? info : size === 8 ? Number(data.readBigUInt64BE(offset + 1)) : data.readUIntBE(offset + 1, size);
    heads.push({ offset, major, length: 1 + size, argument });
    let next = offset + 1 + size;
    if (major === 2 || major === 3) return next + argument;
    if (major === 4 || major === 5) for (let i = 0; i < argument * (major === 5 ? 2 : 1); i++) next = walk(next);
    if (major === 6) return walk(next);
    return next;
  };
  walk(0);
  return heads;
}

const HUGE_ARGUMENTS = [0xffff_ffff, 0x7fff_ffff, 2 ** 53 - 1, 2 ** 32, 65_537];

function encodeArgument(major: number, value: number | bigint, width: 4 | 8): Buffer {
  const head = Buffer.alloc(1 + width);
  head[0] = (major << 5) | (width === 4 ? 26 : 27);
  if (width === 4) head.writeUInt32BE(Number(value) >>> 0, 1);
  else head.writeBigUInt64BE(BigInt(value), 1);
  return head;
}

/**
 * One structure-aware mutation of canonical CBOR: a length inflated to a huge value, a wrong
 * major type, an indefinite length, a tag, a non-minimal argument, a length off by one; else a
 * structure-blind one.
 */
export function mutateCbor(rng: Random, input: Uint8Array): { bytes: Buffer; how: string } {
  let heads: Head[];
  try {
    heads = cborHeads(input);
  } catch {
    return mutateBytes(rng, input);
  }
  const head = rng.pick(heads);
  const before = Buffer.from(input.subarray(0, head.offset));
  const after = Buffer.from(input.subarray(head.offset + head.length));
  const at = `head @${head.offset} (major ${head.major})`;
  switch (rng.below(7)) {
    case 0: {
      const huge = rng.chance(0.2) ? 0xffff_ffff_ffff_ffffn : rng.pick(HUGE_ARGUMENTS);
      const width = typeof huge === 'bigint' || huge > 0xffff_ffff ? 8 : rng.pick([4, 8] as const);
      return { bytes: Buffer.concat([before, encodeArgument(head.major, huge, width), after]), how: `${at}: length ${huge}` };
    }
    case 1: {
      const major = (head.major + rng.between(1, 7)) % 8;
      const retyped = Buffer.from(input);
      retyped[head.offset] = (major << 5) | ((retyped[head.offset] ?? 0) & 0x1f);
      return { bytes: retyped, how: `${at}: major type ${major}` };
    }
    case 2: {
      const major = rng.pick([2, 3, 4, 5]);
      const end = rng.chance(0.5) ? Buffer.of(0xff) : Buffer.alloc(0);
      return {
        bytes: Buffer.concat([before, Buffer.of((major << 5) | 31), after, end]),
        how: `${at}: indefinite major ${major}`,
      };
    }
    case 3: {
      const tag = rng.pick([
        Buffer.of(0xc0),
        Buffer.of(0xc2),
        Buffer.of(0xd8, 0x18),
        Buffer.of(0xd9, 0xd9, 0xf7),
        encodeArgument(6, 2 ** 40, 8),
      ]);
      return { bytes: Buffer.concat([before, tag, Buffer.from(input.subarray(head.offset))]), how: `${at}: tagged` };
    }
    case 4:
      return {
        bytes: Buffer.concat([before, encodeArgument(head.major, head.argument, 8), after]),
        how: `${at}: non-minimal argument`,
      };
    case 5: {
      const argument = Math.max(0, head.argument + rng.pick([-1, 1]));
      return { bytes: Buffer.concat([before, encodeArgument(head.major, argument, 4), after]), how: `${at}: length ${argument}` };
    }
    default:
      return mutateBytes(rng, input);
  }
}

/** `depth` nested one-element arrays around a 0: a decoder that recurses runs out of stack. */
export const deepCborArrays = (depth: number): Buffer => Buffer.concat([Buffer.alloc(depth, 0x81), Buffer.of(0x00)]);

/** `depth` nested one-entry maps {"a": {"a": … 0}}. */
export function deepCborMaps(depth: number): Buffer {
  const level = Buffer.of(0xa1, 0x61, 0x61);
  return Buffer.concat([...Array.from({ length: depth }, () => level), Buffer.of(0x00)]);
}

// --- DER (X.690) --------------------------------------------------------------------------------

export function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Buffer.of(0x80 | octets.length, ...octets);
}

export const tlv = (tag: number, content: Uint8Array): Buffer =>
  Buffer.concat([Buffer.of(tag), derLength(content.length), content]);

/** `depth` levels of `tag` (SEQUENCE 0x30, OCTET STRING 0x04, constructed OCTET STRING 0x24) around `inner`. */
export function nestDer(tag: number, depth: number, inner: Uint8Array = Buffer.of(0x05, 0x00)): Buffer {
  // Headers from the inside out, then one copy: wrapping level by level would copy depth² bytes.
  const headers: Buffer[] = [];
  let length = inner.length;
  for (let i = 0; i < depth; i++) {
    const header = Buffer.concat([Buffer.of(tag), derLength(length)]);
    headers.push(header);
    length += header.length;
  }
  return Buffer.concat([...headers.reverse(), inner]);
}

/** A constructed OCTET STRING of `count` one-byte segments: cheap to send, costly to reassemble. */
export function octetStringBomb(count: number): Buffer {
  return tlv(0x24, Buffer.concat(Array.from({ length: count }, (_, i) => Buffer.of(0x04, 0x01, i & 0xff))));
}

/** `depth` indefinite-length SEQUENCEs (BER, never DER), each closed by end-of-contents. */
export const indefiniteDer = (depth: number): Buffer =>
  Buffer.concat([Buffer.alloc(depth * 2).map((_, i) => (i % 2 === 0 ? 0x30 : 0x80)), Buffer.alloc(depth * 2)]);

interface Tlv {
  offset: number;
  headerLength: number;
  constructed: boolean;
}

/** The headers of every TLV in DER, descending into constructed ones; stops at anything odd. */
export function derHeaders(der: Uint8Array): Tlv[] {
  const found: Tlv[] = [];
  const walk = (start: number, end: number): void => {
    let offset = start;
    while (offset < end && found.length < 4096) {
      const tag = der[offset];
      const first = der[offset + 1];
      if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) return;
      const lengthOctets = first < 0x80 ? 0 : first & 0x7f;
      if (lengthOctets > 3) return;
      let length = first < 0x80 ? first : 0;
      for (let i = 0; i < lengthOctets; i++) length = length * 256 + (der[offset + 2 + i] ?? 0);
      const headerLength = 2 + lengthOctets;
      const constructed = (tag & 0x20) !== 0;
      found.push({ offset, headerLength, constructed });
      if (constructed) walk(offset + headerLength, offset + headerLength + length);
      offset += headerLength + length;
    }
  };
  walk(0, der.length);
  return found;
}

/** One TLV's length replaced by a huge, indefinite, or too-many-octets one; the content is kept. */
export function inflateDerLength(rng: Random, der: Uint8Array): { bytes: Buffer; how: string } {
  const headers = derHeaders(der);
  const target = headers.length > 0 ? rng.pick(headers) : { offset: 0, headerLength: 2, constructed: true };
  const length = rng.pick([
    Buffer.of(0x84, 0xff, 0xff, 0xff, 0xff),
    Buffer.of(0x84, 0x7f, 0xff, 0xff, 0xff),
    Buffer.of(0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    Buffer.of(0x8f, ...Buffer.alloc(15, 0xff)),
    Buffer.of(0x80),
    Buffer.of(0xff),
    Buffer.of(0x82, 0x00, 0x05),
  ]);
  const bytes = Buffer.concat([
    der.subarray(target.offset, target.offset + 1),
    length,
    der.subarray(target.offset + target.headerLength),
  ]);
  return {
    bytes: Buffer.concat([der.subarray(0, target.offset), bytes]),
    how: `length of TLV @${target.offset} → ${length.toString('hex')}`,
  };
}

/**
 * ASN.1 a parser may choke on: deep nesting, OCTET STRING bombs, BER indefinite lengths, inflated
 * lengths, an endless OID arc, a huge INTEGER, or `genuine` (a real structure) mutated.
 */
export function hostileDer(rng: Random, genuine: Uint8Array): { bytes: Buffer; how: string } {
  const depth = rng.between(64, 3000);
  const count = rng.between(16, 3500);
  switch (rng.below(10)) {
    case 0:
      return { bytes: nestDer(0x30, depth), how: `${depth} nested SEQUENCEs` };
    case 1:
      return { bytes: nestDer(0x04, depth), how: `${depth} nested OCTET STRINGs` };
    case 2:
      return { bytes: nestDer(0x24, depth, Buffer.of(0x04, 0x01, 0x00)), how: `${depth} nested constructed OCTET STRINGs` };
    case 3:
      return { bytes: octetStringBomb(count), how: `constructed OCTET STRING of ${count} segments` };
    case 4:
      return { bytes: indefiniteDer(depth), how: `${depth} indefinite-length SEQUENCEs` };
    case 5:
      return inflateDerLength(rng, genuine);
    case 6:
      return { bytes: tlv(0x30, tlv(0x06, Buffer.alloc(count, 0xff))), how: `OID arc of ${count} continuation octets` };
    case 7:
      return {
        bytes: tlv(0x30, tlv(0x02, Buffer.concat([Buffer.of(0x7f), rng.bytes(count)]))),
        how: `INTEGER of ${count} octets`,
      };
    case 8:
      return { bytes: rng.bytes(count), how: `${count} random bytes` };
    default:
      return mutateBytes(rng, genuine);
  }
}

/** RFC 7468 PEM around any bytes. */
export function pem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The DER inside a PEM certificate. */
export const derOf = (pemText: string): Buffer =>
  Buffer.from(pemText.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''), 'base64');
