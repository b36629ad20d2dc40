import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';
import type { AttestedApp } from '../attestation/index.ts';
import { clientAddress, trustProxyFunction } from '../http/trust-proxy.ts';
import { signJwt } from '../oauth/index.ts';
import type { Services } from '../services.ts';
import type { ApiRoutes } from './api-routes.ts';
import { checkAccessToken } from './check-access-token.ts';
import { checkAttestationToken } from './check-attestation-token.ts';
import { checkBinding } from './check-binding.ts';
import { checkCors } from './check-cors.ts';
import { checkRateLimit } from './check-rate-limit.ts';
import { firstSegment, RESERVED_SEGMENTS } from './check-route-input.ts';
import { type Additions, Forwarder } from './forward-request.ts';
import { type ChallengeScheme, GatewayError } from './gateway-error.ts';
import type { AccessClaims, GatewayRequest } from './gateway-request.ts';
import { InjectedSecrets } from './injected-secrets.ts';
import { normalizePath } from './normalize-path.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { ProofLedger } from './used-proofs.ts';
import { VerifiedTokens } from './verified-tokens.ts';

export const IDENTITY_HEADER = 'X-Portcullis-Identity';
export const IDENTITY_TOKEN_TYP = 'portcullis-identity+jwt';
const IDENTITY_TOKEN_LIFETIME_S = 60;
const MAX_CACHED_TOKENS = 50_000;
const REQUEST_ID = /^[\w.-]{1,64}$/;
const INFO_OR_LOWER = new Set(['info', 'debug', 'trace']);

export interface GatewayOptions {
  services: Services;
  routes: ApiRoutes;
  limiter: RateLimiter;
  /** Spent DPoP proofs: memory, or memory and Redis when several nodes share the load. */
  proofs: ProofLedger;
  log: FastifyBaseLogger;
  /** Runs when the gateway closes (the shared Redis connection). */
  onClose?: (() => Promise<void>) | undefined;
}

/**
 * The protected API routes, in front of Portcullis's own: every request for a route passes, in
 * this order, path normalisation, method, CORS preflight, the route and IP rate limits, the access
 * token, the attestation token, sender binding (one DPoP proof for both), the per-identity rate
 * limits, then goes upstream with identity and injected secrets. Requests for no route (and every
 * path Portcullis serves itself) go on to Fastify untouched.
 */
export class Gateway {
  readonly #services: Services;
  readonly #routes: ApiRoutes;
  readonly #limiter: RateLimiter;
  readonly #log: FastifyBaseLogger;
  readonly #accessTokens = new VerifiedTokens<AccessClaims>(MAX_CACHED_TOKENS);
  readonly #attestations = new VerifiedTokens<AttestedApp>(MAX_CACHED_TOKENS);
  readonly #identityTokens = new VerifiedTokens<string>(MAX_CACHED_TOKENS);
  readonly #proofs: ProofLedger;
  readonly #onClose: (() => Promise<void>) | undefined;
  readonly #secrets: InjectedSecrets;
  readonly #forwarder = new Forwarder();
  #public: { url: string; host: string; origin: string } | undefined;
  /** Which proxies' X-Forwarded-For is believed (PORTCULLIS_TRUST_PROXY), as for every other route. */
  readonly #trustProxy: (address: string, hop: number) => boolean;

  constructor(options: GatewayOptions) {
    this.#services = options.services;
    this.#routes = options.routes;
    this.#limiter = options.limiter;
    this.#proofs = options.proofs;
    this.#onClose = options.onClose;
    this.#log = options.log;
    this.#secrets = new InjectedSecrets(options.services.secrets, options.services.bus);
    this.#trustProxy = trustProxyFunction(options.services.config.trustProxy);
  }

