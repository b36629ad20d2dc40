import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, loadConfig } from './load-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fails(env: Record<string, string>, pattern: RegExp): string {
  let message = '';
  assert.throws(
    () => loadConfig({ env }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      message = err.message;
      return true;
    },
  );
  assert.match(message, pattern);
  assert.doesNotMatch(message, /\n/, 'one line');
  return message;
}

test('defaults match INTERFACES.md', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.httpPort, 8080);
  assert.equal(c.httpsPort, 8443);
  assert.equal(c.mqttPort, 1883);
  assert.equal(c.mqttsPort, 8883);
  assert.equal(c.dataDir, './data');
  assert.equal(c.logLevel, 'info');
  assert.equal(c.publicUrl, undefined);
  assert.equal(c.databaseUrl, undefined);
});

test('environment values are parsed: ports, off, URLs', () => {
  const c = loadConfig({
    env: {
      PORTCULLIS_HTTP_PORT: '0',
      PORTCULLIS_HTTPS_PORT: 'off',
      PORTCULLIS_MQTT_PORT: '1884',
      PORTCULLIS_PUBLIC_URL: 'https://auth.example.com/',
      PORTCULLIS_DATABASE_URL: 'postgres://u:p@db:5432/x',
    },
  });
  assert.equal(c.httpPort, 0);
  assert.equal(c.httpsPort, 'off');
  assert.equal(c.mqttPort, 1884);
  assert.equal(c.publicUrl, 'https://auth.example.com');
  assert.equal(c.databaseUrl, 'postgres://u:p@db:5432/x');
});

test('a bad value names the variable, the value and what is expected', () => {
  fails({ PORTCULLIS_HTTP_PORT: 'eighty' }, /^PORTCULLIS_HTTP_PORT: invalid value \(got "eighty"\); expected a port number/);
  fails({ PORTCULLIS_HTTP_PORT: '70000' }, /PORTCULLIS_HTTP_PORT: invalid value \(got "70000"\)/);
  fails({ PORTCULLIS_HTTPS_PORT: 'of' }, /PORTCULLIS_HTTPS_PORT: .*"off"/);
  fails({ PORTCULLIS_LOG_LEVEL: 'loud' }, /PORTCULLIS_LOG_LEVEL: invalid value \(got "loud"\); expected one of fatal, error/);
  fails({ PORTCULLIS_PUBLIC_URL: 'ftp://x' }, /PORTCULLIS_PUBLIC_URL/);
  fails({ PORTCULLIS_PUBLIC_URL: 'https://x.example/?a=b' }, /PORTCULLIS_PUBLIC_URL/);
  fails({ PORTCULLIS_ARGON2_MEMORY_KIB: '1024' }, /PORTCULLIS_ARGON2_MEMORY_KIB: .*OWASP/);
});

test('secret values are never echoed back', () => {
  const m1 = fails(
    { PORTCULLIS_MASTER_KEY: 'not-a-key-hunter2' },
    /^PORTCULLIS_MASTER_KEY: invalid value; expected 32 random bytes/,
  );
  assert.doesNotMatch(m1, /hunter2/);
  const m2 = fails({ PORTCULLIS_ADMIN_KEY: 'short-hunter2' }, /^PORTCULLIS_ADMIN_KEY: invalid value; expected at least 24/);
  assert.doesNotMatch(m2, /hunter2/);
  const m3 = fails(
    { PORTCULLIS_DATABASE_URL: 'mysql://root:hunter2@db' },
    /^PORTCULLIS_DATABASE_URL: invalid value; expected a postgres/,
  );
  assert.doesNotMatch(m3, /hunter2/);
});

test('TLS certificate and key go together', () => {
  fails({ PORTCULLIS_TLS_CERT: '/x.pem' }, /PORTCULLIS_TLS_CERT and PORTCULLIS_TLS_KEY: set both or neither/);
});

test('a config file sets the same keys; the environment wins', () => {
  const yaml = join(dir, 'c.yaml');
  writeFileSync(yaml, 'http_port: 9000\nlog_level: debug\nPORTCULLIS_HTTPS_PORT: off\n');
  const c = loadConfig({ configFile: yaml, env: { PORTCULLIS_LOG_LEVEL: 'warn' } });
  assert.equal(c.httpPort, 9000);
  assert.equal(c.httpsPort, 'off');
  assert.equal(c.logLevel, 'warn');
  const json = join(dir, 'c.json');
  writeFileSync(json, JSON.stringify({ http_port: 9100, data_dir: '/var/lib/portcullis' }));
  const j = loadConfig({ configFile: json });
  assert.equal(j.httpPort, 9100);
  assert.equal(j.dataDir, '/var/lib/portcullis');
});

test('a config file with an unknown key, a bad value or bad syntax stops start-up', () => {
  const unknown = join(dir, 'u.json');
  writeFileSync(unknown, JSON.stringify({ http_prot: 1 }));
  assert.throws(() => loadConfig({ configFile: unknown }), /unknown setting "http_prot"/);
  const bad = join(dir, 'b.json');
  writeFileSync(bad, JSON.stringify({ http_port: 'x' }));
  assert.throws(() => loadConfig({ configFile: bad }), /PORTCULLIS_HTTP_PORT: invalid value/);
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{');
  assert.throws(() => loadConfig({ configFile: broken }), /not valid JSON/);
  assert.throws(() => loadConfig({ configFile: join(dir, 'missing.yaml') }), /cannot read the file \(ENOENT\)/);
});

test('PORTCULLIS_TRUST_PROXY takes off, on, hops or a list of proxies', () => {
  assert.equal(loadConfig({ env: {} }).trustProxy, 'off');
  for (const v of ['on', '2', '10.0.0.0/8,192.168.1.1'])
    assert.equal(loadConfig({ env: { PORTCULLIS_TRUST_PROXY: v } }).trustProxy, v);
  fails({ PORTCULLIS_TRUST_PROXY: 'everyone' }, /^PORTCULLIS_TRUST_PROXY: invalid value \(got "everyone"\)/);
});
