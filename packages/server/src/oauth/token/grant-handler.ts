import type { GrantType, TokenResponse } from '@portcullis/protocol';
import type { LoginThrottle, Users } from '../../directory/index.ts';
import { OAuthError } from '../../http/errors.ts';
import type { SigningKeys } from '../../keys/index.ts';
import type { Client } from '../clients/client.ts';
import type { DpopProof } from '../dpop/verify-dpop-proof.ts';
import type { OAuth } from '../oauth.ts';
import type { Grants } from '../tokens/grants.ts';
import { type FormBody, listParam, param } from './form.ts';

export interface TokenContext {
  client: Client;
  form: FormBody;
  ip: string;
  issuer: string;
  signingKeys: SigningKeys;
  grants: Grants;
  users: Users;
  throttle: LoginThrottle;
  oauth: OAuth;
  /** Set when the client authenticated with a TLS certificate: tokens are bound to it (RFC 8705 §3). */
  certificateThumbprint?: string | undefined;
  /** The request's verified DPoP proof (RFC 9449 §5): tokens issued are bound to its key. */
  dpop?: DpopProof | undefined;
}

/** One grant type at the token endpoint (RFC 6749 §4); the endpoint dispatches on `grant_type`. */
export interface GrantHandler {
  readonly grantType: GrantType;
  handle(ctx: TokenContext): Promise<TokenResponse>;
}

/**
 * RFC 6749 §3.3: the requested scope must be within what the client may ask for; no scope means
 * everything the client is registered for.
 */
export function resolveScope(client: Client, form: FormBody): string {
  const requested = param(form, 'scope');
  if (requested === undefined) return client.scopes.join(' ');
  const wanted = [...new Set(requested.split(' ').filter(Boolean))];
  const refused = wanted.filter((s) => !client.scopes.includes(s));
  if (refused.length > 0) throw new OAuthError('invalid_scope', `this client may not request ${refused.join(' ')}`);
  return wanted.join(' ');
}

/**
 * RFC 8707 §2: each `resource` is an absolute URI without a fragment, and one this client is
 * registered for (otherwise invalid_target); they become the token's `aud`. Without one, the
 * audience is this server (and the APIs behind its gateway).
 */
export function resolveAudience(form: FormBody, issuer: string, client: Client): string | string[] {
  const resources = listParam(form, 'resource');
  for (const resource of resources) {
    if (!URL.canParse(resource) || resource.includes('#')) {
      throw new OAuthError('invalid_target', 'each resource must be an absolute URI without a fragment');
    }
    if (!client.resources.includes(resource))
      throw new OAuthError('invalid_target', `this client may not ask for a token for ${resource}`);
  }
  if (resources.length === 0) return issuer;
  return resources.length === 1 ? (resources[0] as string) : resources;
}

/** The `cnf` of tokens issued in this request: a DPoP key (RFC 9449 §6) or a client certificate (RFC 8705 §3.1). */
export function confirmationOf(ctx: TokenContext): Record<string, string> | undefined {
  if (ctx.dpop) return { jkt: ctx.dpop.jkt };
  if (ctx.certificateThumbprint) return { 'x5t#S256': ctx.certificateThumbprint };
  return undefined;
}
