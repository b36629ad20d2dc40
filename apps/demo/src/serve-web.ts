import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ErrorCode } from '@portcullis/protocol';
import type { DemoWebConfig } from '../web/demo-config.ts';

export type { DemoWebConfig };

export interface WebServerOptions {
  /** 0 (the default) = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The web app's sources: index.html, styles.css and main.ts (the entry bundled into app.js). */
  webDir: string;
  /** The config served at /catalog/config.json; until there is one (see setConfig) that path is 503. */
  config?: DemoWebConfig;
}

export interface WebServer {
  /** The server's origin, e.g. http://127.0.0.1:PORT; it serves everything under /catalog/. */
  url: string;
  /** `sha256:HEX` of the exact app.js bytes served: the release to register for attestation. */
  bundleDigest: string;
  setConfig(config: DemoWebConfig): void;
  close(): Promise<void>;
}

/** The prefix the gateway routes to this server (`api add /catalog`); it is not stripped. */
export const WEB_PREFIX = '/catalog';

const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Bundles `webDir/main.ts` for browsers, in memory, and names it by its SHA-256. */
export async function bundleWebApp(webDir: string): Promise<{ js: Uint8Array; digest: string }> {
  // Loaded here so that importing this module (the types, the tests) does not load esbuild.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(webDir, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const js = result.outputFiles[0]?.contents;
  if (!js) throw new Error('esbuild produced no output for the web app');
  return { js, digest: `sha256:${createHash('sha256').update(js).digest('hex')}` };
}

/**
 * A static server for the demo web app, reached through the gateway at /catalog/ (same origin as
 * Portcullis, so the app needs no CORS). The bundle is built once at start, so the digest the
 * release is registered with stays the bytes served; the HTML and CSS are read per request.
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { js, digest } = await bundleWebApp(options.webDir);
  let config = options.config;

  const files: Record<string, { file: string; type: string } | undefined> = {
    [`${WEB_PREFIX}/`]: { file: 'index.html', type: 'text/html; charset=utf-8' },
    [`${WEB_PREFIX}/index.html`]: { file: 'index.html', type: 'text/html; charset=utf-8' },
    // The OAuth redirect target: the same page, which reads the code from its query.
    [`${WEB_PREFIX}/callback`]: { file: 'index.html', type: 'text/html; charset=utf-8' },
    [`${WEB_PREFIX}/styles.css`]: { file: 'styles.css', type: 'text/css; charset=utf-8' },
  };

  async function answer(method: string, path: string, res: ServerResponse): Promise<void> {
    if (method !== 'GET' && method !== 'HEAD') {
      sendError(res, 405, 'method_not_allowed', 'use GET', { allow: 'GET, HEAD' });
      return;
    }
    if (path === WEB_PREFIX) {
      res.writeHead(308, { ...SECURITY_HEADERS, location: `${WEB_PREFIX}/` }).end();
      return;
    }
    if (path === `${WEB_PREFIX}/app.js`) {
      send(res, 200, 'text/javascript; charset=utf-8', js, method);
      return;
    }
    if (path === `${WEB_PREFIX}/config.json`) {
      if (!config) sendError(res, 503, 'service_unavailable', 'the demo is still being set up; try again in a moment');
      else send(res, 200, 'application/json; charset=utf-8', Buffer.from(JSON.stringify(config)), method);
      return;
    }
    const entry = files[path];
    if (!entry) {
      sendError(res, 404, 'not_found', 'there is nothing at this path');
      return;
    }
    send(res, 200, entry.type, await readFile(join(options.webDir, entry.file)), method);
  }

  const server = createServer((req, res) => {
    req.resume();
    const path = new URL(req.url ?? '/', 'http://web').pathname;
    answer(req.method ?? 'GET', path, res).catch((err: unknown) => {
      console.error('demo web server: request failed:', err instanceof Error ? err.message : String(err));
      sendError(res, 500, 'server_error', 'the request could not be handled');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port, family } = server.address() as AddressInfo;
  return {
    url: `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`,
    bundleDigest: digest,
    setConfig(next) {
      config = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, type: string, body: Uint8Array, method: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(body.byteLength) });
  res.end(method === 'HEAD' ? undefined : body);
}

function sendError(
  res: ServerResponse,
  status: number,
  error: ErrorCode,
  description: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(JSON.stringify({ error, error_description: description }));
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'content-type': 'application/json; charset=utf-8' });
  res.end(body);
}
