import { ATTESTATION_HEADER, type PinSetClaims, type SdkConfig } from '@portcullis/protocol';
import { compactDecrypt } from 'jose';
import * as oauth from 'oauth4webapi';
import { type AppIdentity, Attestation, type PlatformAttester } from './attestation.ts';
import { browserPlatform } from './browser-platform.ts';
import { fetchWithProof, replayable, tokenHash } from './dpop-proof.ts';
import { PortcullisError, readErrorBody } from './errors.ts';
import { clientRecord, OAuthSession, retryOnDpopNonce } from './oauth-session.ts';
import { parseConfigString } from './parse-config.ts';
import { PinSet } from './pin-set.ts';
import { memoryPlatform, type Platform } from './platform.ts';
import { encryptedRecords, encryptedTokenStore, type StoredSession, type TokenStore, type UserClaims } from './token-store.ts';

/**
 * Options of `createPortcullis`.
 *
 * @example
 * const options: PortcullisOptions = { app: { id: 'com.example.catalog', release: 'sha256:…' }, scope: 'openid catalog' };
 */
export interface PortcullisOptions {
  /** The app as registered with `portcullis apps register`. */
  app: AppIdentity;
  /** Where keys and records live and how requests go out; defaults to `browserPlatform()` in a browser, else memory. */
  platform?: Platform;
  /** The OAuth client; defaults to the config string's `client_id`. */
  clientId?: string;
  /**
   * A confidential client's secret, or a function fetching it, e.g. as a runtime secret only an
   * attested app receives: `() => portcullis.getSecret('partner-client-secret')`.
   */
  clientSecret?: string | (() => Promise<string>);
  /** Hardware attestation from a native bridge; without one the SDK sends `software` evidence. */
  attester?: PlatformAttester;
  /** `false` for a service that does not attest (client credentials on a server). Default `true`. */
  attestation?: boolean;
  /** Where the session is kept; defaults to an AES-GCM encrypted record in the platform's store. */
  tokenStore?: TokenStore;
  /** The scope to ask for when a sign-in call names none. */
  scope?: string;
  /** The redirect URI of the authorization code flow. */
  redirectUri?: string;
}

/**
 * What the app sees of the signed-in session; the tokens themselves stay inside the SDK.
 *
 * @example
 * const session: SessionInfo | null = await portcullis.session();
 */
export interface SessionInfo {
  /** The signed-in person (`sub`, `name`, `email`, ...) when the scope had `openid`; undefined for services. */
  user: UserClaims | undefined;
  scope: string | undefined;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  tokenType: 'DPoP' | 'Bearer';
}

/**
 * Opens the authorization URL in the system browser (or an in-app browser tab) and resolves with
 * the URL the server redirected back to. Native apps implement it over their platform's
 * authentication session (ASWebAuthenticationSession, Custom Tabs).
 *
 * @example
 * const adapter: AuthorizationAdapter = { open: (url, redirectUri) => InAppBrowser.openAuth(url, redirectUri) };
 */
export interface AuthorizationAdapter {
  open(authorizationUrl: string, redirectUri: string): Promise<string>;
}

function info(session: StoredSession): SessionInfo {
  return { user: session.user, scope: session.scope, expiresAt: session.expiresAt, tokenType: session.tokenType };
}

/**
 * One Portcullis-secured app: attestation, sign-in, secured API calls, runtime secrets.
 * Create it with `createPortcullis`.
 *
 * @example
 * const portcullis: Portcullis = createPortcullis(CONFIG, { app });
 */
export class Portcullis {
  readonly config: SdkConfig;
  readonly #options: PortcullisOptions;
  readonly #platform: Platform;
  readonly #attestation: Attestation;
  readonly #oauth: OAuthSession;
  readonly #pins: PinSet;
  readonly #secrets = new Map<string, string>();

  constructor(config: SdkConfig, options: PortcullisOptions) {
    this.config = config;
    this.#options = options;
    const platform =
      options.platform ??
      (typeof indexedDB === 'undefined' ? memoryPlatform() : browserPlatform({ databaseName: `portcullis:${config.server}` }));
    this.#platform = platform;
    const records = encryptedRecords(platform.records, () => platform.keyStore.storageKey());
    this.#attestation = new Attestation(config.server, platform, options.app, options.attester);
    this.#pins = new PinSet(config, platform, records);
    const clientId = options.clientId ?? config.client_id;
    if (!clientId)
      throw new PortcullisError('invalid_config', 'no OAuth client: print the config string with --client-id, or pass clientId');
    const secret = options.clientSecret;
    this.#oauth = new OAuthSession(
      {
        server: config.server,
        clientId,
        clientSecret: secret === undefined ? undefined : typeof secret === 'string' ? async () => secret : secret,
        platform,
        tokenStore: options.tokenStore ?? encryptedTokenStore(records, clientRecord('session', clientId)),
        records,
        attestationHeader: () => (options.attestation === false ? Promise.resolve(null) : this.#attestation.token()),
      },
      () => platform.keyStore.instanceKey(),
    );
  }

