import { GatewayError } from './gateway-error.ts';
import type { GatewayRequest } from './gateway-request.ts';
import type { RateLimiter } from './rate-limiter.ts';

/**
 * The route's rate limit, counted per route, client, user, device or IP. A request without the
 * chosen identity (a user limit and a client-credentials token) counts against the next one that
 * it has: client, then IP. Over the limit: 429 with Retry-After (RFC 9110 §10.2.3, RFC 6585 §4).
 * `early` is the pass before the token checks (route and IP limits, which need no token, stop a
 * flood before it costs a signature check); the other kinds are counted after them.
 */
export async function checkRateLimit(g: GatewayRequest, limiter: RateLimiter, early: boolean): Promise<void> {
  const limit = g.route.rate_limit;
  if (!limit) return;
  const beforeTokens = limit.per === 'route' || limit.per === 'ip';
  if (beforeTokens !== early) return;
  let subject: string;
  if (limit.per === 'route') subject = 'route';
  else if (limit.per === 'ip') subject = `ip:${g.ip}`;
  else if (limit.per === 'user' && g.token?.userId) subject = `user:${g.token.userId}`;
  else if (limit.per === 'device' && g.app) subject = `device:${g.app.sub}`;
  else if (g.token) subject = `client:${g.token.clientId}`;
  else subject = `ip:${g.ip}`;
  const verdict = await limiter.hit(`${g.route.id}:${subject}`, limit.limit, limit.window_s * 1000);
  if (verdict.allowed) return;
  const error = new GatewayError(429, 'rate_limited', 'too many requests; try again later');
  error.headers['retry-after'] = String(verdict.retryAfterS);
  throw error;
}
