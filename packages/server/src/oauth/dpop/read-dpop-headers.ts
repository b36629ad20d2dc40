import type { IncomingMessage } from 'node:http';

/**
 * Every `DPoP` header line of a request, so that two headers (refused by RFC 9449 §4.3 check 1) are
 * not silently joined into one value. Fastify's `inject` builds requests without `headersDistinct`;
 * there the joined value stands in, and fails as a malformed JWT.
 */
export function readDpopHeaders(raw: IncomingMessage): readonly string[] | undefined {
  const distinct = (raw.headersDistinct as IncomingMessage['headersDistinct'] | undefined)?.dpop;
  if (distinct) return distinct;
  const joined = raw.headers.dpop;
  if (joined === undefined) return undefined;
  return Array.isArray(joined) ? joined : [joined];
}
