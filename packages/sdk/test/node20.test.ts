import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { adminOk, type Portcullis, startPortcullis } from './start-portcullis.ts';

// The SDK promises Node 20+. The project runs on Node 24, so this bundles the SDK as a published
// build would be (esbuild, target node20) and runs it under the machine's Node 20 against the
// real server: attestation, the password grant, a protected call through the gateway, a secret.

const NODE20 = process.env.PORTCULLIS_TEST_NODE20 ?? '/usr/bin/node';
const run = promisify(execFile);

async function nodeMajor(path: string): Promise<number | null> {
  if (!existsSync(path)) return null;
  const { stdout } = await run(path, ['--version']);
  return Number(/^v(\d+)\./.exec(stdout.trim())?.[1] ?? Number.NaN);
}

const major = await nodeMajor(NODE20);
const SKIP = major === 20 ? false : `no Node 20 at ${NODE20} (set PORTCULLIS_TEST_NODE20): the Node 20 check was skipped`;

const SCRIPT = `
import { createPortcullis } from './sdk.mjs';
import { nodePlatform } from './node.mjs';
const [config, dir] = process.argv.slice(2);
const app = { id: 'com.example.twenty', release: 'sha256:${'2a'.repeat(32)}' };
const portcullis = createPortcullis(config, { app, scope: 'openid catalog', platform: nodePlatform({ dir }) });
const session = await portcullis.signInWithPassword('erin', 'erin has a long password');
const response = await portcullis.fetch('/catalog/items');
const secret = await portcullis.getSecret('twenty-key');
await portcullis.logout();
console.log(JSON.stringify({ node: process.version, tokenType: session.tokenType, status: response.status, secret }));
`;

describe('SDK on Node 20', { skip: SKIP }, () => {
  let server: Portcullis;
  let dir: string;
  let config: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-sdk-node20-'));
    server = await startPortcullis();
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    await Promise.all(
      ['index', 'node'].map((name) =>
        build({
          entryPoints: [join(src, `${name}.ts`)],
          outfile: join(dir, name === 'index' ? 'sdk.mjs' : 'node.mjs'),
          bundle: true,
          platform: 'node',
          format: 'esm',
          target: 'node20',
          // undici's CommonJS inside an ES module bundle needs a require.
          banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
          logLevel: 'silent',
        }),
      ),
    );
    await writeFile(join(dir, 'main.mjs'), SCRIPT);
    await adminOk(server, 'POST', '/users', { username: 'erin', password: 'erin has a long password' });
    await adminOk(server, 'POST', '/apps', { app_id: 'com.example.twenty', digest: `sha256:${'2a'.repeat(32)}` });
    await adminOk(server, 'POST', '/secrets', { name: 'twenty-key', value: 'twenty-value', app_id: 'com.example.twenty' });
    await adminOk(server, 'POST', '/apis', {
      match: '/catalog',
      upstream: server.ready.http,
      strip_prefix: true,
      scopes: ['catalog'],
    });
    const client = await adminOk(server, 'POST', '/clients', {
      name: 'Twenty',
      type: 'public',
      grant_types: ['password', 'refresh_token'],
      scopes: ['openid', 'catalog'],
      first_party: true,
      require_attestation: true,
      attestation_app_ids: ['com.example.twenty'],
    });
    config = (await adminOk(server, 'GET', `/sdk-config?client_id=${client.client_id as string}`)).config as string;
  });

  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('attests, signs in, calls through the gateway and decrypts a secret', async () => {
    const { stdout } = await run(NODE20, [join(dir, 'main.mjs'), config, join(dir, 'app')], { cwd: dir });
    const result = JSON.parse(stdout) as { node: string; tokenType: string; status: number; secret: string };
    assert.match(result.node, /^v20\./);
    assert.equal(result.tokenType, 'DPoP');
    // The route forwards to the server's own HTTP port, which has no /items: a 404 from upstream
    // means every gateway check (token, attestation, DPoP binding) passed.
    assert.equal(result.status, 404);
    assert.equal(result.secret, 'twenty-value');
  });
});
