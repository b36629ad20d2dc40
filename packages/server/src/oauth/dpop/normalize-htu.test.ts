import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeHtu } from './normalize-htu.ts';

test('scheme and host lowercase, default port dropped, query and fragment ignored (RFC 9449 §4.3)', () => {
  const expected = 'https://as.example.com/oauth/token';
  for (const htu of [
    'https://as.example.com/oauth/token',
    'HTTPS://AS.Example.COM/oauth/token',
    'https://as.example.com:443/oauth/token',
    'https://as.example.com/oauth/token?x=1#frag',
    'https://as.example.com/oauth/./%74oken',
  ])
    assert.equal(normalizeHtu(htu), expected, htu);
});

test('what differs still differs', () => {
  const token = normalizeHtu('https://as.example.com/oauth/token');
  for (const htu of [
    'http://as.example.com/oauth/token',
    'https://as.example.com:8443/oauth/token',
    'https://as.example.com/oauth/Token',
    'https://as.example.com/oauth/token/',
    'https://evil.example.com/oauth/token',
  ])
    assert.notEqual(normalizeHtu(htu), token, htu);
  assert.equal(normalizeHtu('https://as.example.com/a%2fb'), 'https://as.example.com/a%2Fb', 'reserved escapes stay, uppercased');
});

test('not an http(s) URL: null', () => {
  for (const htu of ['', '/oauth/token', 'ftp://as.example.com/oauth/token', 'javascript:alert(1)'])
    assert.equal(normalizeHtu(htu), null);
});
