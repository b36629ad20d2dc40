// A scripted browser for the authorization endpoint: plain fetch with redirect: 'manual' and a
// cookie jar, the login and consent forms, and the assertions every attack test repeats.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { basic, type OAuthServer, postForm } from '../../start-oauth-server.ts';
import type { CreatedClient, FormResult } from '../oauth-fixtures.ts';

export const PASSWORD = 'authorize-attack-pw-1';

/** One HTTP answer as a browser sees it: no redirect followed. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
  setCookies: string[];
}

/** A browser: its own cookies for the server's origin, never sent to the client's redirect URI. */
export class TestBrowser {
  readonly cookies = new Map<string, string>();
  readonly #origin: string;

  constructor(server: OAuthServer) {
    this.#origin = server.issuer;
  }

  async get(pathOrUrl: string): Promise<Answer> {
    return this.#send(pathOrUrl, { method: 'GET' });
  }

  async post(pathOrUrl: string, form: Record<string, string>): Promise<Answer> {
    return this.#send(pathOrUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  async #send(pathOrUrl: string, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
    const url = new URL(pathOrUrl, this.#origin);
    assert.equal(url.origin, this.#origin, `the browser only talks to the server, not ${url.href}`);
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...init.headers, ...(cookie ? { cookie } : {}) },
    });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /;\s*max-age=0(?:;|$)/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return {
      status: res.status,
      headers: res.headers,
      text: await res.text(),
      location: res.headers.get('location'),
      setCookies,
    };
  }
}

export function authorizePath(params: Record<string, string>): string {
  return `/oauth/authorize?${new URLSearchParams(params)}`;
}

/** The value of the hidden `csrf` input of a login or consent page. */
export function csrfOf(html: string): string {
  const match = /<input type="hidden" name="csrf" value="([^"]*)">/.exec(html);
  assert.ok(match?.[1], `no csrf input in:\n${html}`);
  return match[1];
}

/** The parameters of an authorization response: the query, or the fragment when there is one. */
export function responseParams(location: string): URLSearchParams {
  const url = new URL(location);
  return url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
}

/** The Set-Cookie line for `name`, if the answer set it. */
export function setCookieOf(answer: Answer, name: string): string | undefined {
  return answer.setCookies.find((line) => line.startsWith(`${name}=`));
}

/** Our own HTML error page (RFC 6749 §4.1.2.1): 400, text/html, and no redirect anywhere. */
export function assertErrorPage(answer: Answer, status = 400): void {
  assert.equal(answer.status, status, answer.text);
  assert.match(answer.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(answer.location, null, `no Location header, got ${answer.location}`);
  assert.doesNotMatch(answer.text, /[?&#]code=/, 'no code on the error page');
}

/** An error sent to the client's redirect URI with `error`, `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207 §2). */
export function assertErrorRedirect(answer: Answer, redirectUri: string, error: string, state: string, issuer: string): void {
  assert.equal(answer.status, 303, answer.text);
  assert.ok(answer.location?.startsWith(redirectUri), `redirected to ${answer.location}`);
  const params = responseParams(answer.location ?? '');
  assert.equal(params.get('error'), error, answer.location ?? '');
  assert.equal(params.get('state'), state, `state echoed: ${answer.location}`);
  assert.equal(params.get('iss'), issuer, `RFC 9207 iss: ${answer.location}`);
  for (const name of ['code', 'access_token', 'id_token']) assert.equal(params.get(name), null, `no ${name}`);
}

/** A PKCE pair (RFC 7636 §4.1, §4.2): a fresh 43-character verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** GET /oauth/authorize and, if it asks, the login page and the consent page (allow). Returns the final answer. */
export async function authorizeThrough(
  browser: TestBrowser,
  params: Record<string, string>,
  username = 'alice',
  password = PASSWORD,
): Promise<Answer> {
  let answer = await browser.get(authorizePath(params));
  for (let step = 0; step < 3 && answer.location?.startsWith('/oauth/interaction/'); step++) {
    const path = answer.location;
    const page = await browser.get(path);
    assert.equal(page.status, 200, page.text);
    const csrf = csrfOf(page.text);
    answer = /name="password"/.test(page.text)
      ? await browser.post(`${path}/login`, { csrf, username, password })
      : await browser.post(`${path}/consent`, { csrf, decision: 'allow' });
  }
  return answer;
}

/**
 * A code flow up to the code, with a fresh PKCE pair (its verifier returned) unless `extra`
 * replaces the challenge; an `extra` value of null leaves that parameter out.
 */
export async function obtainCode(
  browser: TestBrowser,
  client: CreatedClient,
  redirectUri: string,
  extra: Record<string, string | null> = {},
  username = 'alice',
): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: redirectUri,
    state: 'st',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(extra)) {
    if (value === null) delete params[name];
    else params[name] = value;
  }
  const answer = await authorizeThrough(browser, params, username);
  assert.equal(answer.status, 303, answer.text);
  assert.ok(answer.location?.startsWith(redirectUri), `landed on ${answer.location}`);
  const code = responseParams(answer.location ?? '').get('code');
  assert.ok(code, `a code in ${answer.location}`);
  return { code, verifier };
}

/** POST /oauth/token with grant_type=authorization_code, authenticating the client as it registered. */
export function exchangeCode(
  server: OAuthServer,
  client: CreatedClient,
  params: { code: string; redirect_uri?: string; code_verifier?: string },
): Promise<FormResult> {
  const form: Record<string, string> = { grant_type: 'authorization_code' };
  for (const [name, value] of Object.entries(params)) if (value !== undefined) form[name] = value;
  if (client.client_secret) return postForm(`${server.issuer}/oauth/token`, form, basic(client.client_id, client.client_secret));
  return postForm(`${server.issuer}/oauth/token`, { ...form, client_id: client.client_id });
}

/** GET /oauth/authorize up to the login page: its path, its csrf value and the page itself. */
export async function startInteraction(
  browser: TestBrowser,
  params: Record<string, string>,
): Promise<{ path: string; csrf: string; page: Answer; started: Answer }> {
  const { challenge } = pkcePair();
  const started = await browser.get(
    authorizePath({ response_type: 'code', state: 'st', code_challenge: challenge, code_challenge_method: 'S256', ...params }),
  );
  assert.equal(started.status, 303, started.text);
  const path = started.location ?? '';
  assert.match(path, /^\/oauth\/interaction\/[\w-]+$/);
  const page = await browser.get(path);
  assert.equal(page.status, 200, page.text);
  return { path, csrf: csrfOf(page.text), page, started };
}
