export type ClientType = 'confidential' | 'public';

const MAX_LENGTH = 2000;
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'about:', 'blob:', 'filesystem:']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);
const DOT_SEGMENT = /(?:^|[/:])(?:\.|%2e){1,2}(?:\/|$)/i;
const ENCODED_SLASH = /%(?:2f|5c)/i;
const USERINFO = /^[^:/?]+:\/\/[^/?]*@/;

function isLoopback(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

function withoutPort(url: URL): string {
  const copy = new URL(url.href);
  copy.port = '';
  return copy.href;
}

/** null when `uri` may be registered for a client of this type, else one sentence saying why not. */
export function checkRedirectUriForRegistration(uri: string, clientType: ClientType): string | null {
  // RFC 6749 §3.1.2: an absolute URI without a fragment; RFC 9700 §2.1 and §4.1: exact
  // strings only, so no wildcards, and nothing a parser could read two ways (WHATWG URL
  // reads `\` as `/` in http(s) URLs, so `https://good\@evil/` is not what it looks like).
  if (uri.length > MAX_LENGTH) return `redirect URI must be at most ${MAX_LENGTH} characters`;
  if (/[\s\p{Cc}]/u.test(uri)) return 'redirect URI must not contain whitespace or control characters';
  if (uri.includes('*')) return 'redirect URI must not contain wildcards (*)';
  if (uri.includes('\\')) return 'redirect URI must not contain backslashes';
  if (uri.includes('#')) return 'redirect URI must not contain a fragment (RFC 6749 §3.1.2)';
  const url = URL.parse(uri);
  if (url === null) return 'redirect URI must be an absolute URI (RFC 6749 §3.1.2)';

  // RFC 9700 §4.1: a redirect URI must name an endpoint; these run script or read local data.
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `redirect URI scheme ${url.protocol} is not allowed`;

  // RFC 9700 §4.1, §2.1: userinfo lets `https://good@evil/` pass a careless eye or prefix check.
  if (url.username !== '' || url.password !== '' || USERINFO.test(uri)) {
    return 'redirect URI must not contain userinfo (user@host)';
  }

  // RFC 9700 §4.1: what is registered is what the browser visits, not a path the parser rewrites.
  // Only the part before the query: `?next=%2Fhome` is an ordinary query value.
  const beforeQuery = uri.split('?', 1)[0] ?? uri;
  if (ENCODED_SLASH.test(beforeQuery)) return 'redirect URI path must not contain percent-encoded slashes (%2F, %5C)';
  if (DOT_SEGMENT.test(beforeQuery)) return 'redirect URI path must not contain . or .. segments';

  const schemeError = checkScheme(url, clientType);
  if (schemeError !== null) return schemeError;

  // RFC 9700 §4.1: exact matching needs one spelling; WHATWG URL's serialization is that spelling
  // (lower-case scheme and host, canonical IP literals, punycode, no default port, a path).
  if (url.href !== uri) {
    if (url.href.toLowerCase() === uri.toLowerCase()) return 'redirect URI scheme and host must be lower-case';
    return `redirect URI must be in canonical form: ${url.href}`;
  }
  return null;
}

function checkScheme(url: URL, clientType: ClientType): string | null {
  // RFC 9700 §2.1, OpenID Connect Core §3.1.2.1, RFC 8252 §7.2: https for web clients and
  // for native apps' claimed https redirects alike.
  if (url.protocol === 'https:') return null;

  // RFC 8252 §7.3, §8.3: http only to a loopback IP literal; `localhost` may resolve elsewhere.
  if (url.protocol === 'http:') {
    if (url.hostname === 'localhost') return 'redirect URI must use 127.0.0.1 or [::1] rather than localhost (RFC 8252 §8.3)';
    if (!isLoopback(url)) return 'redirect URI may use http only with the loopback address 127.0.0.1 or [::1] (RFC 8252 §7.3)';
    return null;
  }

  // RFC 8252 §7.1: private-use schemes are for native (public) clients, and must be a
  // reverse domain name the app controls, so two apps are unlikely to claim the same one.
  if (clientType !== 'public') return 'only public (native) clients may register a private-use URI scheme (RFC 8252 §7.1)';
  if (!url.protocol.slice(0, -1).includes('.')) {
    return 'private-use URI scheme must be a reverse domain name such as com.example.app (RFC 8252 §7.1)';
  }
  return null;
}

/** The registered URI that `requested` matches, or null. */
export function matchRedirectUri(registered: readonly string[], requested: string): string | null {
  // RFC 6749 §3.1.2.3, RFC 9700 §4.1: simple string comparison, no normalization.
  const url = URL.parse(requested);
  if (url === null) return null;
  if (registered.includes(requested)) return requested;

  // RFC 8252 §7.3: a loopback redirect may use any port, since the app picks one at run time;
  // scheme, host, path and query must still match exactly. Both sides must be in canonical form,
  // so a parsed `..`, `0x7f.1` or upper-case scheme cannot stand in for what was registered.
  if (!isLoopback(url) || url.href !== requested || requested.includes('#') || USERINFO.test(requested)) return null;
  const wanted = withoutPort(url);
  for (const candidate of registered) {
    const reg = URL.parse(candidate);
    if (reg !== null && isLoopback(reg) && reg.href === candidate && withoutPort(reg) === wanted) return candidate;
  }
  return null;
}
