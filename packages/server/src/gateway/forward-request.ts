import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
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
class ClientGone extends Error {}

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
 * One request's exchange with its upstream, as an undici dispatch handler. Before the upstream
 * answers, a client gone aborts the upstream request; an upstream failing then is 502 (504 for a
 * timeout) for the client and a log line. After the answer's head is sent, a failure on either
 * side can only cut the connection, so the client sees the answer incomplete.
 */
class Exchange implements Dispatcher.DispatchHandler {
  readonly done: Promise<number>;
  #resolve!: (status: number) => void;
  #reject!: (err: unknown) => void;
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #clientGone = false;
  readonly #g: GatewayRequest;
  readonly #onUpstreamError: (err: unknown) => void;

  constructor(g: GatewayRequest, onUpstreamError: (err: unknown) => void) {
    this.#g = g;
    this.#onUpstreamError = onUpstreamError;
    this.done = new Promise<number>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // One 'close' listener for the whole exchange: the client gone before the answer ends.
    g.res.once('close', () => {
      if (g.res.writableFinished) return;
      this.#clientGone = true;
      this.#controller?.abort(new ClientGone());
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#clientGone) controller.abort(new ClientGone());
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx: interim, not relayed
    this.#g.res.writeHead(statusCode, downstreamHeaders(headers, this.#g.requestId));
    this.#status = statusCode;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // Backpressure: while the client's socket is full, the upstream's socket is not read.
    if (!this.#g.res.write(chunk)) {
      controller.pause();
      this.#g.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, _trailers: IncomingHttpHeaders): void {
    this.#g.res.end();
    this.#resolve(this.#status);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const { res } = this.#g;
    if (this.#status !== 0) {
      // Headers are sent: all that is left is to cut the connection so the client sees it incomplete.
      if (!this.#clientGone) this.#onUpstreamError(err);
      res.destroy();
      this.#resolve(this.#status);
      return;
    }
    if (this.#clientGone) {
      this.#resolve(499);
      return;
    }
    if (err instanceof BodyTooLarge || (err as { cause?: unknown }).cause instanceof BodyTooLarge) {
      this.#reject(
        new GatewayError(413, 'payload_too_large', `this API accepts request bodies up to ${this.#g.route.body_limit} bytes`),
      );
      return;
    }
    this.#onUpstreamError(err);
    const code = (err as { code?: unknown }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
      this.#reject(new GatewayError(504, 'gateway_timeout', 'the API did not answer in time'));
    else this.#reject(new GatewayError(502, 'bad_gateway', 'the API could not be reached'));
  }
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

  /**
   * Sends the request upstream through undici's dispatch: the answer's chunks go straight to the
   * client's response with backpressure (the upstream read pauses while the client's socket is
   * full), with no body stream or pipe per request as Pool.request would build. Resolves with the
   * status once the answer is complete or the exchange ended.
   */
  async forward(g: GatewayRequest, additions: Additions, onUpstreamError: (err: unknown) => void): Promise<number> {
    const contentLength = Number(g.req.headers['content-length'] ?? 0);
    if (contentLength > g.route.body_limit)
      throw new GatewayError(413, 'payload_too_large', `this API accepts request bodies up to ${g.route.body_limit} bytes`);
    const upstream = this.#upstreamOf(g.route.upstream);
    const tail = g.route.strip_prefix ? stripPathPrefix(g.path, g.route.path_prefix) : g.path;
    const pool = this.#pool(upstream.origin);
    const options: Dispatcher.DispatchOptions = {
      path: `${upstream.base}${tail}${g.query}`,
      method: (g.req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: upstreamHeaders(g, additions),
      body: hasBody(g) ? Readable.from(limitedBody(g), { objectMode: false }) : null,
      headersTimeout: g.route.timeout_ms,
      bodyTimeout: g.route.timeout_ms,
    };
    const exchange = new Exchange(g, onUpstreamError);
    (pool instanceof Promise ? await pool : pool).dispatch(options, exchange);
    return exchange.done;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }
}
