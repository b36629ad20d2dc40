import type { Services } from '../../services.ts';
import type { Client } from '../clients/client.ts';
import type { FormBody } from '../token/form.ts';
import type { SessionRow } from './sessions.ts';

export type ResponseMode = 'query' | 'fragment' | 'form_post';
export type Prompt = 'none' | 'login' | 'consent';

/** A validated authorization request: what survives the login and consent pages. */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** RFC 6749 §4.1.3: only a redirect_uri sent here must be repeated at the token endpoint. */
  redirectUriGiven: boolean;
  responseType: string;
  responseMode: ResponseMode;
  scope: string;
  state?: string | undefined;
  nonce?: string | undefined;
  codeChallenge?: string | undefined;
  /** RFC 9449 §10: the thumbprint of the DPoP key the code is bound to. */
  dpopJkt?: string | undefined;
  prompt: Prompt[];
  maxAge?: number | undefined;
  loginHint?: string | undefined;
  /** The `sub` of a valid id_token_hint. */
  hintSubject?: string | undefined;
}

/** What the pipeline steps read and fill in, in order (see pipeline.ts). */
export interface AuthorizationContext {
  params: FormBody;
  services: Services;
  issuer: string;
  client?: Client;
  request: Partial<AuthorizationRequest>;
  session?: SessionRow | null;
  /** Set by the steps that find the user must log in or consent first. */
  needsLogin?: boolean;
  needsConsent?: boolean;
}

/**
 * An error before the redirect URI is known to be the client's: shown on our own error page,
 * never redirected (RFC 6749 §4.1.2.1, RFC 9700 §4.1).
 */
export class UnsafeAuthorizationError extends Error {
  override name = 'UnsafeAuthorizationError';
}
