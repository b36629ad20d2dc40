import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RandomPool } from './random-pool.ts';

test('every draw is fresh: no 32-byte value repeats across refills, and only the asked-for range is written', () => {
  const pool = new RandomPool();
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const target = Buffer.alloc(40, 0xee);
    pool.fill(target, 5, 32);
    assert.equal(target.subarray(0, 5).toString('hex'), 'ee'.repeat(5));
    assert.equal(target.subarray(37).toString('hex'), 'ee'.repeat(3));
    const value = target.subarray(5, 37).toString('hex');
    assert.ok(!seen.has(value), `draw ${i} repeated an earlier one`);
    seen.add(value);
  }
  // Uneven sizes straddle the refill boundary; larger than the pool goes straight to the CSPRNG.
  const odd = Buffer.alloc(4097);
  for (const size of [7, 4095, 13, 4097]) pool.fill(odd, 0, size);
  assert.ok(odd.some((b) => b !== 0));
});

test('the bytes look uniform: each bit is set about half the time', () => {
  const pool = new RandomPool();
  const target = Buffer.alloc(64 * 1024);
  for (let offset = 0; offset < target.length; offset += 32) pool.fill(target, offset, 32);
  let ones = 0;
  for (const byte of target) for (let bit = 0; bit < 8; bit++) ones += (byte >> bit) & 1;
  const share = ones / (target.length * 8);
  assert.ok(share > 0.49 && share < 0.51, `${share} of the bits are set`);
});
