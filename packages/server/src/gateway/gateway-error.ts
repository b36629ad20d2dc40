import type { ErrorCode } from '@portcullis/protocol';
import { DPOP_ALGS } from '../oauth/index.ts';

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

const quoted = (value: string) => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"');

export type ChallengeScheme = 'Bearer' | 'DPoP';

/**
 * RFC 6750 §3: a 401/403 carries `WWW-Authenticate` with the scheme(s) the route accepts; the
 * error code appears only when the request carried credentials (§3.1). DPoP challenges name the
 * accepted algorithms (RFC 9449 §7.1).
 */
export function challenged(
  schemes: readonly ChallengeScheme[],
  status: 401 | 403,
  code: ErrorCode | undefined,
  description: string,
  scope?: string,
): GatewayError {
  const error = new GatewayError(status, code ?? 'invalid_token', description);
  error.headers['www-authenticate'] = schemes
    .map((scheme) => {
      const params = [`realm="portcullis"`];
      if (scheme === 'DPoP') params.push(`algs="${DPOP_ALGS.join(' ')}"`);
      if (code) params.push(`error="${code}"`, `error_description="${quoted(description)}"`);
      if (scope) params.push(`scope="${quoted(scope)}"`);
      return `${scheme} ${params.join(', ')}`;
    })
    .join(', ');
  return error;
}
