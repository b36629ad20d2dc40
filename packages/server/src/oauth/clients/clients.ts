import { randomBytes } from 'node:crypto';
import type { ClientView } from '@portcullis/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';
import type { EventBus } from '../../events/index.ts';
import { NotFound, OAuthError } from '../../http/errors.ts';
import type { SecretDigests } from '../../keys/index.ts';
import { type ClientMetadata, type ClientMetadataInput, checkClientMetadata, usesSecret } from './check-client-metadata.ts';
import { type Client, clientFromRow, toClientView } from './client.ts';
import * as store from './client-store.ts';

/** What an admin may change on a client: any setting but its type. */
export type ClientChanges = Partial<Omit<ClientMetadataInput, 'type'>>;

const CHANGED = 'clients.changed';

/**
 * Registered OAuth clients. The token endpoint reads them from memory (no query per request);
 * every change reloads the cache on every node through the event bus.
 */
export class Clients {
  readonly #db: Kysely<Database>;
  readonly #digests: SecretDigests;
  readonly #bus: EventBus;
  readonly #maxTokenLifetime: number;
  #byId = new Map<string, Client>();
  /** Every client's web origins together: a CORS preflight names no client, so it is answered for these. */
  #webOrigins = new Set<string>();
  #unsubscribe: () => void = () => {};

  private constructor(db: Kysely<Database>, digests: SecretDigests, bus: EventBus, maxTokenLifetime: number) {
    this.#db = db;
    this.#digests = digests;
    this.#bus = bus;
    this.#maxTokenLifetime = maxTokenLifetime;
  }

