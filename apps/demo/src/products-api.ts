import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorCode } from '@portcullis/protocol';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { findProduct, PRODUCTS, type Product } from './product-list.ts';

/** What the gateway sends with every request it forwarded (a route with `--identity jwt`). */
export const IDENTITY_HEADER = 'x-portcullis-identity';
export const IDENTITY_TYP = 'portcullis-identity+jwt';
/** The runtime secret the gateway injects (`--inject-secret X-Catalog-Key=catalog-api-key`). */
export const API_KEY_HEADER = 'x-catalog-key';
export const REQUIRED_SCOPE = 'catalog';
/** The gateway's identity JWTs live 60 s; a little clock skew on top. */
const MAX_IDENTITY_AGE_S = 65;

export interface ProductsApiOptions {
  /** 0 (the default) = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The Portcullis issuer whose gateway vouches for callers. */
  issuer: string;
  /** The value the gateway injects in X-Catalog-Key. */
  apiKey: string;
  /** Where the issuer's token keys are; default ISSUER/.well-known/jwks.json (its discovery's jwks_uri). */
  jwksUri?: string;
}

export interface ProductsApi {
  /** The API's origin, e.g. http://127.0.0.1:PORT: the `aud` its identity JWTs must carry. */
  url: string;
  close(): Promise<void>;
}

class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;
  constructor(status: number, code: ErrorCode, description: string, headers: Record<string, string> = {}) {
    super(description);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

interface Caller {
  sub: string;
}

/**
 * The "upstream" behind the Portcullis gateway: a products catalog and per-user favourites. It
 * believes nobody but the gateway: every request needs the gateway's signed identity JWT (who the
 * user is) and the injected API key (that the request came through the gateway at all).
 */
export async function startProductsApi(options: ProductsApiOptions): Promise<ProductsApi> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUri ?? `${options.issuer}/.well-known/jwks.json`));
  const expectedKey = digest(options.apiKey);
  const favourites = new Map<string, Set<string>>();
  let origin = '';

  async function authenticate(req: IncomingMessage): Promise<Caller> {
    const jwt = req.headers[IDENTITY_HEADER];
    if (typeof jwt !== 'string' || jwt === '')
      throw new ApiError(401, 'invalid_token', 'an identity token from the gateway is required');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, jwks, {
        issuer: options.issuer,
        audience: origin,
        typ: IDENTITY_TYP,
        maxTokenAge: MAX_IDENTITY_AGE_S,
        clockTolerance: 5,
        requiredClaims: ['sub', 'iat', 'exp'],
      }));
    } catch (err) {
      // The issuer's keys out of reach is this API's failure (500), not the caller's.
      if (!(err instanceof errors.JOSEError) || err instanceof errors.JWKSTimeout) throw err;
      // The reason (expired, wrong audience, bad signature) is not the caller's business.
      throw new ApiError(401, 'invalid_token', 'the identity token is not valid');
    }
    const given = req.headers[API_KEY_HEADER];
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expectedKey))
      throw new ApiError(403, 'forbidden', 'this API answers only requests that come through the gateway');
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    if (!scopes.includes(REQUIRED_SCOPE))
      throw new ApiError(403, 'insufficient_scope', `the access token needs the ${REQUIRED_SCOPE} scope`);
    return { sub: String(payload.sub) };
  }

  function favouritesOf(caller: Caller): Set<string> {
    let set = favourites.get(caller.sub);
    if (!set) {
      set = new Set();
      favourites.set(caller.sub, set);
    }
    return set;
  }

  function favouritesBody(caller: Caller) {
    const ids = [...favouritesOf(caller)];
    return { ids, products: ids.map((id) => findProduct(id)).filter((p) => p !== undefined) };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://upstream').pathname;
    const caller = await authenticate(req);
    const [, collection, id, extra] = path.split('/');
    if (extra !== undefined || (collection !== 'products' && collection !== 'favourites'))
      throw new ApiError(404, 'not_found', 'there is nothing at this path');
    if (id === undefined) {
      allow(method, ['GET']);
      return send(res, 200, collection === 'products' ? { products: PRODUCTS } : favouritesBody(caller));
    }
    if (collection === 'products') {
      allow(method, ['GET']);
      return send(res, 200, productOr404(id));
    }
    allow(method, ['PUT', 'DELETE']);
    const product = productOr404(id);
    if (method === 'PUT') favouritesOf(caller).add(product.id);
    else favouritesOf(caller).delete(product.id);
    send(res, 200, favouritesBody(caller));
  }

  const server = createServer((req, res) => {
    // The bodies this API takes are empty; anything sent is drained so keep-alive stays safe.
    req.resume();
    route(req, res).catch((err: unknown) => {
      if (err instanceof ApiError) {
        send(res, err.status, { error: err.code, error_description: err.message }, err.headers);
        return;
      }
      // Never log the request itself: its headers carry the identity token and the API key.
      console.error('products API: request failed:', err instanceof Error ? err.message : String(err));
      send(res, 500, { error: 'server_error', error_description: 'the request could not be handled' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port, family } = server.address() as AddressInfo;
  origin = `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
  return {
    url: origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A product by the id in the path (percent-encoded there); 404 for any other. */
function productOr404(segment: string): Product {
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    id = '';
  }
  const product = findProduct(id);
  if (!product) throw new ApiError(404, 'not_found', 'there is no product with this id');
  return product;
}

function allow(method: string, methods: string[]): void {
  const list = methods.join(', ');
  if (!methods.includes(method)) throw new ApiError(405, 'method_not_allowed', `use ${list}`, { allow: list });
}

/** Fixed-length digests, so the comparison is constant-time whatever the lengths. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}
