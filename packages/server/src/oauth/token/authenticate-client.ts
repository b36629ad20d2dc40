import { calculateJwkThumbprint, createLocalJWKSet, type JWK, errors as joseErrors, jwtVerify } from 'jose';
import type { Kysely } from 'kysely';
import { type Database, isUniqueViolation } from '../../db/index.ts';
import { OAuthError } from '../../http/errors.ts';
import type { Client } from '../clients/client.ts';
import type { Clients } from '../clients/clients.ts';
import { type PresentedCertificate, subjectMatches } from '../mtls/client-certificate.ts';
import { type FormBody, param } from './form.ts';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
// RFC 7518 asymmetric algorithms only: never `none`, never an HMAC keyed by something public.
const ASSERTION_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA'];
const MAX_ASSERTION_LIFETIME_S = 300;

export interface ClientAuthContext {
  clients: Clients;
  db: Kysely<Database>;
  issuer: string;
  /** The URL of the endpoint being called; a client assertion may name it or the issuer as `aud`. */
  endpoint: string;
  authorization: string | undefined;
  form: FormBody;
  /** The TLS client certificate of the connection, for tls_client_auth (RFC 8705). */
  certificate: PresentedCertificate | null;
}

function invalidClient(description: string, usedBasic: boolean): OAuthError {
  const error = new OAuthError('invalid_client', description, 401);
  // RFC 6749 §5.2: a failed Authorization-header attempt gets a challenge for that scheme; a client
  // that authenticated in the body (or with a certificate) gets none, as it used no HTTP scheme.
  if (usedBasic) error.headers['www-authenticate'] = 'Basic realm="portcullis"';
  return error;
}

function decodeBasic(header: string): { id: string; secret: string } | null {
  const match = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  // RFC 6749 §2.3.1: id and secret are form-urlencoded before Base64.
  const unform = (s: string) => {
    try {
      return decodeURIComponent(s.replaceAll('+', ' '));
    } catch {
      return null;
    }
  };
  const id = unform(decoded.slice(0, colon));
  const secret = unform(decoded.slice(colon + 1));
  return id === null || secret === null ? null : { id, secret };
}

/**
 * Authenticates the client calling a token-endpoint-style endpoint with the one method it is
 * registered for: client_secret_basic, client_secret_post, private_key_jwt (RFC 7523) or none.
 * RFC 6749 §2.3: a request may use only one method.
 */
