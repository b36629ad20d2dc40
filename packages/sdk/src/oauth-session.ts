import { isErrorCode } from '@portcullis/protocol';
import * as oauth from 'oauth4webapi';
import { PortcullisError } from './errors.ts';
import type { InstanceKey } from './instance-key.ts';
import { isLoopbackUrl } from './parse-config.ts';
import type { Platform } from './platform.ts';
import type { EncryptedRecords, StoredSession, TokenStore, UserClaims } from './token-store.ts';

/** The transport options every oauth4webapi call gets: the platform's fetch, http: only on loopback. */
export interface HttpOptions {
  [oauth.customFetch]: (url: string, options: oauth.CustomFetchOptions<string, unknown>) => Promise<Response>;
  [oauth.allowInsecureRequests]: boolean;
}

/** Refresh this long before the access token expires, or a fifth of its lifetime for short-lived tokens. */
const REFRESH_BEFORE_MS = 30_000;
const PENDING_RECORD = 'pending-authorization';

/** A record name per OAuth client, so two clients of one app (and one key store) keep apart. */
export function clientRecord(base: string, clientId: string): string {
  return `${base}-${clientId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
/** A redirect sign-in left unfinished longer than this is discarded. */
const PENDING_LIFETIME_MS = 10 * 60_000;

interface PendingAuthorization {
  state: string;
  codeVerifier: string;
  nonce: string | null;
  redirectUri: string;
  createdAt: number;
}

/** Turns an oauth4webapi failure into a PortcullisError with the server's code and sentence. */
export function toPortcullisError(error: unknown, what: string): PortcullisError {
  if (error instanceof PortcullisError) return error;
  if (error instanceof oauth.ResponseBodyError) {
    const code = isErrorCode(error.error) ? error.error : 'invalid_response';
    return new PortcullisError(code, error.error_description ?? `${what} failed: ${error.error}`, {
      status: error.status,
      cause: error,
    });
  }
  if (error instanceof oauth.AuthorizationResponseError) {
    const code = isErrorCode(error.error) ? error.error : 'authorization_failed';
    return new PortcullisError(code, error.error_description ?? `${what} failed: ${error.error}`, { cause: error });
  }
  if (error instanceof TypeError && !(error as { code?: unknown }).code) {
    return new PortcullisError('network_error', `${what} failed: the server could not be reached`, { cause: error });
  }
  return new PortcullisError('invalid_response', `${what} failed: ${(error as Error).message}`, { cause: error });
}

/** The signed-in person's standard claims the SDK keeps (OIDC Core §5.1). */
function pickUserClaims(claims: Record<string, unknown>): UserClaims {
  const user: UserClaims = { sub: String(claims.sub) };
  for (const name of ['name', 'preferred_username', 'email', 'given_name', 'family_name'] as const) {
    if (typeof claims[name] === 'string') user[name] = claims[name];
  }
  return user;
}

/**
 * Runs an oauth4webapi call once more when the server asked for a DPoP nonce (RFC 9449 §8, §9):
 * the DPoP handle has cached the nonce from the refusal.
 */
export async function retryOnDpopNonce<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    return attempt();
  }
}

/** Hooks the session needs from the SDK around it. */
export interface OAuthSessionDeps {
  server: string;
  clientId: string;
  clientSecret: (() => Promise<string>) | undefined;
  platform: Platform;
  tokenStore: TokenStore;
  records: EncryptedRecords;
  /** The `Portcullis-Attestation` header value for token requests, or null when the app does not attest. */
  attestationHeader(): Promise<string | null>;
}

/**
 * The OAuth client side, all on oauth4webapi: discovery, the grants, DPoP-bound tokens (the DPoP
 * key is the app-instance key), refresh with rotation, revocation. It keeps the session in the
 * token store.
 */
export class OAuthSession {
  readonly #deps: OAuthSessionDeps;
  readonly #client: oauth.Client;
  readonly #dpopKey: () => Promise<InstanceKey>;
  readonly #http: HttpOptions;
  #as: Promise<oauth.AuthorizationServer> | null = null;
  #dpop: Promise<oauth.DPoPHandle> | null = null;
  #refreshing: Promise<StoredSession> | null = null;

  constructor(deps: OAuthSessionDeps, instanceKey: () => Promise<InstanceKey>) {
    this.#deps = deps;
    this.#client = { client_id: deps.clientId };
    // oauth4webapi insists on https:; a loopback server (development) is the one exception.
    this.#http = {
      [oauth.customFetch]: (url, options) => deps.platform.fetch(url, options as RequestInit),
      [oauth.allowInsecureRequests]: isLoopbackUrl(new URL(deps.server)),
    };
    this.#dpopKey = instanceKey;
  }

  /** The authorization server metadata (OpenID Connect discovery), fetched once. */
  metadata(): Promise<oauth.AuthorizationServer> {
    this.#as ??= (async () => {
      const issuer = new URL(this.#deps.server);
      const response = await oauth.discoveryRequest(issuer, { ...this.#http, algorithm: 'oidc' });
      return oauth.processDiscoveryResponse(issuer, response);
    })().catch((error: unknown) => {
      this.#as = null;
      throw toPortcullisError(error, 'discovery');
    });
    return this.#as;
  }

  /** The DPoP handle, signing with the app-instance key; it remembers server nonces per origin. */
  dpop(): Promise<oauth.DPoPHandle> {
    this.#dpop ??= this.#dpopKey().then((key) => oauth.DPoP(this.#client, key.signing));
    return this.#dpop;
  }

  http(): HttpOptions {
    return this.#http;
  }

  async #clientAuth(): Promise<oauth.ClientAuth> {
    return this.#deps.clientSecret ? oauth.ClientSecretBasic(await this.#deps.clientSecret()) : oauth.None();
  }

  async #tokenOptions(): Promise<oauth.TokenEndpointRequestOptions> {
    const attestation = await this.#deps.attestationHeader();
    return {
      ...this.#http,
      DPoP: await this.dpop(),
      ...(attestation === null ? {} : { headers: { 'portcullis-attestation': attestation } }),
    };
  }

  /** Runs a token request (once more if the server asked for a DPoP nonce) and stores the session. */
  async #tokenRequest(
    what: string,
    send: (
      as: oauth.AuthorizationServer,
      auth: oauth.ClientAuth,
      options: oauth.TokenEndpointRequestOptions,
    ) => Promise<Response>,
    process: (as: oauth.AuthorizationServer, response: Response) => Promise<oauth.TokenEndpointResponse>,
    previous?: StoredSession,
  ): Promise<StoredSession> {
    try {
      const as = await this.metadata();
      const auth = await this.#clientAuth();
      const tokens = await retryOnDpopNonce(async () => process(as, await send(as, auth, await this.#tokenOptions())));
      const session = this.#toSession(tokens, previous);
      if (!session.user && session.scope?.split(' ').includes('openid')) session.user = await this.#userinfo(as, session);
      await this.#deps.tokenStore.save(session);
      return session;
    } catch (error) {
      throw toPortcullisError(error, what);
    }
  }

  /**
   * Who signed in, from the UserInfo endpoint (OIDC Core §5.3), for grants that bring no ID token
   * (the password grant). The access token is not read: it is the resource servers' business.
   */
  async #userinfo(as: oauth.AuthorizationServer, session: StoredSession): Promise<UserClaims | undefined> {
    const options = { ...this.#http, ...(session.tokenType === 'DPoP' ? { DPoP: await this.dpop() } : {}) };
    const attempt = async () =>
      oauth.processUserInfoResponse(
        as,
        this.#client,
        session.subject ?? oauth.skipSubjectCheck,
        await oauth.userInfoRequest(as, this.#client, session.accessToken, options),
      );
    return pickUserClaims(await retryOnDpopNonce(attempt));
  }

  #toSession(tokens: oauth.TokenEndpointResponse, previous?: StoredSession): StoredSession {
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    const refreshToken = tokens.refresh_token ?? previous?.refreshToken;
    const idToken = tokens.id_token ?? previous?.idToken;
    const subject = claims?.sub ?? previous?.subject;
    const scope = tokens.scope ?? previous?.scope;
    const user = claims ? pickUserClaims(claims) : previous?.user;
    return {
      accessToken: tokens.access_token,
      tokenType: tokens.token_type.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer',
      obtainedAt: Date.now(),
      expiresAt: Date.now() + (tokens.expires_in ?? 300) * 1000,
      ...(refreshToken === undefined ? {} : { refreshToken }),
      ...(idToken === undefined ? {} : { idToken }),
      ...(subject === undefined ? {} : { subject }),
      ...(scope === undefined ? {} : { scope }),
      ...(user === undefined ? {} : { user }),
    };
  }

  /** RFC 6749 §4.3, for first-party apps only (the server enforces it). */
  password(username: string, password: string, scope: string | undefined): Promise<StoredSession> {
    return this.#tokenRequest(
      'sign-in',
      (as, auth, options) =>
        oauth.genericTokenEndpointRequest(
          as,
          this.#client,
          auth,
          'password',
          { username, password, ...(scope ? { scope } : {}) },
          options,
        ),
      (as, response) => oauth.processGenericTokenEndpointResponse(as, this.#client, response),
    );
  }

  /** RFC 6749 §4.4, for services with a client secret. */
  clientCredentials(scope: string | undefined): Promise<StoredSession> {
    return this.#tokenRequest(
      'client credentials',
      (as, auth, options) => oauth.clientCredentialsGrantRequest(as, this.#client, auth, scope ? { scope } : {}, options),
      (as, response) => oauth.processClientCredentialsResponse(as, this.#client, response),
    );
  }

  /**
   * The authorization request URL (RFC 6749 §4.1.1 with PKCE S256, RFC 7636 §4.2) for a redirect
   * sign-in; its state, nonce and code verifier are kept encrypted until the redirect comes back.
   */
  async authorizationUrl(redirectUri: string, scope: string | undefined): Promise<URL> {
    const as = await this.metadata();
    if (!as.authorization_endpoint) throw new PortcullisError('invalid_response', 'the server has no authorization endpoint');
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = scope?.split(' ').includes('openid') ? oauth.generateRandomNonce() : null;
    const pending: PendingAuthorization = { state, codeVerifier, nonce, redirectUri, createdAt: Date.now() };
    await this.#deps.records.write(clientRecord(PENDING_RECORD, this.#client.client_id), pending);
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.#client.client_id);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('state', state);
    if (scope) url.searchParams.set('scope', scope);
    if (nonce) url.searchParams.set('nonce', nonce);
    return url;
  }

  /** Finishes a redirect sign-in: checks the response (RFC 9207 `iss`, `state`) and redeems the code once. */
  async finishAuthorization(callbackUrl: URL): Promise<StoredSession> {
    const pending = await this.#deps.records.read<PendingAuthorization>(clientRecord(PENDING_RECORD, this.#client.client_id));
    // Single use: the state and verifier are gone whatever happens next.
    await this.#deps.records.remove(clientRecord(PENDING_RECORD, this.#client.client_id));
    if (!pending || Date.now() - pending.createdAt > PENDING_LIFETIME_MS) {
      throw new PortcullisError(
        'authorization_failed',
        'no sign-in is waiting for this redirect (it expired or was already finished)',
      );
    }
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(await this.metadata(), this.#client, callbackUrl, pending.state);
    } catch (error) {
      throw toPortcullisError(error, 'sign-in');
    }
    return this.#tokenRequest(
      'sign-in',
      (as, auth, options) =>
        oauth.authorizationCodeGrantRequest(as, this.#client, auth, params, pending.redirectUri, pending.codeVerifier, options),
      (as, response) =>
        oauth.processAuthorizationCodeResponse(as, this.#client, response, {
          expectedNonce: pending.nonce ?? oauth.expectNoNonce,
          requireIdToken: pending.nonce !== null,
        }),
    );
  }

  /** The stored session, refreshed first when its access token is about to expire. */
  async current(): Promise<StoredSession | null> {
    const session = await this.#deps.tokenStore.load();
    if (!session) return null;
    const ahead = Math.min(REFRESH_BEFORE_MS, (session.expiresAt - (session.obtainedAt ?? 0)) / 5);
    if (session.expiresAt - ahead > Date.now() || !session.refreshToken) return session;
    return this.refresh();
  }

  /** Refreshes now (RFC 6749 §6), keeping the rotated refresh token; one refresh at a time. */
  refresh(): Promise<StoredSession> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<StoredSession> {
    const previous = await this.#deps.tokenStore.load();
    if (!previous?.refreshToken) throw new PortcullisError('not_signed_in', 'there is no session to refresh: sign in first');
    const refreshToken = previous.refreshToken;
    try {
      return await this.#tokenRequest(
        'token refresh',
        (as, auth, options) => oauth.refreshTokenGrantRequest(as, this.#client, auth, refreshToken, options),
        (as, response) => oauth.processRefreshTokenResponse(as, this.#client, response),
        previous,
      );
    } catch (error) {
      // A refused refresh token (expired, revoked, reused) ends the session: sign in again.
      if (error instanceof PortcullisError && error.code === 'invalid_grant') {
        await this.#deps.tokenStore.clear();
        throw new PortcullisError('not_signed_in', 'the session has ended: sign in again', { cause: error });
      }
      throw error;
    }
  }

  /**
   * Revokes the refresh and access tokens (RFC 7009) and forgets the session. Revocation is
   * best-effort: the session is forgotten even when the server cannot be reached.
   */
  async revoke(): Promise<StoredSession | null> {
    const session = await this.#deps.tokenStore.load();
    await this.#deps.tokenStore.clear();
    if (!session) return null;
    try {
      const as = await this.metadata();
      const auth = await this.#clientAuth();
      for (const token of [session.refreshToken, session.accessToken]) {
        if (!token) continue;
        const response = await oauth.revocationRequest(as, this.#client, auth, token, this.#http);
        await oauth.processRevocationResponse(response);
      }
    } catch (error) {
      throw toPortcullisError(error, 'sign-out');
    }
    return session;
  }
}
