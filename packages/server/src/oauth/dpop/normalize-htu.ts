const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * RFC 9449 §4.3 check 9: `htu` is compared without query and fragment, after RFC 3986 §6.2.2
 * syntax-based and §6.2.3 scheme-based normalization. WHATWG URL parsing lowercases the scheme and
 * host, drops the default port and removes dot segments; the percent-encodings are made canonical
 * here (unreserved characters decoded, hex digits uppercase). Null for anything not http(s).
 */
export function normalizeHtu(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const path = url.pathname.replace(/%[0-9A-Fa-f]{2}/g, (encoded) => {
    const char = String.fromCharCode(Number.parseInt(encoded.slice(1), 16));
    return UNRESERVED.test(char) ? char : encoded.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}