export async function authenticateClient(ctx: ClientAuthContext): Promise<Client> {
  const basic = ctx.authorization && /^Basic /i.test(ctx.authorization) ? decodeBasic(ctx.authorization) : undefined;
  const usedBasic = basic !== undefined;
  if (basic === null) throw invalidClient('the Basic credentials are malformed', true);
  const bodySecret = param(ctx.form, 'client_secret');
  const assertion = param(ctx.form, 'client_assertion');
  const assertionType = param(ctx.form, 'client_assertion_type');
  const bodyId = param(ctx.form, 'client_id');
  const methods = [
    basic ? 'basic' : null,
    bodySecret !== undefined ? 'post' : null,
    assertion !== undefined ? 'jwt' : null,
  ].filter(Boolean);
  if (methods.length > 1) throw new OAuthError('invalid_request', 'use exactly one client authentication method');

  if (assertion !== undefined) {
    if (assertionType !== JWT_BEARER_ASSERTION)
      throw new OAuthError('invalid_request', `client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
    return verifyAssertion(ctx, assertion, bodyId);
  }
  const clientId = basic ? basic.id : bodyId;
  if (!clientId) throw invalidClient('client authentication is required', usedBasic);
  if (basic && bodyId !== undefined && bodyId !== basic.id)
    throw new OAuthError('invalid_request', 'client_id does not match the authenticated client');
  const client = ctx.clients.find(clientId);
  // The same answer whether the client is unknown or the secret wrong.
  if (!client) throw invalidClient('client authentication failed', usedBasic);
  const presented = basic ? 'client_secret_basic' : bodySecret !== undefined ? 'client_secret_post' : 'none';
  // RFC 8705 §2: a certificate-authenticated client sends only its client_id in the request.
  if (presented === 'none' && (client.authMethod === 'tls_client_auth' || client.authMethod === 'self_signed_tls_client_auth')) {
    if (!(await certificateAuthenticates(client, ctx.certificate))) throw invalidClient('client authentication failed', false);
    return client;
  }
  // The same answer as for an unknown client: a wrong method must not confirm the client exists.
  if (client.authMethod !== presented) throw invalidClient('client authentication failed', usedBasic);
  if (presented === 'none') return client;
  const secret = basic ? basic.secret : (bodySecret as string);
  if (!ctx.clients.secretMatches(client, secret)) throw invalidClient('client authentication failed', usedBasic);
  return client;
}

async function verifyAssertion(ctx: ClientAuthContext, assertion: string, bodyId: string | undefined): Promise<Client> {
  let claims: unknown;
  try {
    const [, payload] = assertion.split('.');
    claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
  } catch {
    throw invalidClient('the client assertion is not a JWT', false);
  }
  if (typeof claims !== 'object' || claims === null) throw invalidClient('the client assertion is not a JWT', false);
  const clientId = (claims as { sub?: unknown }).sub;
  if (typeof clientId !== 'string' || (bodyId !== undefined && bodyId !== clientId))
    throw invalidClient('client authentication failed', false);
  const client = ctx.clients.find(clientId);
  if (client?.authMethod !== 'private_key_jwt' || !client.jwks) throw invalidClient('client authentication failed', false);
  let payload: { jti?: unknown; exp?: unknown; iat?: unknown };
  try {
    // RFC 7523 §3: iss = sub = client_id, aud names this server, exp present; signature by a registered key.
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks), {
      issuer: clientId,
      subject: clientId,
      audience: [ctx.issuer, ctx.endpoint],
      algorithms: ASSERTION_ALGS,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: 5,
    }));
  } catch (err) {
    const why = err instanceof joseErrors.JOSEError ? err.code : 'invalid';
    throw invalidClient(`the client assertion was rejected (${why})`, false);
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.exp !== 'number' || payload.exp - now > MAX_ASSERTION_LIFETIME_S) {
    throw invalidClient(`the client assertion must expire within ${MAX_ASSERTION_LIFETIME_S} seconds`, false);
  }
  try {
    // RFC 7523 §3 item 7: a jti is accepted once (per client) until the assertion expires.
    await ctx.db
      .insertInto('oauth_used_jtis')
      .values({ jti: `${clientId}:${String(payload.jti)}`, expires_at: payload.exp * 1000 })
      .execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw invalidClient('the client assertion was already used', false);
    throw err;
  }
  return client;
}

/**
 * RFC 8705 §2.1 (PKI: a chain to a trusted CA and the registered subject DN) and §2.2 (self-signed:
 * the certificate's key is one the client registered). Either way the certificate must be current.
 */
async function certificateAuthenticates(client: Client, presented: PresentedCertificate | null): Promise<boolean> {
  if (!presented) return false;
  const now = Date.now();
  if (Date.parse(presented.cert.validFrom) > now || Date.parse(presented.cert.validTo) < now) return false;
  if (client.authMethod === 'tls_client_auth') {
    return (
      presented.chainVerified &&
      client.tlsClientAuthSubjectDn !== null &&
      subjectMatches(presented.cert, client.tlsClientAuthSubjectDn)
    );
  }
  const presentedKey = await calculateJwkThumbprint(presented.cert.publicKey.export({ format: 'jwk' }) as JWK);
  for (const key of client.jwks?.keys ?? []) {
    const { kty, crv, x, y, n, e } = key;
    const publicPart = Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined)) as JWK;
    if ((await calculateJwkThumbprint(publicPart).catch(() => '')) === presentedKey) return true;
  }
  return false;
}
