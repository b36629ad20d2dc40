import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { escapeHtml, PAGE_CSP, renderConsentPage, renderErrorPage, renderLoginPage } from './pages.ts';

const HOSTILE = `"><img src=x onerror=alert(1)><script>alert('x')</script>&`;

const login = (overrides: Partial<Parameters<typeof renderLoginPage>[0]> = {}) =>
  renderLoginPage({ action: '/interaction/abc/login', csrf: 'csrf-token', clientName: 'Acme Notes', ...overrides });

const consent = (overrides: Partial<Parameters<typeof renderConsentPage>[0]> = {}) =>
  renderConsentPage({
    action: '/interaction/abc/consent',
    csrf: 'csrf-token',
    clientName: 'Acme Notes',
    userName: 'alice',
    scopes: [
      { name: 'openid', description: 'Know who you are' },
      { name: 'notes:read', description: 'Read your notes' },
    ],
    ...overrides,
  });

const error = () => renderErrorPage({ title: 'Request expired', description: 'Go back to the app and try again.' });

function tags(html: string, name: string): string[] {
  return html.match(new RegExp(`<${name}\\b[^>]*>`, 'g')) ?? [];
}

function attr(tag: string, name: string): string | undefined {
  return tag.match(new RegExp(`\\s${name}="([^"]*)"`))?.[1];
}

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and quoted attributes', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('leaves ordinary text alone and escapes an existing entity again', () => {
    assert.equal(escapeHtml('Ünïcode café 100%'), 'Ünïcode café 100%');
    assert.equal(escapeHtml('&amp;'), '&amp;amp;');
  });
});

describe('renderLoginPage', () => {
  it('has a csrf field, username and password inputs, and exactly one submit button', () => {
    const html = login();
    const inputs = tags(html, 'input');
    assert.deepEqual(
      inputs.map((t) => attr(t, 'name')),
      ['csrf', 'username', 'password'],
    );
    const [csrf, username, password] = inputs as [string, string, string];
    assert.equal(attr(csrf, 'type'), 'hidden');
    assert.equal(attr(csrf, 'value'), 'csrf-token');
    assert.equal(attr(username, 'autocomplete'), 'username');
    assert.match(username, /\srequired\b/);
    assert.equal(attr(password, 'type'), 'password');
    assert.equal(attr(password, 'autocomplete'), 'current-password');
    assert.match(password, /\srequired\b/);
    const buttons = tags(html, 'button');
    assert.equal(buttons.length, 1);
    assert.equal(attr(buttons[0]!, 'type'), 'submit');
    assert.match(html, /<button[^>]*>Sign in<\/button>/);
    const [form] = tags(html, 'form');
    assert.equal(attr(form!, 'method'), 'post');
    assert.equal(attr(form!, 'action'), '/interaction/abc/login');
  });

  it('ties each label to its input', () => {
    const html = login();
    for (const id of ['username', 'password']) {
      assert.match(html, new RegExp(`<label for="${id}">`));
      assert.match(html, new RegExp(`<input id="${id}" name="${id}"`));
    }
  });

  it('prefills the username from login_hint and shows no alert without an error', () => {
    const html = login({ loginHint: 'alice@example.com' });
    const username = tags(html, 'input').find((t) => attr(t, 'name') === 'username')!;
    assert.equal(attr(username, 'value'), 'alice@example.com');
    assert.doesNotMatch(html, /role="alert"/);
  });

  it('shows the error in a role="alert" element', () => {
    const html = login({ error: 'Wrong username or password.' });
    assert.match(html, /<div class="alert" id="error" role="alert">Wrong username or password\.<\/div>/);
  });

  it('escapes every interpolated value, in text and in attributes', () => {
    const html = login({ action: HOSTILE, csrf: HOSTILE, clientName: HOSTILE, loginHint: HOSTILE, error: HOSTILE });
    assert.doesNotMatch(html, /<img|<script|onerror=alert\(1\)>/i);
    const escaped = escapeHtml(HOSTILE);
    assert.equal(attr(tags(html, 'form')[0]!, 'action'), escaped);
    const inputs = tags(html, 'input');
    assert.equal(attr(inputs.find((t) => attr(t, 'name') === 'csrf')!, 'value'), escaped);
    assert.equal(attr(inputs.find((t) => attr(t, 'name') === 'username')!, 'value'), escaped);
    assert.ok(html.includes(`<strong>${escaped}</strong>`));
    assert.ok(html.includes(`role="alert">${escaped}</div>`));
    assert.ok(html.includes(`<title>Sign in to ${escaped}</title>`));
  });
});

