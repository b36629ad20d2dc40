import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizePath, normalizeStepByStep, pathHasPrefix, stripPathPrefix } from './normalize-path.ts';

function accepts(raw: string, expected: string) {
  assert.deepEqual(normalizePath(raw), { ok: true, path: expected }, `${JSON.stringify(raw)} should normalise`);
}

function refuses(raw: string) {
  const result = normalizePath(raw);
  assert.equal(result.ok, false, `${JSON.stringify(raw)} should be refused, got ${JSON.stringify(result)}`);
  if (!result.ok) assert.match(result.reason, /^The path .+\.$/);
}

test('plain paths pass unchanged, trailing slash included', () => {
  accepts('/', '/');
  accepts('/api', '/api');
  accepts('/api/', '/api/');
  accepts('/api/v1/users/42', '/api/v1/users/42');
  accepts("/a-b_c.d~e!$&'()*+,=:@", "/a-b_c.d~e!$&'()*+,=:@");
});

test('only origin-form targets are accepted', () => {
  refuses('');
  refuses('*');
  refuses('api/x');
  refuses('http://example.com/api');
});

test('control characters, spaces, non-ASCII, backslash, "?" and "#" are refused', () => {
  for (const raw of ['/a\u0000', '/a\tb', '/a\nb', '/a\rb', '/a\u001fb', '/a\u007fb', '/a b', '/caf\u00e9', '/a\uff0e\uff0e/b']) {
    refuses(raw);
  }
  refuses('/a\\b');
  refuses('/a\\..\\admin');
  refuses('/a?b=1');
  refuses('/a#frag');
});

test('escaped unreserved characters are decoded and other escapes uppercased (RFC 3986 §6.2.2)', () => {
  accepts('/%7Euser', '/~user');
  accepts('/%7euser', '/~user');
  accepts('/%41%62%2D%5f%30', '/Ab-_0');
  accepts('/a%20b', '/a%20b');
  accepts('/a%3fb%23c%3b', '/a%3Fb%23c%3B');
  accepts('/caf%c3%a9', '/caf%C3%A9');
});

test('malformed escapes are refused', () => {
  for (const raw of ['/%', '/a%', '/%4', '/%4/', '/%G1', '/%1G', '/%%41']) refuses(raw);
});

test('encoded separators, double encoding and encoded control characters are refused', () => {
  for (const raw of ['/api%2Fadmin', '/a%2fb', '/a%5Cb', '/a%5cb', '/a%25', '/api/%252e%252e/']) refuses(raw);
  for (const raw of ['/a%00', '/a%0A', '/a%1F', '/a%7F']) refuses(raw);
});

test('escapes must form valid UTF-8, so overlong dots and stray bytes are refused', () => {
  refuses('/a/%C0%AE%C0%AE/b');
  refuses('/a%80');
  refuses('/a%C3');
  refuses('/a%C3/%A9');
  refuses('/a%ED%A0%80');
  accepts('/%E2%82%AC', '/%E2%82%AC');
});

test('repeated slashes collapse', () => {
  accepts('//api///x', '/api/x');
  accepts('//', '/');
  accepts('/api//', '/api/');
  accepts('/a//../b', '/b');
});

test('dot segments are removed (RFC 3986 §5.2.4), including ones spelled with escapes', () => {
  accepts('/api/../admin', '/admin');
  accepts('/api/%2e%2e/admin', '/admin');
  accepts('/api/%2E./admin', '/admin');
  accepts('/a/%2e%2e/b', '/b');
  accepts('/a/./b', '/a/b');
  accepts('/a/./b/.', '/a/b/');
  accepts('/a/b/..', '/a/');
  accepts('/a/..', '/');
  accepts('/.', '/');
  accepts('/./', '/');
  accepts('/a/b/../../c', '/c');
  accepts('/a/.../b', '/a/.../b');
  accepts('/a/..b/.c', '/a/..b/.c');
});

test('a ".." climbing above the root is refused, not clamped', () => {
  for (const raw of ['/..', '/../', '/../admin', '/a/../..', '/a/../../b', '/%2e%2e/admin', '//../admin']) refuses(raw);
});

test('raw ";" path parameters are refused (servlet containers strip ";..." before matching)', () => {
  for (const raw of [
    '/api/..;/admin',
    '/api/.;/admin',
    '/api/..;x/admin',
    '/api/%2e%2e;/admin',
    '/a/.;',
    '/admin;/x',
    '/api;v=1/x',
  ])
    refuses(raw);
  accepts('/a/%2E%2E%3B/b', '/a/..%3B/b');
});

test('paths longer than 8192 characters are refused', () => {
  const atLimit = `/${'a'.repeat(8191)}`;
  accepts(atLimit, atLimit);
  refuses(`/${'a'.repeat(8192)}`);
});

test('normalisation is idempotent', () => {
  for (const raw of ['/api/%2e%2e/admin/', '/%7euser//x/./y/..', '/a%3fb', '/caf%c3%a9/']) {
    const once = normalizePath(raw);
    assert.ok(once.ok);
    assert.deepEqual(normalizePath(once.path), once);
  }
});

