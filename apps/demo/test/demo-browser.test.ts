import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, SKIP_BROWSER } from '../../../packages/server/test/browser/launch-browser.ts';
import { type Demo, startDemo } from '../src/start-demo.ts';

// The demo as a person uses it, in Debian's Chromium: the web app served through the gateway, the
// SDK doing attestation, sign-in, DPoP and refresh, the products API behind the gateway.
// PORTCULLIS_SCREENSHOTS=1 also saves the main screens to docs/images/ (shown in the README).

const SCREENSHOTS =
  process.env.PORTCULLIS_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../../docs/images/', import.meta.url)) : null;
const PHONE = { width: 430, height: 900 };
/** The shortest access token lifetime the server allows, so the refresh test waits it out. */
const ACCESS_TOKEN_LIFETIME_S = 30;

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
}

async function signIn(page: Page, demo: Demo, password = demo.login.password): Promise<void> {
  await page.goto(demo.url);
  await page.locator('#sign-in-panel').waitFor();
  await page.fill('input[name=username]', demo.login.username);
  await page.fill('input[name=password]', password);
  await page.click('#sign-in');
}

function jti(accessToken: string): string {
  const payload = accessToken.split('.')[1] ?? '';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { jti: string }).jti;
}

describe('Catalog of Products demo in Chromium', { skip: SKIP_BROWSER }, () => {
  let demo: Demo;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    [demo, browser] = await Promise.all([startDemo({ accessTokenLifetime: ACCESS_TOKEN_LIFETIME_S }), launchBrowser()]);
    context = await browser.newContext({ viewport: PHONE });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('shows a clear message for a wrong password', async () => {
    await signIn(page, demo, 'not-the-password');
    await page.locator('#error').waitFor();
    assert.equal(await page.textContent('#error'), 'Wrong username or password.');
    assert.ok(await page.isVisible('#sign-in-panel'));
    await screenshot(page, 'demo-wrong-password');
  });

  it('signs in with the password grant and lists the products through the gateway', async () => {
    await signIn(page, demo);
    await page.locator('.product').first().waitFor();
    assert.equal(await page.locator('.product').count(), 8);
    assert.ok(await page.isHidden('#error'));
    assert.notEqual(((await page.textContent('#user')) ?? '').trim(), '');
  });

  it('keeps favourites across a reload (the session is restored from the encrypted store)', async () => {
    const first = page.locator('.product').first();
    const id = await first.getAttribute('data-id');
    await first.locator('.favourite-toggle').click();
    await page.locator(`.favourite-toggle[data-id="${id}"][aria-pressed="true"]`).waitFor();
    assert.equal(await page.textContent('#favourite-count'), '1');
    await screenshot(page, 'demo-catalog');
    await page.reload();
    await page.locator(`.favourite-toggle[data-id="${id}"][aria-pressed="true"]`).waitFor();
    assert.equal(await page.textContent('#favourite-count'), '1');
    assert.ok(await page.isHidden('#sign-in-panel'), 'no second sign-in after the reload');
  });

  it('refreshes the access token after it expires, without asking the person again', async () => {
    const refreshes: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/oauth/token') && request.postData()?.includes('grant_type=refresh_token'))
        refreshes.push(request.url());
    });
    await sleep((ACCESS_TOKEN_LIFETIME_S + 2) * 1000);
    const second = page.locator('.product').nth(1).locator('.favourite-toggle');
    await second.click();
    await page.locator('.product').nth(1).locator('.favourite-toggle[aria-pressed="true"]').waitFor();
    assert.equal(await page.textContent('#favourite-count'), '2');
    assert.ok(refreshes.length >= 1, 'the SDK used the refresh token');
    assert.ok(await page.isHidden('#error'));
  });

  it('signs out: the access token is revoked at the server and the app asks for a sign-in again', async () => {
    const sent: string[] = [];
    const listener = (request: { url(): string; headers(): Record<string, string> }) => {
      const authorization = request.headers().authorization;
      if (request.url().includes('/api/') && authorization) sent.push(authorization.replace(/^DPoP /, ''));
    };
    page.on('request', listener);
    await page.reload();
    await page.locator('.product').first().waitFor();
    page.off('request', listener);
    const accessToken = sent.at(-1);
    assert.ok(accessToken, 'the API call carried a DPoP-bound access token');
    await page.click('#sign-out');
    await page.locator('#sign-in-panel').waitFor();
    const feed = (await (await fetch(`${demo.issuer}/oauth/revocations`)).json()) as { revoked: Array<{ jti: string }> };
    assert.ok(
      feed.revoked.some((r) => r.jti === jti(accessToken)),
      'the gateway learns the token is revoked',
    );
    await page.reload();
    await page.locator('#sign-in-panel').waitFor();
    assert.ok(await page.isHidden('#catalog'));
    assert.ok(await page.isHidden('#sign-out'), 'nobody to sign out');
    await screenshot(page, 'demo-sign-in');
  });

  it('signs in a partner app with the authorization code flow and PKCE through the login and consent pages', async () => {
    await page.goto(demo.url);
    await page.locator('#partner-sign-in').click();
    await page.locator('input[name=username]').waitFor();
    assert.ok(page.url().startsWith(`${demo.issuer}/`), 'the login page is the server’s own');
    await page.fill('input[name=username]', demo.login.username);
    await page.fill('input[name=password]', demo.login.password);
    await page.locator('button[type=submit]').click();
    await page.locator('button[name=decision][value=allow]').waitFor();
    assert.match((await page.textContent('body')) ?? '', /Partner Shop/);
    await screenshot(page, 'demo-consent');
    await page.locator('button[name=decision][value=allow]').click();
    await page.locator('.product').first().waitFor();
    assert.equal(new URL(page.url()).pathname, '/catalog/', 'the code left the address bar');
    assert.equal(await page.textContent('#favourite-count'), '2', 'the same person, the same favourites');
    await page.click('#sign-out');
    await page.locator('#sign-in-panel').waitFor();
    assert.equal(new URL(page.url()).pathname, '/catalog/', 'back from the end-session endpoint');
  });
});

describe('Catalog demo with an unregistered app release', { skip: SKIP_BROWSER }, () => {
  let demo: Demo;
  let browser: Browser;

  before(async () => {
    [demo, browser] = await Promise.all([startDemo({ unregisteredRelease: true }), launchBrowser()]);
  });

  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('tells the person this copy of the app could not be verified, with the reason', async () => {
    const page = await (await browser.newContext({ viewport: PHONE })).newPage();
    await page.goto(demo.url);
    await page.locator('#error').waitFor();
    const text = (await page.textContent('#error')) ?? '';
    assert.match(text, /could not be verified \(app_unregistered\)/);
    assert.ok(await page.isHidden('#catalog'));
    assert.ok(await page.isHidden('#sign-out'));
    await screenshot(page, 'demo-attestation-failed');
  });
});
