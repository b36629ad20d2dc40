import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { Pool } from 'undici';
import { GatewayError } from './gateway-error.ts';
import type { GatewayRequest } from './gateway-request.ts';
import { stripPathPrefix } from './normalize-path.ts';

// RFC 9110 §7.6.1: connection-specific fields are never forwarded (plus Host, which is the upstream's).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);
/**
 * What a client could forge to impersonate someone to the upstream, or that carries its proof
 * material: identity and forwarding headers (the gateway sets its own), client-certificate headers
 * other proxies use (RFC 9440 and vendor forms), the DPoP proof and the attestation token.
 */
const GATEWAY_OWNED = new Set([
  'forwarded',
  'x-real-ip',
  'x-request-id',
  'dpop',
  'portcullis-attestation',
  'client-cert',
  'client-cert-chain',
  'x-client-cert',
  'x-client-verify',
  'x-client-dn',
  'ssl-client-cert',
  'x-ssl-cert',
  'x-arr-clientcert',
  'x-amzn-mtls-clientcert',
]);
const GATEWAY_OWNED_PREFIXES = ['x-forwarded-', 'x-portcullis-', 'x-ssl-client-', 'ssl-client-'];

function isGatewayOwned(name: string): boolean {
  return GATEWAY_OWNED.has(name) || GATEWAY_OWNED_PREFIXES.some((p) => name.startsWith(p));
}

/** RFC 7239 §6: an IPv6 node is quoted and bracketed; §4: a value with other characters is quoted. */
export function forwardedFor(ip: string): string {
  return ip.includes(':') ? `"[${ip}]"` : ip;
}

const NONE: ReadonlySet<string> = new Set();

/** The field names a Connection header lists (RFC 9110 §7.6.1), lowercased. */
function listed(connection: string | string[] | undefined): ReadonlySet<string> {
  // The usual values name no other field.
  if (connection === undefined || connection === 'keep-alive' || connection === 'close') return NONE;
  return new Set(
    String(connection)
      .toLowerCase()
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** What the gateway adds to the upstream request after every check passed. */
export interface Additions {
  /** Identity headers or the identity JWT, and injected secrets; these replace any same-named header. */
  headers: [string, string][];
}

/**
 * The request headers the upstream gets: the client's, minus hop-by-hop fields, any field named in
 * Connection, everything the gateway owns, and Authorization unless the route leaves
 * authorization to the upstream; then Forwarded, X-Request-Id and the additions.
 */
export function upstreamHeaders(g: GatewayRequest, additions: Additions): string[] {
  const raw = g.req.rawHeaders;
  const connectionNamed = listed(g.req.headers.connection);
  const replaced = additions.headers.length === 0 ? NONE : new Set(additions.headers.map(([name]) => name.toLowerCase()));
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (HOP_BY_HOP.has(name) || connectionNamed.has(name) || isGatewayOwned(name) || replaced.has(name)) continue;
    if (name === 'authorization' && g.route.auth !== 'off') continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  const host = g.req.headers.host ?? g.host;
  out.push('forwarded', `for=${forwardedFor(g.ip)};host="${host.replaceAll('"', '')}";proto=${g.proto}`);
  out.push('x-request-id', g.requestId);
  for (const [name, value] of additions.headers) out.push(name, value);
  return out;
}

/**
 * Response fields the client gets: everything but connection-specific ones (RFC 9110 §7.6.1), and
 * the request id unless the upstream answered with its own.
 */
function downstreamHeaders(headers: IncomingHttpHeaders, requestId: string): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  const connectionNamed = listed(headers.connection);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || connectionNamed.has(name)) continue;
    out[name] = value;
  }
  out['x-request-id'] ??= requestId;
  return out;
}

class BodyTooLarge extends Error {}

/** The request body, streamed, refused as soon as it passes the route's limit. */
async function* limitedBody(g: GatewayRequest): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of g.req) {
    seen += (chunk as Buffer).length;
    if (seen > g.route.body_limit) throw new BodyTooLarge();
    yield chunk as Buffer;
  }
}

function hasBody(g: GatewayRequest): boolean {
  const { headers } = g.req;
  if (headers['transfer-encoding'] !== undefined) return true;
  return headers['content-length'] !== undefined && headers['content-length'] !== '0';
}

