import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiRouteView } from '@portcullis/protocol';
import { answer, basic, type OAuthServer, postForm } from '../oauth/start-oauth-server.ts';

/** What the upstream saw of one request. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

export interface Upstream {
  url: string;
  seen: Seen[];
  last(): Seen;
  close(): Promise<void>;
}

/**
 * A real HTTP server standing in for a company API. By default it answers 200 with a small JSON
 * document; `handler` takes over when given (slow answers, streaming).
 */
export async function startUpstream(
  handler?: (req: IncomingMessage, res: ServerResponse, seen: Seen[]) => void | Promise<void>,
): Promise<Upstream> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    if (handler) {
      void handler(req, res, seen);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'books', connection: 'keep-alive' });
      res.end(JSON.stringify({ ok: true, path: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    last() {
      const s = seen.at(-1);
      assert.ok(s, 'the upstream saw no request');
      return s;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Adds a protected API route through the admin API; it must succeed. */
export async function addRoute(server: OAuthServer, body: Record<string, unknown>): Promise<ApiRouteView> {
  const res = await answer(await server.adminRequest('POST', '/apis', body));
  assert.equal(res.status, 201, res.text);
  return res.json as unknown as ApiRouteView;
}

/** A confidential client-credentials client with `scopes`, and a way to get tokens for it. */
export async function serviceClient(
  server: OAuthServer,
  scopes: string[],
  extra: Record<string, unknown> = {},
): Promise<{ clientId: string; secret: string; token(scope?: string, headers?: Record<string, string>): Promise<string> }> {
  const client = await server.createClient({
    name: 'service',
    type: 'confidential',
    grant_types: ['client_credentials'],
    scopes,
    token_endpoint_auth_method: 'client_secret_basic',
    ...extra,
  });
  const secret = String(client.client_secret);
  return {
    clientId: client.client_id,
    secret,
    async token(scope = scopes.join(' '), headers = {}) {
      const res = await postForm(
        `${server.issuer}/oauth/token`,
        { grant_type: 'client_credentials', scope },
        { ...basic(client.client_id, secret), ...headers },
      );
      assert.equal(res.status, 200, res.text);
      return String(res.json?.access_token);
    },
  };
}

/** Registers an app release so its instances can attest. */
export async function registerApp(server: OAuthServer, appId: string, digest: string): Promise<void> {
  const res = await answer(await server.adminRequest('POST', '/apps', { app_id: appId, digest }));
  assert.equal(res.status, 201, res.text);
}