describe('renderConsentPage', () => {
  it('posts a csrf field and exactly two decision buttons', () => {
    const html = consent();
    const [form] = tags(html, 'form');
    assert.equal(attr(form!, 'method'), 'post');
    assert.equal(attr(form!, 'action'), '/interaction/abc/consent');
    const inputs = tags(html, 'input');
    assert.deepEqual(
      inputs.map((t) => [attr(t, 'type'), attr(t, 'name'), attr(t, 'value')]),
      [['hidden', 'csrf', 'csrf-token']],
    );
    const buttons = tags(html, 'button');
    assert.deepEqual(buttons.map((t) => [attr(t, 'type'), attr(t, 'name'), attr(t, 'value')]).sort(), [
      ['submit', 'decision', 'allow'],
      ['submit', 'decision', 'deny'],
    ]);
    assert.match(html, /value="allow"[^>]*>Allow<\/button>/);
    assert.match(html, /value="deny"[^>]*>Deny<\/button>/);
  });

  it('names the app and the user, and lists each scope with its description', () => {
    const html = consent();
    assert.match(html, /<h1>Acme Notes wants to access your account<\/h1>/);
    assert.match(html, /Signed in as <strong>alice<\/strong>/);
    assert.equal(tags(html, 'li').length, 2);
    assert.ok(html.includes('<li>Know who you are<code>openid</code></li>'));
    assert.ok(html.includes('<li>Read your notes<code>notes:read</code></li>'));
  });

  it('escapes every interpolated value', () => {
    const html = consent({
      action: HOSTILE,
      csrf: HOSTILE,
      clientName: HOSTILE,
      userName: HOSTILE,
      scopes: [{ name: HOSTILE, description: HOSTILE }],
    });
    assert.doesNotMatch(html, /<img|<script|onerror=alert\(1\)>/i);
    const escaped = escapeHtml(HOSTILE);
    assert.equal(attr(tags(html, 'form')[0]!, 'action'), escaped);
    assert.equal(attr(tags(html, 'input')[0]!, 'value'), escaped);
    assert.ok(html.includes(`<li>${escaped}<code>${escaped}</code></li>`));
    assert.ok(html.includes(`Signed in as <strong>${escaped}</strong>`));
  });
});

describe('renderErrorPage', () => {
  it('shows the title and description, escaped', () => {
    assert.match(error(), /<h1>Request expired<\/h1>/);
    const html = renderErrorPage({ title: HOSTILE, description: HOSTILE });
    assert.doesNotMatch(html, /<img|<script/i);
    assert.ok(html.includes(`<h1>${escapeHtml(HOSTILE)}</h1>`));
  });
});

describe('every page', () => {
  const pages = { login: login({ error: 'x' }), consent: consent(), error: error() };

  for (const [name, html] of Object.entries(pages)) {
    it(`${name}: is an accessible document`, () => {
      assert.match(html, /^<!doctype html>\n<html lang="en">/);
      assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
      assert.match(html, /<title>[^<]+<\/title>/);
      assert.equal(tags(html, 'main').length, 1);
      assert.equal(tags(html, 'h1').length, 1);
    });

    it(`${name}: has one inline stylesheet whose hash is in PAGE_CSP`, () => {
      const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)];
      assert.equal(styles.length, 1);
      const hash = createHash('sha256').update(styles[0]![1]!).digest('base64');
      assert.ok(PAGE_CSP.includes(`style-src 'sha256-${hash}'`), PAGE_CSP);
      assert.doesNotMatch(html, /\sstyle=/, 'inline style attributes would need unsafe-inline');
    });

    it(`${name}: has no script and loads nothing from another host`, () => {
      assert.doesNotMatch(html, /<script/i);
      assert.doesNotMatch(html, /\son[a-z]+=/i);
      assert.doesNotMatch(html, /https?:|\/\/[a-z0-9]|<link|<img|@import|url\(/i);
    });
  }
});

describe('PAGE_CSP', () => {
  it('allows nothing but the stylesheet and same-origin form posts', () => {
    assert.match(
      PAGE_CSP,
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]{43}='; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/,
    );
  });
});
