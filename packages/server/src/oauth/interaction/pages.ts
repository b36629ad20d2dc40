import { createHash } from 'node:crypto';

// The interaction pages: server-rendered, no JavaScript, no third-party assets. The only
// inline code is one stylesheet, allowed by its hash so the CSP needs no 'unsafe-inline'.

export interface LoginPage {
  action: string;
  csrf: string;
  clientName: string;
  loginHint?: string | undefined;
  error?: string | undefined;
}

export interface ConsentPage {
  action: string;
  csrf: string;
  clientName: string;
  scopes: { name: string; description: string }[];
  userName: string;
}

export interface ErrorPage {
  title: string;
  description: string;
}

const STYLE = `
:root {
  color-scheme: light dark;
  --bg: #f3f4f6; --card: #fff; --text: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --accent: #0b57d0; --on-accent: #fff; --focus: #0b57d0; --alert-bg: #fdecea; --alert: #a0141e;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --card: #161b22; --text: #e6edf3; --muted: #9198a1; --line: #3d444d;
    --accent: #4d8ff0; --on-accent: #0d1117; --focus: #8cb8ff; --alert-bg: #3c1618; --alert: #ffb3ae;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0; min-height: 100vh; min-height: 100dvh; display: flex; align-items: center; justify-content: center;
  padding: 1rem; background: var(--bg); color: var(--text);
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
main {
  width: 100%; max-width: 24rem; padding: 2rem 1.5rem; background: var(--card);
  border: 1px solid var(--line); border-radius: 0.75rem; box-shadow: 0 1px 3px rgb(0 0 0 / 0.08);
}
h1 { margin: 0 0 0.25rem; font-size: 1.375rem; line-height: 1.3; overflow-wrap: anywhere; }
p { margin: 0 0 1.25rem; overflow-wrap: anywhere; }
main > :last-child { margin-bottom: 0; }
.muted { color: var(--muted); font-size: 0.9375rem; }
.lead { margin-bottom: 0.5rem; }
form { margin: 0; }
label { display: block; margin: 0 0 0.25rem; font-weight: 600; font-size: 0.9375rem; }
input {
  display: block; width: 100%; margin: 0 0 1rem; padding: 0.625rem 0.75rem; font: inherit; color: inherit;
  background: var(--card); border: 1px solid var(--line); border-radius: 0.5rem;
}
button {
  display: block; width: 100%; min-height: 2.75rem; padding: 0.625rem 1rem; font: inherit; font-weight: 600;
  color: var(--on-accent); background: var(--accent); border: 1px solid var(--accent); border-radius: 0.5rem;
  cursor: pointer;
}
button.secondary { color: var(--text); background: transparent; border-color: var(--line); }
input:focus-visible, button:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.alert {
  margin: 0 0 1.25rem; padding: 0.75rem; border-radius: 0.5rem; background: var(--alert-bg); color: var(--alert);
  overflow-wrap: anywhere;
}
.scopes { margin: 0 0 1.5rem; padding: 0; list-style: none; border-top: 1px solid var(--line); }
.scopes li { padding: 0.625rem 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
.scopes code { display: block; color: var(--muted); font-size: 0.8125rem; }
.actions { display: grid; grid-template-columns: 1fr 1fr; gap: 0.75rem; }
`;

/** The CSP the pages need: nothing loads but the one inline stylesheet, and forms post only to this origin. */
export const PAGE_CSP: string = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * The CSP of a login or consent page in an authorization flow. CSP `form-action` also governs the
 * redirects that follow a form post, so the page must allow the client's redirect target as well:
 * its origin for http(s), its scheme for a native app's private-use URI (RFC 8252 §7.1).
 */
export function pageCspFor(redirectUri: string): string {
  const url = new URL(redirectUri);
  const target = url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : url.protocol;
  return PAGE_CSP.replace("form-action 'self'", `form-action 'self' ${target}`);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function renderDocument(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function renderCsrf(csrf: string): string {
  return `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;
}

export function renderLoginPage(p: LoginPage): string {
  const hint = p.loginHint ?? '';
  const alert = p.error === undefined ? '' : `<div class="alert" id="error" role="alert">${escapeHtml(p.error)}</div>\n`;
  const described = p.error === undefined ? '' : ' aria-describedby="error"';
  // With a hint the username is already filled, so the cursor belongs in the password field.
  const focusUser = hint === '' ? ' autofocus' : '';
  const focusPassword = hint === '' ? '' : ' autofocus';
  return renderDocument(
    `Sign in to ${p.clientName}`,
    `<h1>Sign in</h1>
<p class="muted">to continue to <strong>${escapeHtml(p.clientName)}</strong></p>
${alert}<form method="post" action="${escapeHtml(p.action)}">
${renderCsrf(p.csrf)}
<label for="username">Username</label>
<input id="username" name="username" type="text" value="${escapeHtml(hint)}" autocomplete="username" autocapitalize="none" spellcheck="false" required${described}${focusUser}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${described}${focusPassword}>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function renderConsentPage(p: ConsentPage): string {
  const scopes = p.scopes.map((s) => `<li>${escapeHtml(s.description)}<code>${escapeHtml(s.name)}</code></li>`).join('\n');
  return renderDocument(
    `Allow ${p.clientName}?`,
    `<h1>${escapeHtml(p.clientName)} wants to access your account</h1>
<p class="muted">Signed in as <strong>${escapeHtml(p.userName)}</strong></p>
<form method="post" action="${escapeHtml(p.action)}">
${renderCsrf(p.csrf)}
<p class="lead">This will allow ${escapeHtml(p.clientName)} to:</p>
<ul class="scopes">
${scopes}
</ul>
<div class="actions">
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
<button type="submit" name="decision" value="allow">Allow</button>
</div>
</form>`,
  );
}

export function renderErrorPage(p: ErrorPage): string {
  return renderDocument(p.title, `<h1>${escapeHtml(p.title)}</h1>\n<p class="muted">${escapeHtml(p.description)}</p>`);
}
