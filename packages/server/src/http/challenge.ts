import { DPOP_ALGS } from '../oauth/dpop/verify-proof-signature.ts';

export type AuthScheme = 'Bearer' | 'DPoP';

const quoted = (value: string) => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"');

/**
 * A `WWW-Authenticate` value naming each scheme a protected resource accepts (RFC 9110 §11.6.1):
 * RFC 6750 §3 for Bearer, RFC 9449 §7.1 for DPoP (which also lists the accepted `algs`). The
 * error, its description and the scope needed appear only when there is an error to report:
 * a request that sent no credentials gets a bare challenge (RFC 6750 §3.1).
 */
export function authChallenge(
  schemes: readonly AuthScheme[],
  error?: { code: string; description: string; scope?: string | undefined },
): string {
  return schemes
    .map((scheme) => {
      const params = ['realm="portcullis"'];
      if (scheme === 'DPoP') params.push(`algs="${DPOP_ALGS.join(' ')}"`);
      if (error) params.push(`error="${error.code}"`, `error_description="${quoted(error.description)}"`);
      if (error?.scope) params.push(`scope="${quoted(error.scope)}"`);
      return `${scheme} ${params.join(', ')}`;
    })
    .join(', ');
}
