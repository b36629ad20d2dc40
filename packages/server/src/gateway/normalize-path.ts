// Request paths are normalised before prefix routing so that every spelling of a path reaches exactly the route its
// canonical form reaches. Anything a downstream server might read differently from us is refused rather than guessed at:
// the caller answers 400 and, on success, forwards `path` (never the raw target) so the upstream sees what we matched.

export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

/** Matches common server limits (nginx `large_client_header_buffers`, Node's 16 KiB header cap) with room to spare. */
const MAX_PATH_LENGTH = 8192;

const HEX = /^[0-9A-Fa-f]{2}$/;

// RFC 3986 §2.3: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

const refuse = (reason: string): NormalizedPath => ({ ok: false, reason });

/**
 * A path already in normal form: unreserved characters only (no '%', ';' or '\\'), no empty
 * segment, and no segment starting with '.', so no dot segment. Every step below leaves such a
 * path as it is, so it is its own normal form (most requests; checking it costs well under a µs).
 */
const NORMAL = /^(?:\/[A-Za-z0-9\-_~][A-Za-z0-9\-_~.]*)*\/?$/;

/**
 * `raw` is the request-target path as received (no query string — caller splits at the first '?'; the function must also
 * tolerate and reject a '?' or '#' inside).
 */
export function normalizePath(raw: string): NormalizedPath {
  if (raw.length > MAX_PATH_LENGTH) return refuse(`The path is longer than ${MAX_PATH_LENGTH} characters.`);
  // RFC 9112 §3.2: only origin-form targets carry a path; absolute-form and asterisk-form are refused here.
  if (!raw.startsWith('/')) return refuse('The path must start with "/".');
  if (NORMAL.test(raw)) return { ok: true, path: raw };
  return normalizeStepByStep(raw);
}

/** `normalizePath` without its shortcut for paths already in normal form (tests hold the two to the same answers). */
export function normalizeStepByStep(raw: string): NormalizedPath {
  if (raw.length > MAX_PATH_LENGTH) return refuse(`The path is longer than ${MAX_PATH_LENGTH} characters.`);
  if (!raw.startsWith('/')) return refuse('The path must start with "/".');

  const decoded = decodeUnreserved(raw);
  if (!decoded.ok) return decoded;
  const collapsed = decoded.path.replace(/\/{2,}/g, '/');
  const resolved = removeDotSegments(collapsed);
  if (!resolved.ok) return resolved;
  if (!escapesAreUtf8(resolved.path)) return refuse('The path contains percent-encoded bytes that are not valid UTF-8.');
  return resolved;
}

/**
 * Checks every character and escape, decoding escaped unreserved characters (RFC 3986 §6.2.2.2) and uppercasing the hex of
 * the escapes that stay (§6.2.2.1), so that equivalent spellings compare equal.
 */
function decodeUnreserved(raw: string): NormalizedPath {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    const code = ch.charCodeAt(0);
    // RFC 9112 §3.2 / RFC 3986 §2: a target is visible ASCII. Raw non-ASCII is refused too, because servers disagree on
    // how to decode it (and some fold look-alikes such as U+FF0E to '.').
    if (code <= 0x20 || code >= 0x7f) return refuse('The path contains a control, space or non-ASCII character.');
    // Some upstreams (IIS, Windows file servers) treat '\' as '/'.
    if (ch === '\\') return refuse('The path contains a backslash.');
    if (ch === '?' || ch === '#') return refuse('The path contains a query or fragment delimiter.');
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const hex = raw.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return refuse('The path contains a malformed percent-encoding.');
    i += 2;
    const byte = Number.parseInt(hex, 16);
    // An encoded '/' or '\' is a separator to some upstreams and data to others; '%25' means double encoding, which an
    // upstream that decodes twice would turn into any of the above.
    if (byte === 0x2f || byte === 0x5c) return refuse('The path contains an encoded slash or backslash.');
    if (byte === 0x25) return refuse('The path contains an encoded "%" (double encoding).');
    if (byte <= 0x1f || byte === 0x7f) return refuse('The path contains an encoded control character.');
    const decodedChar = String.fromCharCode(byte);
    out += UNRESERVED.test(decodedChar) ? decodedChar : `%${hex.toUpperCase()}`;
  }
  return { ok: true, path: out };
}

/**
 * RFC 3986 §5.2.4 on a path that starts with '/' and has no empty segments, except that a '..' climbing above the root is
 * refused rather than clamped: a client sending one is confused or probing, and clamping hides which.
 */
function removeDotSegments(path: string): NormalizedPath {
  const input = path.slice(1).split('/');
  const output: string[] = [];
  for (let i = 0; i < input.length; i++) {
    const segment = input[i]!;
    const last = i === input.length - 1;
    // Servlet containers (Tomcat, Jetty) strip ';' path parameters before matching and resolving dots, so
    // '/admin;/x' is '/admin/x' to them but not under '/admin' to a prefix match: a raw ';' is ambiguous.
    if (segment.includes(';')) return refuse('The path contains a ";" (path parameters are ambiguous behind a gateway).');
    if (segment === '.' || segment === '..') {
      if (segment === '..') {
        if (output.length === 0) return refuse('The path climbs above the root.');
        output.pop();
      }
      // §5.2.4 step 2B/2C: a final '.' or '..' leaves the path ending in '/'.
      if (last) output.push('');
      continue;
    }
    output.push(segment);
  }
  return { ok: true, path: `/${output.join('/')}` };
}

/**
 * The bytes the escapes stand for must be UTF-8 (RFC 3987 §3.2). The WHATWG decoder refuses overlong forms, so '%C0%AE'
 * cannot pass as a '.' to an upstream with a lenient decoder.
 */
function escapesAreUtf8(path: string): boolean {
  if (!/%[89A-F]/.test(path)) return true;
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '%') {
      bytes.push(Number.parseInt(path.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(path.charCodeAt(i));
    }
  }
  try {
    utf8.decode(Uint8Array.from(bytes));
    return true;
  } catch {
    return false;
  }
}

// Only ASCII letters fold: a normalised path is ASCII, and Unicode case mapping (e.g. 'K' for U+212A) must not widen a match.
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));

/**
 * True when `path` (already normalised) is `prefix` itself or lies under it: prefix '/api' matches '/api', '/api/', '/api/x'
 * but NOT '/apix'. A prefix '/' matches everything. `caseInsensitive` compares ASCII case-insensitively.
 */
export function pathHasPrefix(path: string, prefix: string, caseInsensitive: boolean): boolean {
  const p = caseInsensitive ? asciiLower(path) : path;
  const pre = caseInsensitive ? asciiLower(prefix) : prefix;
  // A prefix ending in '/' (including '/' itself) already marks the segment boundary.
  if (pre.endsWith('/')) return p.startsWith(pre);
  return p === pre || p.startsWith(`${pre}/`);
}

/** Removes `prefix` (as matched by pathHasPrefix) from `path`, always returning a path beginning with '/'. */
export function stripPathPrefix(path: string, prefix: string): string {
  // Case-insensitive is the looser check, so this accepts whatever either mode of pathHasPrefix matched.
  if (!pathHasPrefix(path, prefix, true)) {
    throw new RangeError(`Path ${JSON.stringify(path)} is not under ${JSON.stringify(prefix)}.`);
  }
  // Keep the boundary '/' of a prefix that ends in one.
  const rest = path.slice(prefix.endsWith('/') ? prefix.length - 1 : prefix.length);
  return rest === '' ? '/' : rest;
}
