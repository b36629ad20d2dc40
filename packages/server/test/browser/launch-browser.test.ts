import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { PAGE_CSP, renderConsentPage, renderErrorPage, renderLoginPage } from '../../src/oauth/interaction/pages.ts';
import { launchBrowser, SKIP_BROWSER } from './launch-browser.ts';

// Proves the Chromium from scripts/test-services.sh drives the real interaction pages: forms
// post what they should, and the inline stylesheet passes the pages' own CSP.

const CSRF = 'csrf-7f3a9c';
const PHONE = { width: 390, height: 844 };

interface Post {
  path: string | undefined;
  form: Record<string, string>;
}

function sendPage(res: ServerResponse, html: string): void {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP });
  res.end(html);
}

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

function startPageServer(posts: Post[]): Server {
  return createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/login') {
      return sendPage(res, renderLoginPage({ action: '/login', csrf: CSRF, clientName: 'Acme Notes' }));
    }
    if (req.method === 'GET' && req.url === '/consent') {
      return sendPage(
        res,
        renderConsentPage({
          action: '/consent',
          csrf: CSRF,
          clientName: 'Acme Notes',
          userName: 'alice@example.com',
          scopes: [
            { name: 'openid', description: 'Know who you are' },
            { name: 'notes:read', description: 'Read your notes' },
          ],
        }),
      );
    }
    if (req.method === 'POST') {
      readForm(req).then((form) => {
        posts.push({ path: req.url, form });
        sendPage(res, renderErrorPage({ title: 'Received', description: 'The form arrived.' }));
      }, res.destroy.bind(res));
      return;
    }
    res.writeHead(404).end();
  });
}

/** Console messages that report a Content Security Policy violation. */
function watchCspErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (/content security policy|refused to/i.test(message.text())) errors.push(message.text());
  });
  return errors;
}

// A string, not a function: the test is type-checked without the DOM lib.
function readMainMaxWidth(page: Page): Promise<string> {
  return page.evaluate<string>("getComputedStyle(document.querySelector('main')).maxWidth");
}

describe('launchBrowser', { skip: SKIP_BROWSER, timeout: 60_000 }, () => {
  const posts: Post[] = [];
  let server: Server;
  let base: string;
  let browser: Browser;

  before(async () => {
    server = startPageServer(posts);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    server?.close();
  });

  it('signs in through the login page under its CSP', async () => {
    const page = await browser.newPage({ viewport: PHONE });
    const cspErrors = watchCspErrors(page);
    await page.goto(`${base}/login`);

    // The stylesheet applied: blocked by the CSP, main would have no max-width.
    assert.equal(await readMainMaxWidth(page), '384px');
    await page.screenshot({ path: '/tmp/portcullis-login.png', fullPage: true });

    await page.fill('input[name="username"]', 'alice@example.com');
    await page.fill('input[name="password"]', 'correct horse battery staple');
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);

    assert.deepEqual(posts.pop(), {
      path: '/login',
      form: { csrf: CSRF, username: 'alice@example.com', password: 'correct horse battery staple' },
    });
    assert.deepEqual(cspErrors, []);
    await page.close();
  });

  it('posts the decision of the button pressed on the consent page', async () => {
    const page = await browser.newPage({ viewport: PHONE });
    const cspErrors = watchCspErrors(page);
    await page.goto(`${base}/consent`);
    assert.equal(await readMainMaxWidth(page), '384px');
    await page.screenshot({ path: '/tmp/portcullis-consent.png', fullPage: true });

    await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Allow' }).click(),
    ]);

    assert.deepEqual(posts.pop(), { path: '/consent', form: { csrf: CSRF, decision: 'allow' } });
    assert.deepEqual(cspErrors, []);
    await page.close();
  });
});
