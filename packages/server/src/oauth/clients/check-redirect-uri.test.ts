import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ClientType, checkRedirectUriForRegistration, matchRedirectUri } from './check-redirect-uri.ts';

const accepted: [string, ClientType][] = [
  ['https://app.example.com/cb', 'confidential'],
  ['https://app.example.com/cb', 'public'],
  ['https://app.example.com:8443/cb?tenant=a%2Fb', 'confidential'],
  ['com.example.app:/oauth2redirect', 'public'],
  ['com.example.app://callback', 'public'],
  ['http://127.0.0.1/cb', 'public'],
  ['http://127.0.0.1:8080/cb', 'confidential'],
  ['http://[::1]/cb', 'public'],
  ['http://[::1]:4000/cb', 'public'],
];

for (const [uri, type] of accepted) {
  test(`registration accepts ${uri} for a ${type} client`, () => {
    assert.equal(checkRedirectUriForRegistration(uri, type), null);
    assert.equal(matchRedirectUri([uri], uri), uri, 'a registered URI matches itself');
  });
}

const refused: [string, string, ClientType, RegExp][] = [
  ['http non-loopback', 'http://app.example.com/cb', 'confidential', /loopback/],
  ['http private address', 'http://192.168.1.10/cb', 'public', /loopback/],
  ['http://localhost', 'http://localhost:3000/cb', 'public', /localhost.*8252 §8\.3/],
  ['fragment', 'https://app.example.com/cb#x', 'confidential', /fragment/],
  ['empty fragment', 'https://app.example.com/cb#', 'confidential', /fragment/],
  ['wildcard host', 'https://*.example.com/cb', 'confidential', /wildcard/],
  ['wildcard path', 'https://app.example.com/*', 'confidential', /wildcard/],
  ['userinfo', 'https://user:pass@app.example.com/cb', 'confidential', /userinfo/],
  ['empty userinfo', 'https://@app.example.com/cb', 'confidential', /userinfo/],
  ['javascript:', 'javascript:alert(1)', 'public', /javascript:/],
  ['data:', 'data:text/html,hi', 'public', /data:/],
  ['file:', 'file:///etc/passwd', 'public', /file:/],
  ['vbscript:', 'vbscript:msgbox(1)', 'public', /vbscript:/],
  ['single-label custom scheme', 'myapp:/cb', 'public', /reverse domain/],
  ['private-use scheme for confidential', 'com.example.app:/oauth2redirect', 'confidential', /public/],
  ['relative', '/cb', 'public', /absolute/],
  ['.. segment', 'https://app.example.com/a/../cb', 'confidential', /segments/],
  ['. segment', 'https://app.example.com/./cb', 'confidential', /segments/],
  ['encoded .. segment', 'https://app.example.com/a/%2E%2e/cb', 'confidential', /segments/],
  ['.. in an opaque path', 'com.example.app:a/../b', 'public', /segments/],
  ['encoded slash', 'https://app.example.com/cb%2F..%2Fadmin', 'confidential', /encoded slashes/],
  ['encoded backslash', 'https://app.example.com/cb%5cadmin', 'confidential', /encoded slashes/],
  ['backslash', 'https://app.example.com\\@evil.com/cb', 'confidential', /backslash/],
  ['uppercase host', 'https://App.Example.com/cb', 'confidential', /lower-case/],
  ['uppercase scheme', 'HTTPS://app.example.com/cb', 'confidential', /lower-case/],
  ['non-canonical IPv4 loopback', 'http://0x7f.1/cb', 'public', /canonical form: http:\/\/127\.0\.0\.1\/cb/],
  ['non-canonical IPv6 loopback', 'http://[0:0::1]/cb', 'public', /canonical form/],
  ['default port spelled out', 'https://app.example.com:443/cb', 'confidential', /canonical form/],
  ['no path', 'https://app.example.com', 'confidential', /canonical form: https:\/\/app\.example\.com\//],
  ['unicode host', 'https://bücher.example/cb', 'confidential', /canonical form/],
  ['space', 'https://app.example.com/c b', 'confidential', /whitespace/],
  ['tab', 'https://app.example.com/cb\t', 'confidential', /whitespace/],
  ['newline', 'https://app.example.com/cb\n', 'confidential', /whitespace/],
  ['NUL', 'https://app.example.com/cb\u0000', 'confidential', /control/],
  ['over-long', `https://app.example.com/${'a'.repeat(2000)}`, 'confidential', /2000/],
];

for (const [name, uri, type, reason] of refused) {
  test(`registration refuses ${name}`, () => {
    const message = checkRedirectUriForRegistration(uri, type);
    assert.ok(message !== null, `${JSON.stringify(uri)} should be refused`);
    assert.match(message, reason);
    assert.doesNotMatch(message, /\n/, 'one line');
    assert.ok(!message.includes('pass'), 'never echoes userinfo');
  });
}

test('registration accepts exactly 2000 characters', () => {
  const base = 'https://app.example.com/';
  assert.equal(checkRedirectUriForRegistration(base + 'a'.repeat(2000 - base.length), 'confidential'), null);
});

const REGISTERED = 'https://app.example.com/cb';

test('an exact request matches the registered URI', () => {
  assert.equal(matchRedirectUri(['https://other.example.com/cb', REGISTERED], REGISTERED), REGISTERED);
});

const attacks: [string, string][] = [
  ['trailing slash', 'https://app.example.com/cb/'],
  ['case change in path', 'https://app.example.com/CB'],
  ['case change in host', 'https://APP.example.com/cb'],
  ['added query', 'https://app.example.com/cb?x=1'],
  ['empty query', 'https://app.example.com/cb?'],
  ['.. segment', 'https://app.example.com/cb/../cb'],
  ['encoded slash', 'https://app.example.com/cb%2F'],
  ['userinfo prefix', 'https://evil@app.example.com/cb'],
  ['other port', 'https://app.example.com:8443/cb'],
  ['default port spelled out', 'https://app.example.com:443/cb'],
  ['subdomain', 'https://evil.app.example.com/cb'],
  ['suffix domain', 'https://app.example.com.evil.com/cb'],
  ['prefix path', 'https://app.example.com/cb/more'],
  ['fragment', 'https://app.example.com/cb#x'],
  ['empty fragment', 'https://app.example.com/cb#'],
  ['scheme downgrade to http', 'http://app.example.com/cb'],
  ['not a URI', 'not a uri'],
  ['empty', ''],
];

for (const [name, requested] of attacks) {
  test(`matching refuses ${name}`, () => {
    assert.equal(matchRedirectUri([REGISTERED], requested), null);
  });
}

test('an unparseable request never matches, even when registered verbatim', () => {
  assert.equal(matchRedirectUri(['cb'], 'cb'), null);
});

const loopbackMatches: [string, string][] = [
  ['http://127.0.0.1/cb', 'http://127.0.0.1:51234/cb'],
  ['http://[::1]/cb', 'http://[::1]:4000/cb'],
  ['http://127.0.0.1:8080/cb', 'http://127.0.0.1:9090/cb'],
  ['http://127.0.0.1:8080/cb', 'http://127.0.0.1/cb'],
  ['http://127.0.0.1/cb?x=1', 'http://127.0.0.1:5000/cb?x=1'],
];

for (const [registered, requested] of loopbackMatches) {
  test(`loopback: ${requested} matches registered ${registered} (RFC 8252 §7.3)`, () => {
    assert.equal(matchRedirectUri(['https://app.example.com/cb', registered], requested), registered);
  });
}

const loopbackMisses: [string, string][] = [
  ['http://127.0.0.1/cb', 'http://127.0.0.1:5000/cb2'],
  ['http://127.0.0.1/cb', 'http://localhost:5000/cb'],
  ['http://127.0.0.1/cb', 'https://127.0.0.1:5000/cb'],
  ['http://127.0.0.1/cb', 'http://127.0.0.1:5000/cb?x=1'],
  ['http://127.0.0.1/cb', 'http://127.0.0.1:5000/cb?'],
  ['http://127.0.0.1/cb', 'http://127.0.0.1:5000/CB'],
  ['http://127.0.0.1/cb', 'http://127.0.0.1:5000/cb/'],
  ['http://127.0.0.1/cb', 'http://127.0.0.1:5000/cb#x'],
  ['http://127.0.0.1/cb', 'http://127.0.0.1:5000/cb#'],
  ['http://127.0.0.1/cb', 'http://user@127.0.0.1:5000/cb'],
  ['http://127.0.0.1/cb', 'http://@127.0.0.1:5000/cb'],
  ['http://127.0.0.1/cb', 'http://127.0.0.1:5000/x/../cb'],
  ['http://127.0.0.1/cb', 'http://0x7f.1:5000/cb'],
  ['http://127.0.0.1/cb', 'HTTP://127.0.0.1:5000/cb'],
  ['http://127.0.0.1/cb', 'http://[::1]:5000/cb'],
  ['http://[::1]/cb', 'http://127.0.0.1:5000/cb'],
  ['http://127.0.0.1/cb?x=1', 'http://127.0.0.1:5000/cb'],
  ['http://localhost/cb', 'http://localhost:5000/cb'],
  ['https://127.0.0.1/cb', 'https://127.0.0.1:5000/cb'],
  ['https://app.example.com/cb', 'https://app.example.com:5000/cb'],
];

for (const [registered, requested] of loopbackMisses) {
  test(`loopback: ${requested} does not match registered ${registered}`, () => {
    assert.equal(matchRedirectUri([registered], requested), null);
  });
}
