import type { ErrorCode } from '@portcullis/protocol';
import { type AuthScheme, authChallenge } from '../http/challenge.ts';

/**
 * A refusal by the gateway: status, wire code and a public sentence; `headers` carries the
 * RFC 6750 §3 / RFC 9449 §7.1 challenge or `Retry-After`. Nothing in it names a secret or token.
 */
export class GatewayError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly description: string;
  headers: Record<string, string> = {};
  constructor(status: number, code: ErrorCode, description: string) {
    super(description);
    this.status = status;
    this.code = code;
    this.description = description;
  }
}

export type ChallengeScheme = AuthScheme;

/**
 * RFC 6750 §3: a 401/403 carries `WWW-Authenticate` with the scheme(s) the route accepts; the
 * error code appears only when the request carried credentials (§3.1).
 */
export function challenged(
  schemes: readonly ChallengeScheme[],
  status: 401 | 403,
  code: ErrorCode | undefined,
  description: string,
  scope?: string,
): GatewayError {
  const error = new GatewayError(status, code ?? 'invalid_token', description);
  error.headers['www-authenticate'] = authChallenge(schemes, code ? { code, description, scope } : undefined);
  return error;
}
