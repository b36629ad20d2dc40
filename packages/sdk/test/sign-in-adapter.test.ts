import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AuthorizationAdapter, createPortcullis, memoryPlatform, PortcullisError } from '../src/index.ts';
import { adminOk, type Portcullis, startPortcullis } from './start-portcullis.ts';

// The authorization code flow with PKCE through a pluggable adapter, as a native app runs it: the
// adapter stands in for the system browser (it fills the server's real login and consent pages
// over HTTP, keeping cookies) and hands back the redirect it captured.

const REDIRECT_URI = 'com.example.notes:/oauth/callback';
const APP = { id: 'com.example.notes', release: `sha256:${'5a'.repeat(32)}` };

/** A form-filling "system browser": follows redirects by hand until one leaves for the app's scheme. */
function scriptedBrowser(
  username: string,
  password: string,
  decision: 'allow' | 'deny',
): AuthorizationAdapter & { pages: string[] } {
  const cookies = new Map<string, string>();
  const pages: string[] = [];
  const request = async (url: string, form?: Record<string, string>) => {
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form) } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  };
  return {
    pages,
    async open(authorizationUrl, redirectUri) {
      let response = await request(authorizationUrl);
      for (let step = 0; step < 10; step++) {
        const location = response.headers.get('location');
        if (location) {
          const next = new URL(location, response.url || authorizationUrl).href;
          if (next.startsWith(redirectUri)) return next;
          response = await request(next);
          continue;
        }
        const html = await response.text();
        const action = new URL(/action="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&') ?? '', response.url);
        const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
        if (html.includes('name="password"')) {
          pages.push('login');
          response = await request(action.href, { csrf, username, password });
        } else if (html.includes('name="decision"')) {
          pages.push('consent');
          response = await request(action.href, { csrf, decision });
        } else {
          throw new Error(`unexpected page (${response.status})`);
        }
      }
      throw new Error('too many steps');
    },
  };
}

describe('signIn(adapter): authorization code + PKCE through a system-browser adapter', () => {
  let server: Portcullis;
  let config: string;

  before(async () => {
    server = await startPortcullis();
    await adminOk(server, 'POST', '/users', {
      username: 'carol',
      password: 'carol has a long password',
      email: 'carol@example.com',
    });
    await adminOk(server, 'POST', '/users', { username: 'dave', password: 'dave has a long password' });
    await adminOk(server, 'POST', '/apps', { app_id: APP.id, digest: APP.release });
    const client = await adminOk(server, 'POST', '/clients', {
      name: 'Notes',
      type: 'public',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [REDIRECT_URI],
      scopes: ['openid', 'email', 'notes'],
    });
    config = (await adminOk(server, 'GET', `/sdk-config?client_id=${client.client_id as string}`)).config as string;
  });

  after(() => server?.stop());

  const sdk = () =>
    createPortcullis(config, {
      app: APP,
      scope: 'openid email notes',
      redirectUri: REDIRECT_URI,
      platform: memoryPlatform('android'),
    });

  it('signs in through the login and consent pages and gets a DPoP-bound session with an ID token', async () => {
    const browser = scriptedBrowser('carol', 'carol has a long password', 'allow');
    const portcullis = sdk();
    const session = await portcullis.signIn(browser);
    assert.deepEqual(browser.pages, ['login', 'consent']);
    assert.equal(session.tokenType, 'DPoP');
    assert.equal(session.user?.email, 'carol@example.com');
    const { endSessionUrl } = await portcullis.logout();
    assert.ok(endSessionUrl?.includes('id_token_hint='), 'a browser sign-in leaves a server session to end');
  });

  it('reports a denied consent as access_denied, and the redirect cannot be redeemed twice', async () => {
    const portcullis = sdk();
    // dave, who has not consented yet (carol's consent above is remembered).
    await assert.rejects(portcullis.signIn(scriptedBrowser('dave', 'dave has a long password', 'deny')), {
      code: 'access_denied',
    });
    let captured = '';
    const capture: AuthorizationAdapter = {
      open: async (url, redirectUri) => {
        captured = await scriptedBrowser('dave', 'dave has a long password', 'allow').open(url, redirectUri);
        return captured;
      },
    };
    await portcullis.signIn(capture);
    const again = await portcullis.handleRedirect(captured).then(
      () => assert.fail('a redirect was redeemed twice'),
      (e: unknown) => e,
    );
    assert.ok(again instanceof PortcullisError);
    assert.equal(again.code, 'authorization_failed');
  });
});