test('pathHasPrefix matches whole segments only', () => {
  assert.equal(pathHasPrefix('/api', '/api', false), true);
  assert.equal(pathHasPrefix('/api/', '/api', false), true);
  assert.equal(pathHasPrefix('/api/x', '/api', false), true);
  assert.equal(pathHasPrefix('/apix', '/api', false), false);
  assert.equal(pathHasPrefix('/ap', '/api', false), false);
  assert.equal(pathHasPrefix('/api/x', '/api/', false), true);
  assert.equal(pathHasPrefix('/api', '/api/', false), false);
  assert.equal(pathHasPrefix('/api/v1/x', '/api/v1', false), true);
  assert.equal(pathHasPrefix('/api/v10', '/api/v1', false), false);
});

test('prefix "/" matches every path', () => {
  for (const path of ['/', '/x', '/api/v1/']) assert.equal(pathHasPrefix(path, '/', false), true);
});

test('pathHasPrefix case sensitivity is ASCII-only and opt-in', () => {
  assert.equal(pathHasPrefix('/API/x', '/api', false), false);
  assert.equal(pathHasPrefix('/API/x', '/api', true), true);
  assert.equal(pathHasPrefix('/api', '/Api', true), true);
  assert.equal(pathHasPrefix('/APIX', '/api', true), false);
  // U+212A KELVIN SIGN lowercases to 'k' under Unicode rules; it must not match here.
  assert.equal(pathHasPrefix('/\u212Aey', '/key', true), false);
});

test('stripPathPrefix leaves a path starting with "/"', () => {
  assert.equal(stripPathPrefix('/api/v1/x', '/api'), '/v1/x');
  assert.equal(stripPathPrefix('/api', '/api'), '/');
  assert.equal(stripPathPrefix('/api/', '/api'), '/');
  assert.equal(stripPathPrefix('/x', '/'), '/x');
  assert.equal(stripPathPrefix('/', '/'), '/');
  assert.equal(stripPathPrefix('/api/v1/x', '/api/'), '/v1/x');
  assert.equal(stripPathPrefix('/API/v1', '/api'), '/v1');
});

test('stripPathPrefix refuses a path that is not under the prefix', () => {
  assert.throws(() => stripPathPrefix('/apix', '/api'), RangeError);
  assert.throws(() => stripPathPrefix('/other', '/api'), RangeError);
});

test('fuzzed paths: never throws; an accepted path is canonical, idempotent and decodes to the same resource', () => {
  // A seeded generator (xorshift32), so a failure names a reproducible input.
  let state = 0x9e3779b9;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const atoms = [
    '/',
    '//',
    '.',
    '..',
    '%2e',
    '%2E%2e',
    '%2f',
    '%5c',
    '%25',
    '%',
    '%4',
    '%zz',
    '%c3%a9',
    '%c0%ae',
    'a',
    'Z',
    '~',
    ';',
    '?',
    '#',
    '\\',
    ' ',
    '\u0000',
    'é',
    'api',
    '%7E',
    '%41',
  ];
  for (let i = 0; i < 20_000; i++) {
    let raw = '/';
    const length = 1 + Math.floor(next() * 12);
    for (let j = 0; j < length; j++) raw += atoms[Math.floor(next() * atoms.length)];
    const result = normalizePath(raw);
    if (!result.ok) {
      assert.equal(typeof result.reason, 'string', raw);
      continue;
    }
    const { path } = result;
    assert.ok(path.startsWith('/'), raw);
    assert.ok(!path.includes('//'), `${raw} → ${path}`);
    assert.ok(!/(^|\/)\.\.?(\/|$)/.test(path), `${raw} → ${path}: dot segment left`);
    assert.ok(!/%(2[fF]|5[cC]|25)/.test(path), `${raw} → ${path}: encoded separator left`);
    assert.ok(!/[\\;?#\s]/.test(path), `${raw} → ${path}`);
    assert.deepEqual(normalizePath(path), { ok: true, path }, `${raw}: not idempotent`);
  }
});

test('the shortcut for paths already in normal form answers as the full algorithm does', () => {
  // Random paths from pieces that exercise every step (escapes, dots, empty segments, ';', case).
  const pieces = ['/', '/', 'a', 'Z', '9', '.', '..', '-', '_', '~', '%2e', '%41', '%2F', ';', '//', '%C3%A9', '!', ':'];
  let seed = 42;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  let shortcuts = 0;
  for (let n = 0; n < 20_000; n++) {
    let raw = '/';
    const length = next() % 9;
    for (let i = 0; i < length; i++) raw += pieces[next() % pieces.length];
    const fast = normalizePath(raw);
    assert.deepEqual(fast, normalizeStepByStep(raw), JSON.stringify(raw));
    if (fast.ok && fast.path === raw) shortcuts++;
  }
  // Both kinds of path were drawn: some already normal, most not.
  assert.ok(shortcuts > 500 && shortcuts < 19_000, `${shortcuts} of 20000 paths were already normal`);
});
