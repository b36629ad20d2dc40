import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isErrorCode, SDK_VERSION } from './index.ts';

test('the SDK exposes its version and the shared error vocabulary', () => {
  assert.match(SDK_VERSION, /^\d+\.\d+\.\d+$/);
  assert.equal(isErrorCode('invalid_token'), true);
  assert.equal(isErrorCode('Invalid Token'), false);
  assert.equal(isErrorCode(42), false);
});
