import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { normalizeSerial, parseRevocationStatusList } from './revocation-status-list.ts';

const STATUS = new URL('../../../../../../shared/fixtures/attestation/android/status.json', import.meta.url);

describe('parseRevocationStatusList', () => {
  it('reads every entry of the sample list, SUSPENDED as well as REVOKED', () => {
    const serials = parseRevocationStatusList(JSON.parse(readFileSync(STATUS, 'utf8')));
    assert.deepEqual(
      [...serials].sort(),
      [
        '11244410301401252959',
        '6681152659205225093',
        '8350192447815228107',
        '9408173275444922801',
        'cc66e9a93713b6e643b26c15879786f7',
      ].sort(),
    );
  });

  it('refuses a list that does not have the published shape', () => {
    for (const bad of [null, [], {}, { entries: [] }, { entries: { ABC: { status: 'REVOKED' } } }, { entries: { abc: {} } }]) {
      assert.throws(() => parseRevocationStatusList(bad), TypeError, JSON.stringify(bad));
    }
    assert.throws(() => parseRevocationStatusList({ entries: { abc: { status: 'VALID' } } }), TypeError);
  });

  it('an empty list revokes nothing', () => {
    assert.equal(parseRevocationStatusList({ entries: {} }).size, 0);
  });
});

describe('normalizeSerial', () => {
  it('writes serials the way the list does', () => {
    assert.equal(normalizeSerial('0388266760658996857D'), '388266760658996857d');
    assert.equal(normalizeSerial('01'), '1');
    assert.equal(normalizeSerial('00'), '0');
    assert.throws(() => normalizeSerial('xyz'), TypeError);
  });
});
