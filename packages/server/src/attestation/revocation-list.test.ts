import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RevocationList, type RevokedSerials } from './revocation-list.ts';

const list = (...serials: string[]) =>
  JSON.stringify({ entries: Object.fromEntries(serials.map((s) => [s, { status: 'REVOKED', reason: 'KEY_COMPROMISE' }])) });
const serialsOf = (r: RevokedSerials) => (r.state === 'loaded' ? [...r.serials].sort() : r.state);

describe('the Android revocation status list source', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let body = list('c8966fcb2fbb0d7d');
  let status = 200;
  let requests = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-revocation-'));
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/attestation/status`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('off: nothing is read and nothing is revoked', async () => {
    assert.deepEqual(await new RevocationList({ source: 'off' }).revokedSerials(), { state: 'off' });
  });

  it('a file: its serials, normalised as X.509 serials are compared', async () => {
    const file = join(dir, 'status.json');
    writeFileSync(file, list('00ff10', 'cc66e9a93713b6e643b26c15879786f7'));
    assert.deepEqual(serialsOf(await new RevocationList({ source: file }).revokedSerials()), [
      'cc66e9a93713b6e643b26c15879786f7',
      'ff10',
    ]);
  });

  it('a URL: fetched once, kept, reloaded in the background when old, the old list answering meanwhile', async () => {
    let now = 1_000_000;
    body = list('aa');
    requests = 0;
    const source = new RevocationList({ source: url, now: () => now, refreshMs: 3_600_000 });
    assert.deepEqual(serialsOf(await source.revokedSerials()), ['aa']);
    now += 3_599_000;
    assert.deepEqual(serialsOf(await source.revokedSerials()), ['aa']);
    assert.equal(requests, 1, 'a fresh list is not fetched again');
    body = list('aa', 'bb');
    now += 2_000;
    assert.deepEqual(serialsOf(await source.revokedSerials()), ['aa'], 'answered from the old list while reloading');
    await waitFor(() => requests === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(serialsOf(await source.revokedSerials()), ['aa', 'bb']);
  });

  it('unreachable, failing or malformed: unavailable (fail closed), with why, and not retried within retryMs', async () => {
    let now = 5_000_000;
    const errors: string[] = [];
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    const closed = new RevocationList({
      source: `http://127.0.0.1:${port}/status`,
      now: () => now,
      onError: (why) => errors.push(why),
    });
    const first = await closed.revokedSerials();
    assert.equal(first.state, 'unavailable');
    assert.match(first.state === 'unavailable' ? first.why : '', /could not be loaded: ECONNREFUSED/);
    assert.equal(errors.length, 1);
    await closed.revokedSerials();
    assert.equal(errors.length, 1, 'no new attempt within a minute');
    now += 60_000;
    await closed.revokedSerials();
    assert.equal(errors.length, 2);

    status = 503;
    const failing = await new RevocationList({ source: url }).revokedSerials();
    assert.match(failing.state === 'unavailable' ? failing.why : '', /HTTP 503/);
    status = 200;
    body = '{"entries": {"not hex": {"status": "REVOKED"}}}';
    const odd = await new RevocationList({ source: url }).revokedSerials();
    assert.match(odd.state === 'unavailable' ? odd.why : '', /not a lower-case hex serial/);
    body = '<html>';
    const html = await new RevocationList({ source: url }).revokedSerials();
    assert.match(html.state === 'unavailable' ? html.why : '', /not JSON/);
    const missing = await new RevocationList({ source: join(dir, 'none.json') }).revokedSerials();
    assert.match(missing.state === 'unavailable' ? missing.why : '', /ENOENT/);
  });

  it('a list whose reloads keep failing is trusted for maxAgeMs only', async () => {
    let now = 9_000_000;
    body = list('aa');
    const source = new RevocationList({ source: url, now: () => now, refreshMs: 1000, maxAgeMs: 10_000, retryMs: 1000 });
    assert.deepEqual(serialsOf(await source.revokedSerials()), ['aa']);
    status = 500;
    now += 5000;
    assert.deepEqual(serialsOf(await source.revokedSerials()), ['aa'], 'a failed reload keeps the last good list');
    now += 5000;
    const expired = await source.revokedSerials();
    assert.equal(expired.state, 'unavailable');
    status = 200;
    now += 1000;
    assert.deepEqual(serialsOf(await source.revokedSerials()), ['aa'], 'a later good load restores it');
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition());
}
