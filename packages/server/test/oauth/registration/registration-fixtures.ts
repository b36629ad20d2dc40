// Raw HTTP helpers for the dynamic registration tests: the admin API for initial access tokens,
// and the RFC 7591 / RFC 7592 endpoints without a client library in the way.
import { type Answer, answer, type OAuthServer } from '../start-oauth-server.ts';

export type { Answer };

/** One call to the admin API; `key` defaults to the bootstrap admin key. */
export async function adminCall(server: OAuthServer, method: string, path: string, body?: unknown, key = server.adminKey) {
  const res = await fetch(`${server.issuer}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return answer(res);
}

export interface IssuedInitialAccessToken {
  id: string;
  token: string;
  expires_at: string;
  max_uses: number;
  scopes: string[];
}

/**
 * A fresh initial access token (`POST /admin/v1/initial-access-tokens`); throws unless 201.
 * `scopes` is the API scope allowlist of the clients it registers (none by default).
 */
export async function issueInitialAccessToken(
  server: OAuthServer,
  body: { expires_in?: number; max_uses?: number; scopes?: string[] } = {},
): Promise<IssuedInitialAccessToken> {
  const res = await adminCall(server, 'POST', '/initial-access-tokens', body);
  if (res.status !== 201) throw new Error(`initial access token: ${res.status} ${res.text}`);
  return res.json as unknown as IssuedInitialAccessToken;
}

/** A JSON (or raw string) request to the registration or client configuration endpoint. */
export async function registrationCall(
  url: string,
  method: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...options.headers },
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  return answer(res);
}

/** POST /oauth/register with `token` as the initial access token. */
export function register(server: OAuthServer, token: string | undefined, body: unknown): Promise<Answer> {
  return registrationCall(`${server.issuer}/oauth/register`, 'POST', { ...(token ? { token } : {}), body });
}