  /**
   * Attests the app now and returns the attestation token (it is cached and renewed by itself;
   * call this to surface a refusal early, with its reasons).
   *
   * @example
   * try { await portcullis.attest(); } catch (e) { if (e instanceof AttestationError) show(e.reasons); }
   */
  async attest(): Promise<string> {
    return (await this.#attestation.renew()).token;
  }

  /**
   * Signs in with a username and password (the password grant, for first-party apps only).
   *
   * @example
   * const session = await portcullis.signInWithPassword('alice', password);
   */
  async signInWithPassword(username: string, password: string, options: { scope?: string } = {}): Promise<SessionInfo> {
    return info(await this.#oauth.password(username, password, options.scope ?? this.#options.scope));
  }

  /**
   * Signs in with the authorization code flow and PKCE through an adapter that shows the server's
   * login and consent pages and captures the redirect.
   *
   * @example
   * const session = await portcullis.signIn(systemBrowserAdapter);
   */
  async signIn(adapter: AuthorizationAdapter, options: { scope?: string } = {}): Promise<SessionInfo> {
    const redirectUri = this.#redirectUri();
    const url = await this.#oauth.authorizationUrl(redirectUri, options.scope ?? this.#options.scope);
    return this.handleRedirect(await adapter.open(url.href, redirectUri));
  }

  /**
   * The first half of a browser redirect sign-in: the URL to send the person to. Call
   * `handleRedirect(location.href)` on the page the server redirects back to.
   *
   * @example
   * location.assign(await portcullis.authorizationUrl());
   */
  async authorizationUrl(options: { scope?: string } = {}): Promise<string> {
    return (await this.#oauth.authorizationUrl(this.#redirectUri(), options.scope ?? this.#options.scope)).href;
  }

  /**
   * Finishes a redirect sign-in from the URL the server redirected to (code, state, iss).
   *
   * @example
   * if (location.search.includes('code=')) await portcullis.handleRedirect(location.href);
   */
  async handleRedirect(url: string): Promise<SessionInfo> {
    return info(await this.#oauth.finishAuthorization(new URL(url)));
  }

  /**
   * Gets a token for the app itself (client credentials), for services with a client secret.
   *
   * @example
   * const service = createPortcullis(config, { app, clientSecret, attestation: false });
   * await service.signInAsService({ scope: 'reports' });
   */
  async signInAsService(options: { scope?: string } = {}): Promise<SessionInfo> {
    return info(await this.#oauth.clientCredentials(options.scope ?? this.#options.scope));
  }

  /**
   * The signed-in session, refreshed first if it is about to expire; null when signed out.
   *
   * @example
   * if (!(await portcullis.session())) showSignIn();
   */
  async session(): Promise<SessionInfo | null> {
    const session = await this.#oauth.current().catch((error: unknown) => {
      if (error instanceof PortcullisError && error.code === 'not_signed_in') return null;
      throw error;
    });
    return session ? info(session) : null;
  }

  /**
   * Refreshes the tokens now (the refresh token rotates).
   *
   * @example
   * await portcullis.refresh();
   */
  async refresh(): Promise<SessionInfo> {
    return info(await this.#oauth.refresh());
  }

  /**
   * The access token, for a protocol the SDK does not carry itself (MQTT). Refreshed when needed.
   *
   * @example
   * const token = await portcullis.accessToken();
   */
  async accessToken(): Promise<string> {
    const session = await this.#oauth.current();
    if (!session) throw new PortcullisError('not_signed_in', 'sign in first');
    return session.accessToken;
  }

  /**
   * The signed pin set: pins per host and the protected API hosts.
   *
   * @example
   * const { protected_domains } = await portcullis.pinSet();
   */
  pinSet(): Promise<PinSetClaims> {
    return this.#pins.get();
  }

  /**
   * `fetch` for protected APIs. For a host in the pin set's protected domains it adds the access
   * token (with a DPoP proof per request when the token is bound), the attestation token, and
   * retries once after refreshing the token or attesting again when the gateway refused either.
   * Other hosts get a plain request without credentials.
   *
   * @example
   * const response = await portcullis.fetch('https://api.example.com/products');
   */
  async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = new URL(input, this.config.server);
    const pins = await this.#pins.get();
    if (!pins.protected_domains.includes(url.hostname)) return this.#platform.fetch(url, init);
    const canRetry = replayable(init.body);
    let response = await this.#protectedRequest(url, init);
    if (response.status !== 401 || !canRetry) return response;
    const error = (await readErrorBody(response.clone())).error;
    if (error === 'attestation_invalid' || error === 'attestation_required') {
      this.#attestation.forget();
      response = await this.#protectedRequest(url, init);
    } else if (error === 'invalid_token') {
      const refreshed = await this.#oauth.refresh().catch(() => null);
      if (refreshed) response = await this.#protectedRequest(url, init);
    }
    return response;
  }

  async #protectedRequest(url: URL, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    const method = (init.method ?? 'GET').toUpperCase();
    const attest = this.#options.attestation !== false;
    if (attest) headers.set(ATTESTATION_HEADER, await this.#attestation.token());
    const session = await this.#oauth.current().catch((error: unknown) => {
      if (error instanceof PortcullisError && error.code === 'not_signed_in') return null;
      throw error;
    });
    if (!session) {
      // Signed out: the attestation token alone, with a proof by its key (RFC 9449 §7 without `ath`).
      const signedOut = { ...init, method, headers };
      if (!attest) return this.#platform.fetch(url, signedOut);
      return fetchWithProof(this.#platform.fetch, await this.#platform.keyStore.instanceKey(), url, signedOut);
    }
    const options = {
      ...this.#oauth.http(),
      ...(session.tokenType === 'DPoP' || attest ? { DPoP: await this.#oauth.dpop() } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    };
    const send = () =>
      oauth.protectedResourceRequest(
        session.accessToken,
        method,
        url,
        headers,
        (init.body ?? null) as oauth.ProtectedResourceRequestBody,
        options,
      );
    try {
      // RFC 9449 §9: a resource may ask for a nonce; the retry sends the body again, so not for a stream.
      return await (replayable(init.body) ? retryOnDpopNonce(send) : send());
    } catch (error) {
      // Any other challenge is an answer for the caller (and for the retry in `fetch`).
      if (error instanceof oauth.WWWAuthenticateChallengeError) return error.response;
      throw error;
    }
  }

  /**
   * A runtime secret, delivered only to this attested app instance and encrypted to its key
   * (ATTESTATION.md §5). It is kept in memory only, never stored.
   *
   * @example
   * const mapsKey = await portcullis.getSecret('maps-api-key');
   */
  async getSecret(name: string): Promise<string> {
    const cached = this.#secrets.get(name);
    if (cached !== undefined) return cached;
    const key = await this.#platform.keyStore.instanceKey();
    if (!key.agreement)
      throw new PortcullisError('invalid_config', 'this app-instance key cannot receive secrets (it cannot agree keys)');
    const url = new URL(`/secrets/${encodeURIComponent(name)}`, this.config.server);
    const send = async () => {
      const token = await this.#attestation.token();
      return fetchWithProof(
        this.#platform.fetch,
        key,
        url,
        { method: 'GET', headers: { [ATTESTATION_HEADER]: token } },
        await tokenHash(token),
      );
    };
    let response = await send();
    if (response.status === 401) {
      this.#attestation.forget();
      response = await send();
    }
    if (response.status !== 200) {
      const body = await readErrorBody(response);
      const code = response.status === 404 ? 'not_found' : response.status === 429 ? 'rate_limited' : 'invalid_response';
      throw new PortcullisError(
        code,
        `the secret ${name} was not delivered: ${body.error_description ?? `the server answered ${response.status}`}`,
        {
          status: response.status,
        },
      );
    }
    const { value_jwe } = (await response.json()) as { value_jwe: string };
    const { plaintext } = await compactDecrypt(value_jwe, key.agreement, {
      keyManagementAlgorithms: ['ECDH-ES+A256KW'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    const value = new TextDecoder().decode(plaintext);
    this.#secrets.set(name, value);
    return value;
  }

  /**
   * Signs out: revokes the refresh and access tokens (RFC 7009) and forgets the session and the
   * secrets. Returns the end-session URL (OIDC RP-Initiated Logout) for apps that signed in through
   * the browser, so the server's login session ends too.
   *
   * @example
   * const { endSessionUrl } = await portcullis.logout({ postLogoutRedirectUri: location.origin });
   * if (endSessionUrl) location.assign(endSessionUrl);
   */
  async logout(options: { postLogoutRedirectUri?: string } = {}): Promise<{ endSessionUrl: string | null }> {
    this.#secrets.clear();
    const session = await this.#oauth.revoke();
    const as = await this.#oauth.metadata();
    if (!session?.idToken || !as.end_session_endpoint) return { endSessionUrl: null };
    const url = new URL(as.end_session_endpoint);
    url.searchParams.set('id_token_hint', session.idToken);
    url.searchParams.set('client_id', this.#options.clientId ?? this.config.client_id ?? '');
    if (options.postLogoutRedirectUri) url.searchParams.set('post_logout_redirect_uri', options.postLogoutRedirectUri);
    return { endSessionUrl: url.href };
  }

  #redirectUri(): string {
    if (!this.#options.redirectUri)
      throw new PortcullisError('invalid_config', 'pass redirectUri to createPortcullis for the code flow');
    return this.#options.redirectUri;
  }
}

/**
 * Creates the SDK from the config string `portcullis sdk config` prints.
 *
 * @example
 * const portcullis = createPortcullis(CONFIG, { app: { id: 'com.example.catalog', release: 'sha256:…' } });
 * await portcullis.signInWithPassword('alice', password);
 * const products = await (await portcullis.fetch('/api/products')).json();
 */
export function createPortcullis(configString: string, options: PortcullisOptions): Portcullis {
  return new Portcullis(parseConfigString(configString), options);
}