/**
 * Streams requests to upstreams and their answers back through keep-alive pools (one per upstream
 * origin); bodies are never buffered whole. Upstream refusing or failing → 502, not answering in
 * the route's time → 504; the client sees a generic error with the request id, the log the cause.
 */
export class Forwarder {
  readonly #pools = new Map<string, Pool>();
  readonly #upstreams = new Map<string, { origin: string; base: string }>();
  /** undici is loaded on the first forwarded request, so a server with no routes does not carry it. */
  #undici: Promise<typeof import('undici')> | undefined;

  /** An upstream URL's origin and base path ('' for none), parsed once. */
  #upstreamOf(url: string): { origin: string; base: string } {
    let parsed = this.#upstreams.get(url);
    if (!parsed) {
      const u = new URL(url);
      parsed = { origin: u.origin, base: u.pathname === '/' ? '' : u.pathname };
      this.#upstreams.set(url, parsed);
    }
    return parsed;
  }

  #pool(origin: string): Pool | Promise<Pool> {
    const pool = this.#pools.get(origin);
    if (pool) return pool;
    this.#undici ??= import('undici');
    return this.#undici.then(({ Pool }) => {
      let created = this.#pools.get(origin);
      if (!created) {
        created = new Pool(origin, { connect: { timeout: 10_000 }, keepAliveTimeout: 10_000 });
        this.#pools.set(origin, created);
      }
      return created;
    });
  }

  async forward(g: GatewayRequest, additions: Additions, onUpstreamError: (err: unknown) => void): Promise<number> {
    const contentLength = Number(g.req.headers['content-length'] ?? 0);
    if (contentLength > g.route.body_limit)
      throw new GatewayError(413, 'payload_too_large', `this API accepts request bodies up to ${g.route.body_limit} bytes`);
    const upstream = this.#upstreamOf(g.route.upstream);
    const tail = g.route.strip_prefix ? stripPathPrefix(g.path, g.route.path_prefix) : g.path;
    const { res } = g;
    // One 'close' listener for the whole exchange. Before the upstream answers, a client gone
    // drops the answer to come (the upstream request ends at the latest at the route's timeout; a
    // streamed upload ends with the client's stream); after, it ends the piping of the answer.
    let gone = false;
    let streaming: { body: Readable; done: () => void } | undefined;
    res.once('close', () => {
      if (!streaming) {
        gone = true;
        return;
      }
      if (!res.writableFinished) streaming.body.destroy();
      streaming.done();
    });
    let answer: Awaited<ReturnType<Pool['request']>>;
    try {
      answer = await (await this.#pool(upstream.origin)).request({
        path: `${upstream.base}${tail}${g.query}`,
        method: (g.req.method ?? 'GET') as 'GET',
        headers: upstreamHeaders(g, additions),
        body: hasBody(g) ? Readable.from(limitedBody(g), { objectMode: false }) : null,
        headersTimeout: g.route.timeout_ms,
        bodyTimeout: g.route.timeout_ms,
      });
    } catch (err) {
      if (err instanceof BodyTooLarge || (err as { cause?: unknown }).cause instanceof BodyTooLarge)
        throw new GatewayError(413, 'payload_too_large', `this API accepts request bodies up to ${g.route.body_limit} bytes`);
      if (gone) return 499;
      onUpstreamError(err);
      const code = (err as { code?: unknown }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
        throw new GatewayError(504, 'gateway_timeout', 'the API did not answer in time');
      throw new GatewayError(502, 'bad_gateway', 'the API could not be reached');
    }
    const { body, statusCode } = answer;
    if (gone) {
      body.on('error', () => {}); // destroying it reports an abort: expected, nobody is listening
      body.destroy();
      return 499;
    }
    res.writeHead(statusCode, downstreamHeaders(answer.headers, g.requestId));
    // Plain pipe, not stream.pipeline(): pipeline builds an AbortController and a DOMException
    // per stream (measured ~30 µs a request); the listeners here are all the care it needs.
    return new Promise<number>((resolve) => {
      streaming = { body, done: () => resolve(statusCode) };
      body.on('error', (err) => {
        // Headers are sent: all that is left is to cut the connection so the client sees it incomplete.
        if (!res.destroyed) onUpstreamError(err);
        res.destroy();
      });
      body.pipe(res);
    });
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }
}
