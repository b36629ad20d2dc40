import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';
import { OAuthError } from '../../http/errors.ts';
import type { SecretDigests } from '../../keys/index.ts';
import { checkClientMetadata } from '../clients/check-client-metadata.ts';
import type { Client } from '../clients/client.ts';
import type { Clients } from '../clients/clients.ts';
import { describeClient } from './client-information.ts';
import type { CheckedInitialAccessToken, InitialAccessTokens } from './initial-access-tokens.ts';
import { invalidBearerToken } from './read-bearer-token.ts';
import { readClientMetadata } from './read-client-metadata.ts';
import * as store from './registration-store.ts';
import type { ClientInformation, ClientMetadataBody } from './schemas.ts';

/** A client that presented its registration access token, with the API scopes it may register. */
export interface RegisteredClient {
  client: Client;
  /** The allowlist of the initial access token it was registered with, as it was then. */
  allowedScopes: string[];
}

export interface RegistrationsOptions {
  db: Kysely<Database>;
  digests: SecretDigests;
  clients: Clients;
  initialAccessTokens: InitialAccessTokens;
  maxTokenLifetime: number;
}

/**
 * Dynamic registration (RFC 7591) behind an initial access token, and each registered client's
 * management of itself (RFC 7592) with the registration access token it was given.
 */
export class Registrations {
  readonly #o: RegistrationsOptions;

  constructor(options: RegistrationsOptions) {
    this.#o = options;
  }

  /**
   * RFC 7591 §3.1: registers a client under an initial access token that `InitialAccessTokens.check`
   * accepted, with API scopes only from its allowlist. A use of the token is spent only when a
   * client is registered.
   */
  async register(
    initialAccessToken: CheckedInitialAccessToken,
    body: ClientMetadataBody,
    issuer: string,
  ): Promise<ClientInformation> {
    const { id: initialAccessTokenId, scopes: allowedScopes } = initialAccessToken;
    const input = readClientMetadata(body, allowedScopes);
    // Validated before a use is taken, so a refused request costs the token nothing.
    checkClientMetadata(input, this.#o.maxTokenLifetime);
    await this.#o.initialAccessTokens.takeUse(initialAccessTokenId);
    let clientId: string | undefined;
    try {
      const { client, secret } = await this.#o.clients.create(input);
      clientId = client.client_id;
      // RFC 7592 §1.2: ≥ 256 bits, shown once, stored only as a keyed digest.
      const registrationToken = `pcr_${randomBytes(32).toString('base64url')}`;
      await store.insertRegistration(this.#o.db, {
        client_id: clientId,
        registration_token_hash: this.#o.digests.digest('registration-token', registrationToken),
        initial_access_token_id: initialAccessTokenId,
        // Copied, so revoking or deleting the token later does not change what updates may register.
        scopes_allowed: JSON.stringify(allowedScopes),
        created_at: Date.now(),
      });
      return this.#answer(this.#client(clientId), issuer, registrationToken, secret);
    } catch (err) {
      if (clientId) await this.#o.clients.delete(clientId).catch(() => {});
      await this.#o.initialAccessTokens.giveBackUse(initialAccessTokenId);
      throw err;
    }
  }

  /** RFC 7592 §2: the token must be the one issued to this very client; anything else is 401. */
  async authenticate(clientId: string, registrationToken: string): Promise<RegisteredClient> {
    const row = await store.findRegistrationByTokenHash(
      this.#o.db,
      this.#o.digests.digest('registration-token', registrationToken),
    );
    const client = row?.client_id === clientId ? this.#o.clients.find(clientId) : undefined;
    if (!row || !client) {
      throw invalidBearerToken(
        'the registration access token is not valid for this client',
        row ? 'the token belongs to another client' : 'unknown token',
      );
    }
    return { client, allowedScopes: store.scopeList(row.scopes_allowed) };
  }

  /** RFC 7592 §2.1. The answer repeats the presented token (only its digest is stored) and never the secret. */
  read(client: Client, registrationToken: string, issuer: string): ClientInformation {
    return describeClient(client, issuer, registrationToken);
  }

  /**
   * RFC 7592 §2.2: replaces the metadata, with API scopes only from the allowlist the client was
   * registered under; the secret stays unless the client newly needs one.
   */
  async update(
    { client, allowedScopes }: RegisteredClient,
    registrationToken: string,
    body: ClientMetadataBody,
    issuer: string,
  ): Promise<ClientInformation> {
    if (body.client_id !== client.clientId) {
      throw new OAuthError('invalid_request', 'client_id must be the identifier of this client');
    }
    // RFC 7592 §2.2: a client_secret sent back must be the current one; it can never be chosen.
    if (body.client_secret !== undefined && !this.#o.clients.secretMatches(client, body.client_secret)) {
      throw new OAuthError('invalid_request', 'client_secret is not the current secret of this client');
    }
    const { secret } = await this.#o.clients.update(client.clientId, readClientMetadata(body, allowedScopes, client));
    return this.#answer(this.#client(client.clientId), issuer, registrationToken, secret);
  }

  /** RFC 7592 §2.3: the client goes with its grants, tokens and registration access token. */
  async delete(client: Client): Promise<void> {
    await this.#o.clients.delete(client.clientId);
  }

  #client(clientId: string): Client {
    const client = this.#o.clients.find(clientId);
    if (!client) throw new Error(`client ${clientId} vanished while being registered`);
    return client;
  }

  #answer(client: Client, issuer: string, registrationToken: string, secret: string | null): ClientInformation {
    const info = describeClient(client, issuer, registrationToken);
    // RFC 7591 §3.2.1: client_secret_expires_at is required with a secret; 0 means it does not expire.
    return secret ? { ...info, client_secret: secret, client_secret_expires_at: 0 } : info;
  }
}
