import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliResult, findFreePort, runCli, spawnServer } from '@portcullis/cli/spawn';
import { startProductsApi } from './products-api.ts';
import { API_PREFIX, APP_ID, provisionDemo, SCOPE } from './provision-demo.ts';
import { type DemoWebConfig, startWebServer, WEB_PREFIX } from './serve-web.ts';

/** The web app's sources (index.html, styles.css, main.ts). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));
const LOOPBACK = '127.0.0.1';

export interface DemoOptions {
  /** The server's data directory; default a fresh temporary one, removed on close. */
  dataDir?: string;
  /** The gateway's HTTP port; 0 = any free port (the default). */
  httpPort?: number;
  /** Seconds an access token lives (at least 30); default the server's 900. */
  accessTokenLifetime?: number;
  /** Progress lines and the server's own output. */
  log?: (line: string) => void;
  /** Register no release of the web app, so its attestation fails with `app_unregistered`. */
  unregisteredRelease?: boolean;
  /** Default apps/demo/web. */
  webDir?: string;
  /** The server's PORTCULLIS_LOG_LEVEL; default warn. */
  logLevel?: string;
}

export interface Demo {
  /** The web app, through the gateway: ISSUER/catalog/. */
  url: string;
  issuer: string;
  adminKey: string;
  login: { username: string; password: string };
  /** The products API itself (behind the gateway), for showing that it refuses direct calls. */
  productsUrl: string;
  /** What the web app gets at /catalog/config.json. */
  webConfig: DemoWebConfig;
  /** Runs `portcullis ARGS` against the demo server with its admin key. */
  cli(args: string[], stdin?: string): Promise<CliResult>;
  close(): Promise<void>;
}

/** Something to undo on close, newest first. */
type Cleanup = () => Promise<void>;

/**
 * Starts the "Catalog of Products" demo: a Portcullis server (`portcullis serve`, HTTP only, on
 * loopback), the products API and the web app's static server behind it, and provisions both
 * through the `portcullis` CLI. The web app is served by the gateway at ISSUER/catalog/ and calls
 * the products API at ISSUER/api/ with a DPoP-bound token and an attestation token.
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const log = options.log ?? (() => {});
  const cleanups: Cleanup[] = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'portcullis-demo-')));
    if (!options.dataDir) cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = options.httpPort ? options.httpPort : await findFreePort(LOOPBACK);
    // 127.0.0.1, not localhost: http redirect URIs must name a loopback IP literal (RFC 8252 §8.3).
    const issuer = `http://${LOOPBACK}:${port}`;
    const adminKey = `pck_demo_${randomBytes(24).toString('base64url')}`;
    const gateway = await spawnServer({
      dataDir,
      port,
      adminKey,
      publicUrl: issuer,
      logLevel: options.logLevel ?? 'warn',
      log,
    });
    cleanups.push(() => gateway.stop());
    log(`Portcullis is ready at ${issuer} (data in ${dataDir})`);

    const apiKey = randomBytes(32).toString('base64url');
    const products = await startProductsApi({ host: LOOPBACK, issuer, apiKey });
    cleanups.push(() => products.close());
    const web = await startWebServer({ host: LOOPBACK, webDir: options.webDir ?? DEFAULT_WEB_DIR });
    cleanups.push(() => web.close());
    log(`products API at ${products.url}, web app at ${web.url}${WEB_PREFIX}/ (bundle ${web.bundleDigest})`);

    const env = { PORTCULLIS_SERVER: issuer, PORTCULLIS_ADMIN_KEY: adminKey };
    const cli = (args: string[], stdin?: string) => runCli(args, stdin === undefined ? { env } : { env, stdin });
    const login = { username: 'alice', password: generatePassword() };
    log('Provisioning through the portcullis CLI:');
    const provisioned = await provisionDemo({
      issuer,
      adminKey,
      cli,
      login,
      webUrl: web.url,
      productsUrl: products.url,
      apiKey,
      release: options.unregisteredRelease ? null : web.bundleDigest,
      accessTokenLifetime: options.accessTokenLifetime,
      log,
    });
    const webConfig: DemoWebConfig = {
      sdkConfig: provisioned.sdkConfig,
      appId: APP_ID,
      release: web.bundleDigest,
      catalogClientId: provisioned.catalogClientId,
      partnerClientId: provisioned.partnerClientId,
      redirectUri: provisioned.redirectUri,
      scope: SCOPE,
      apiBase: `${issuer}${API_PREFIX}`,
      demoUser: login,
    };
    web.setConfig(webConfig);
    return { url: `${issuer}${WEB_PREFIX}/`, issuer, adminKey, login, productsUrl: products.url, webConfig, cli, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Easy to type from the screen: three groups of four hex digits. */
function generatePassword(): string {
  return (randomBytes(6).toString('hex').match(/.{4}/g) ?? []).join('-');
}

function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return 8080;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`PORTCULLIS_HTTP_PORT must be a port number from 0 to 65535, not ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return port;
}

async function main(): Promise<void> {
  const demo = await startDemo({
    httpPort: portFromEnv(process.env.PORTCULLIS_HTTP_PORT),
    log: (line) => console.log(line),
    logLevel: process.env.PORTCULLIS_LOG_LEVEL ?? 'warn',
  });
  console.log(`
Catalog of Products is running.

  Open      ${demo.url}
  Sign in   ${demo.login.username} / ${demo.login.password}

  Try the CLI against it:
    export PORTCULLIS_SERVER=${demo.issuer} PORTCULLIS_ADMIN_KEY=${demo.adminKey}
    npx portcullis api list

Ctrl-C stops everything and deletes the demo's data.`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    demo.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
