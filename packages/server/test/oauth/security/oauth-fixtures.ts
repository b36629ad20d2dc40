// Small shared pieces of the OAuth security tests: endpoint URLs, error assertions, introspection.
import assert from 'node:assert/strict';
import type { ClientView } from '@portcullis/protocol';
import { basic, type OAuthServer, postForm } from '../start-oauth-server.ts';

export type FormResult = Awaited<ReturnType<typeof postForm>>;
export type CreatedClient = ClientView & { client_secret?: string };

export const urls = (server: OAuthServer) => ({
  token: `${server.issuer}/oauth/token`,
  introspect: `${server.issuer}/oauth/introspect`,
  revoke: `${server.issuer}/oauth/revoke`,
  revocations: `${server.issuer}/oauth/revocations`,
  jwks: `${server.issuer}/.well-known/jwks.json`,
});

/** Basic credentials of a client created with a secret. */
export function basicOf(client: CreatedClient): Record<string, string> {
  assert.ok(client.client_secret, `client ${client.client_id} has no secret`);
  return basic(client.client_id, client.client_secret);
}

/**
 * The exact status and `error` code, the no-store headers of RFC 6749 §5.1, and proof that the
 * answer carries no token.
 */
export function assertOAuthError(res: FormResult, status: number, code: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error, code, res.text);
  assert.equal(typeof res.json?.error_description, 'string', res.text);
  for (const field of ['access_token', 'refresh_token', 'id_token']) assert.equal(res.json?.[field], undefined, res.text);
  assert.doesNotMatch(res.text, /eyJ|pcr_/, 'no token-shaped value in an error body');
}

/** A successful token response (RFC 6749 §5.1). */
export function assertIssued(res: FormResult): { access_token: string; refresh_token?: string; scope?: string } {
  assert.equal(res.status, 200, res.text);
  assert.equal(typeof res.json?.access_token, 'string', res.text);
  assert.equal(res.json?.token_type, 'Bearer');
  return res.json as { access_token: string; refresh_token?: string; scope?: string };
}

/** RFC 7662 introspection by a confidential client with Basic credentials. */
export async function introspect(server: OAuthServer, caller: CreatedClient, token: string): Promise<Record<string, unknown>> {
  const res = await postForm(urls(server).introspect, { token }, basicOf(caller));
  assert.equal(res.status, 200, res.text);
  assert.ok(res.json, res.text);
  return res.json;
}

/** The jtis in GET /oauth/revocations. */
export async function revokedJtis(server: OAuthServer): Promise<string[]> {
  const res = await fetch(urls(server).revocations);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { revoked: { jti: string; exp: number }[] };
  for (const entry of body.revoked) assert.equal(typeof entry.exp, 'number');
  return body.revoked.map((r) => r.jti);
}

/** The `jti` claim of one of our JWT access tokens (read, not verified). */
export function jtiOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti?: unknown };
  assert.equal(typeof payload.jti, 'string');
  return payload.jti as string;
}

let counter = 0;
/** A client registration body with a unique name. */
export function clientBody(body: Record<string, unknown>): Record<string, unknown> {
  counter += 1;
  return { name: `security-${counter}`, ...body };
}