  /** Handles `req` when a protected API route matches it; otherwise calls `next` (Fastify). */
  handle(req: IncomingMessage, res: ServerResponse, next: (req: IncomingMessage, res: ServerResponse) => void): void {
    // Portcullis's own requests (and every request while no route exists) pass straight through.
    if (this.#routes.size === 0) {
      next(req, res);
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const normalized = isReserved(rawPath) ? undefined : normalizePath(rawPath);
    const path = normalized?.ok ? normalized.path : rawPath;
    const host = hostOf(req);
    const match = normalized?.ok && !isReserved(path) ? this.#routes.match(host, path, req.method ?? 'GET') : null;
    if (!normalized || (normalized.ok && !match)) {
      next(req, res);
      return;
    }

    const encrypted = (req.socket as Partial<TLSSocket>).encrypted === true;
    const proto = encrypted ? 'https' : 'http';
    const given = req.headers['x-request-id'];
    const g: GatewayRequest = {
      req,
      res,
      route: match?.route as GatewayRequest['route'],
      requestId: typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID(),
      startedAt: performance.now(),
      path,
      query: q === -1 ? '' : url.slice(q),
      url: `${this.#originFor(host, proto, req)}${path}`,
      host,
      proto,
      ip: clientAddress(req, this.#trustProxy),
      scheme: undefined,
      accessToken: undefined,
      token: undefined,
      app: undefined,
      proofJkt: undefined,
      challenge: challengeFor(match?.route.binding),
    };
    // X-Request-Id goes with each answer's writeHead: a header set before writeHead with an object
    // sends every field of that object through setHeader's checks (measured ~5 µs a request).
    if (!normalized.ok) {
      this.#refuse(g, new GatewayError(400, 'invalid_request', normalized.reason));
      return;
    }
    this.#run(g, match?.methodAllowed ?? false).then(
      (status) => this.#finish(g, 'forwarded', status),
      (err: unknown) => {
        if (err instanceof GatewayError) {
          this.#refuse(g, err);
          return;
        }
        this.#log.error({ reqId: g.requestId, route: g.route.id, err }, 'gateway request failed');
        this.#refuse(g, new GatewayError(500, 'server_error', 'the request could not be handled'));
      },
    );
  }

  async #run(g: GatewayRequest, methodAllowed: boolean): Promise<number> {
    if (!methodAllowed) {
      const error = new GatewayError(405, 'method_not_allowed', `this API accepts ${g.route.methods?.join(', ')}`);
      error.headers.allow = g.route.methods?.join(', ') ?? '';
      throw error;
    }
    const { route } = g;
    if ((route.cors_origins.length > 0 || g.req.method === 'OPTIONS') && checkCors(g)) return 204;
    if (route.rate_limit) await checkRateLimit(g, this.#limiter, true);
    // A check answered from memory returns nothing to wait for; only one that verifies a
    // signature (or asks Redis) returns a promise, so a cached request awaits nothing here.
    const accessChecked = checkAccessToken(g, this.#services, this.#accessTokens);
    if (accessChecked) await accessChecked;
    if (route.attestation !== 'off') {
      const attestationChecked = checkAttestationToken(g, this.#services, this.#attestations);
      if (attestationChecked) await attestationChecked;
    }
    if (
      g.token?.jkt !== undefined ||
      g.token?.x5t !== undefined ||
      g.app !== undefined ||
      g.scheme === 'dpop' ||
      route.binding !== 'none'
    ) {
      const bindingChecked = checkBinding(g, this.#services, this.#proofs);
      if (bindingChecked) await bindingChecked;
    }
    if (route.rate_limit) await checkRateLimit(g, this.#limiter, false);
    const additions = route.identity === 'jwt' || route.inject.length > 0 ? await this.#additions(g) : this.#identityHeaders(g);
    return this.#forwarder.forward(g, additions, (err) =>
      this.#log.warn({ reqId: g.requestId, route: g.route.id, upstream: g.route.upstream, err: String(err) }, 'upstream failed'),
    );
  }

  /** X-Portcullis-* identity headers (`identity: headers`), or none. */
  #identityHeaders(g: GatewayRequest): Additions {
    const headers: [string, string][] = [];
    const { token, app } = g;
    if (g.route.identity !== 'headers') return { headers };
    if (token?.userId) headers.push(['x-portcullis-user', token.userId]);
    if (token) headers.push(['x-portcullis-client', token.clientId], ['x-portcullis-scopes', token.scopes.join(' ')]);
    if (app) headers.push(['x-portcullis-device', app.sub], ['x-portcullis-app', app.app.id]);
    return { headers };
  }

  /** Identity (headers or a signed JWT) and injected secrets: added only once every check has passed. */
  async #additions(g: GatewayRequest): Promise<Additions> {
    const { headers } = this.#identityHeaders(g);
    const { route } = g;
    if (route.identity === 'jwt') {
      headers.push([IDENTITY_HEADER.toLowerCase(), await this.#identityToken(g)]);
    }
    for (const { header, secret } of route.inject) {
      const value = await this.#secrets.value(secret);
      if (value === null) {
        this.#log.error({ reqId: g.requestId, route: route.id, secret }, 'a secret this route injects does not exist');
        throw new GatewayError(503, 'service_unavailable', 'this API is not fully configured; try again later');
      }
      headers.push([header.toLowerCase(), value]);
    }
    return { headers };
  }

  /**
   * A short-lived JWT (signed with the token key, `typ` portcullis-identity+jwt, `aud` the
   * upstream) that lets the upstream verify the gateway vouched for the caller. Reused for the
   * same access and attestation token on the same route while it has over half its life left.
   */
  async #identityToken(g: GatewayRequest): Promise<string> {
    const key = `${g.route.id}:${g.token?.key ?? ''}:${g.app?.jti ?? ''}`;
    const now = Date.now();
    const cached = this.#identityTokens.get(key, now);
    if (cached) return cached;
    const iat = Math.floor(now / 1000);
    const exp = Math.min(iat + IDENTITY_TOKEN_LIFETIME_S, g.token?.exp ?? Number.POSITIVE_INFINITY);
    const payload: Record<string, unknown> = {
      iss: this.#services.publicUrl(),
      aud: new URL(g.route.upstream).origin,
      iat,
      exp,
      jti: randomUUID(),
    };
    if (g.token) {
      payload.sub = g.token.userId ?? g.token.clientId;
      payload.client_id = g.token.clientId;
      payload.scope = g.token.scopes.join(' ');
    }
    if (g.app) payload.device_id = g.app.sub;
    if (g.app) payload.app_id = g.app.app.id;
    const jwt = await signJwt(this.#services.signingKeys.current('token'), IDENTITY_TOKEN_TYP, payload);
    this.#identityTokens.set(key, jwt, (iat + (exp - iat) / 2) * 1000);
    return jwt;
  }

  /** The origin the client addressed: the public URL's when the Host is its host (a TLS proxy may sit in front). */
  #originFor(host: string, proto: string, req: IncomingMessage): string {
    const given = (req.headers.host ?? host).toLowerCase();
    const publicUrl = this.#services.publicUrl();
    if (this.#public?.url !== publicUrl) {
      const parsed = new URL(publicUrl);
      this.#public = { url: publicUrl, host: parsed.host, origin: parsed.origin };
    }
    return given === this.#public.host ? this.#public.origin : `${proto}://${given}`;
  }

  #refuse(g: GatewayRequest, error: GatewayError): void {
    const { res } = g;
    if (res.headersSent) {
      res.destroy();
      this.#finish(g, 'refused', error.status);
      return;
    }
    const body: Record<string, string> = { error: error.code, error_description: error.description };
    if (error.status >= 500) body.request_id = g.requestId;
    const text = JSON.stringify(body);
    res.writeHead(error.status, {
      ...error.headers,
      'x-request-id': g.requestId,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(text);
    // The body was not read; keep-alive is only safe if nothing of it is left on the connection.
    if (!g.req.complete && g.req.readable) g.req.resume();
    this.#finish(g, error.status >= 500 && error.status !== 503 ? 'upstream_error' : 'refused', error.status);
  }

  #finish(g: GatewayRequest, outcome: string, status: number): void {
    const seconds = (performance.now() - g.startedAt) / 1000;
    const route = g.route?.id ?? 'none';
    this.#services.metrics.gatewayRequests.labels({ route, outcome, status_code: String(status) }).observe(seconds);
    if (INFO_OR_LOWER.has(this.#log.level)) {
      this.#log.info(
        {
          reqId: g.requestId,
          route: g.route?.id,
          method: g.req.method,
          path: g.path,
          status,
          ms: Math.round(seconds * 1e4) / 10,
        },
        'gateway request',
      );
    }
  }

  async close(): Promise<void> {
    this.#secrets.close();
    await this.#forwarder.close();
    await this.#limiter.close();
    await this.#onClose?.();
  }
}

/** Paths Portcullis serves itself, and request targets that are not origin-form (RFC 9112 §3.2.1). */
function isReserved(path: string): boolean {
  return !path.startsWith('/') || RESERVED_SEGMENTS.has(firstSegment(path).toLowerCase());
}

/** The Host header's name without its port, lowercased (`[::1]:8080` → `[::1]`). */
function hostOf(req: IncomingMessage): string {
  const host = (req.headers.host ?? '').toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function challengeFor(binding: string | undefined): ChallengeScheme[] {
  if (binding === 'dpop') return ['DPoP'];
  if (binding === 'any') return ['DPoP', 'Bearer'];
  return ['Bearer'];
}
