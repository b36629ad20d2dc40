import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forwardedFor } from './forward-request.ts';

test('Forwarded for= (RFC 7239 §6): IPv4 as is; IPv6 bracketed and quoted', () => {
  assert.equal(forwardedFor('203.0.113.7'), '203.0.113.7');
  assert.equal(forwardedFor('2001:db8::1'), '"[2001:db8::1]"');
  assert.equal(forwardedFor('::ffff:127.0.0.1'), '"[::ffff:127.0.0.1]"');
});