  static async open(db: Kysely<Database>, digests: SecretDigests, bus: EventBus, maxTokenLifetime: number): Promise<Clients> {
    const clients = new Clients(db, digests, bus, maxTokenLifetime);
    await clients.reload();
    clients.#unsubscribe = bus.subscribe(CHANGED, () => {
      clients.reload().catch(() => {});
    });
    return clients;
  }

  close(): void {
    this.#unsubscribe();
  }

  async reload(): Promise<void> {
    const rows = await store.listClientRows(this.#db);
    this.#byId = new Map(rows.map((r) => [r.client_id, clientFromRow(r)]));
    this.#webOrigins = new Set([...this.#byId.values()].flatMap((c) => c.webOrigins));
  }

  async #changed(): Promise<void> {
    await this.reload();
    await this.#bus.publish(CHANGED, {});
  }

  /** The client with this id, from memory; undefined when unknown. */
  find(clientId: string): Client | undefined {
    return this.#byId.get(clientId);
  }

  /** Whether some client lists `origin` among its web origins. */
  anyAllowsOrigin(origin: string): boolean {
    return this.#webOrigins.has(origin);
  }

  /** Constant-time check of a presented secret against the client's stored digest. */
  secretMatches(client: Client, secret: string): boolean {
    return client.secretHash !== null && this.#digests.matches('client-secret', secret, client.secretHash);
  }

  async create(input: ClientMetadataInput): Promise<{ client: ClientView; secret: string | null }> {
    const meta = checkClientMetadata(input, this.#maxTokenLifetime);
    const clientId = `pc_${randomBytes(16).toString('base64url')}`;
    // ≥ 256 bits: shown once, stored only as a keyed digest.
    const secret = usesSecret(meta.authMethod) ? `pcs_${randomBytes(32).toString('base64url')}` : null;
    const now = Date.now();
    await store.insertClient(this.#db, {
      client_id: clientId,
      ...metadataColumns(meta),
      secret_hash: secret ? this.#digests.digest('client-secret', secret) : null,
      created_at: now,
      updated_at: now,
    });
    await this.#changed();
    return { client: toClientView(this.#require(clientId)), secret };
  }

  #require(clientId: string): Client {
    const client = this.#byId.get(clientId);
    if (!client) throw new NotFound(`no client with id "${clientId}"`);
    return client;
  }

  list(): ClientView[] {
    return [...this.#byId.values()].map(toClientView);
  }

  get(clientId: string): ClientView {
    return toClientView(this.#require(clientId));
  }

  async rotateSecret(clientId: string): Promise<{ client_id: string; client_secret: string }> {
    const client = this.#require(clientId);
    if (!usesSecret(client.authMethod)) {
      throw new OAuthError('invalid_request', `client "${clientId}" authenticates with ${client.authMethod}, not a secret`);
    }
    const secret = `pcs_${randomBytes(32).toString('base64url')}`;
    await store.updateClientRow(this.#db, clientId, {
      secret_hash: this.#digests.digest('client-secret', secret),
      updated_at: Date.now(),
    });
    await this.#changed();
    return { client_id: clientId, client_secret: secret };
  }

  async delete(clientId: string): Promise<void> {
    this.#require(clientId);
    // Grants, refresh tokens and access-token records go with it (foreign keys cascade).
    if (!(await store.deleteClientRow(this.#db, clientId))) throw new NotFound(`no client with id "${clientId}"`);
    await this.#changed();
  }

  /**
   * Changes some of a client's settings (the admin API's PATCH): the rest stay as they are, and
   * the whole is validated as on create. Its id, type and creation time never change.
   */
  async change(clientId: string, changes: ClientChanges): Promise<{ client: ClientView; secret: string | null }> {
    const c = this.#require(clientId);
    // The view names every setting as the API does; what it leaves out (the jwks) comes from the client.
    const { client_id: _id, response_types: _derived, created_at: _c, updated_at: _u, ...settings } = toClientView(c);
    const current: ClientMetadataInput = {
      ...settings,
      tls_client_auth_subject_dn: settings.tls_client_auth_subject_dn ?? undefined,
      jwks: c.jwks ?? undefined,
    };
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    return this.update(clientId, { ...current, ...defined });
  }

  /**
   * Replaces a client's metadata, validated as on create (RFC 7592 §2.2). The secret is kept
   * while the auth method uses one; a client that newly needs one gets it, once, in `secret`.
   */
  async update(clientId: string, input: ClientMetadataInput): Promise<{ client: ClientView; secret: string | null }> {
    const current = this.#require(clientId);
    const meta = checkClientMetadata(input, this.#maxTokenLifetime);
    const needsSecret = usesSecret(meta.authMethod);
    const secret = needsSecret && current.secretHash === null ? `pcs_${randomBytes(32).toString('base64url')}` : null;
    const secretHash = needsSecret ? (secret ? this.#digests.digest('client-secret', secret) : current.secretHash) : null;
    const updated = await store.updateClientRow(this.#db, clientId, {
      ...metadataColumns(meta),
      secret_hash: secretHash,
      updated_at: Date.now(),
    });
    if (!updated) throw new NotFound(`no client with id "${clientId}"`);
    await this.#changed();
    return { client: toClientView(this.#require(clientId)), secret };
  }
}

/** The stored form of validated metadata: one mapping for create and update alike. */
function metadataColumns(meta: ClientMetadata): Omit<store.ClientRow, 'client_id' | 'secret_hash' | 'created_at' | 'updated_at'> {
  return {
    name: meta.name,
    type: meta.type,
    first_party: meta.firstParty ? 1 : 0,
    grant_types: JSON.stringify(meta.grantTypes),
    response_types: JSON.stringify(meta.responseTypes),
    redirect_uris: JSON.stringify(meta.redirectUris),
    post_logout_redirect_uris: JSON.stringify(meta.postLogoutRedirectUris),
    scopes: JSON.stringify(meta.scopes),
    token_endpoint_auth_method: meta.authMethod,
    jwks: meta.jwks ? JSON.stringify(meta.jwks) : null,
    tls_client_auth_subject_dn: meta.tlsClientAuthSubjectDn,
    resources: JSON.stringify(meta.resources),
    attestation_app_ids: JSON.stringify(meta.attestationAppIds),
    web_origins: JSON.stringify(meta.webOrigins),
    require_pkce: meta.requirePkce ? 1 : 0,
    require_dpop: meta.requireDpop ? 1 : 0,
    require_attestation: meta.requireAttestation ? 1 : 0,
    access_token_lifetime: meta.accessTokenLifetime,
    refresh_token_lifetime: meta.refreshTokenLifetime,
    refresh_token_idle_lifetime: meta.refreshTokenIdleLifetime,
  };
}
