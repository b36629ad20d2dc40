import { InvalidToken } from '../../http/errors.ts';

/** RFC 6750 §3: a 401 names the scheme; `error` only when credentials were presented. */
export function invalidBearerToken(description: string, detail?: string, presented = true): InvalidToken {
  const error = new InvalidToken(description, detail);
  error.headers['www-authenticate'] = presented
    ? 'Bearer realm="portcullis", error="invalid_token"'
    : 'Bearer realm="portcullis"';
  return error;
}

/**
 * The token of an `Authorization: Bearer` header (RFC 6750 §2.1), for the registration
 * endpoints (RFC 7591 §3, RFC 7592 §2). `what` names the token the caller should have sent.
 */
export function readBearerToken(authorization: string | undefined, what: string): string {
  // RFC 9110 §11.1: the scheme name is case-insensitive; RFC 6750 §2.1: b64token characters.
  const match = authorization ? /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization) : null;
  if (!match?.[1]) {
    throw invalidBearerToken(`${what} is required: Authorization: Bearer <token>`, undefined, authorization !== undefined);
  }
  return match[1];
}
