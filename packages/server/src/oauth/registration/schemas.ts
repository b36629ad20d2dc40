import { type Static, Type } from '@sinclair/typebox';

const Uris = Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { maxItems: 50 });
const Names = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 10 });
const Jwks = Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: 20 }) });

/**
 * RFC 7591 §2 client metadata this server reads. Any other member is accepted and ignored
 * (RFC 7591 §2), so the object stays open; `jwks_uri` and `software_statement` are named only
 * to be refused.
 */
export const ClientMetadataBody = Type.Object(
  {
    redirect_uris: Type.Optional(Uris),
    post_logout_redirect_uris: Type.Optional(Uris),
    token_endpoint_auth_method: Type.Optional(Type.String({ maxLength: 100 })),
    grant_types: Type.Optional(Names),
    response_types: Type.Optional(Names),
    client_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    scope: Type.Optional(Type.String({ maxLength: 4000 })),
    jwks: Type.Optional(Jwks),
    // An extension (RFC 7591 §2 allows them): the browser origins that may call the token,
    // revocation and UserInfo endpoints (CORS).
    web_origins: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 50 })),
    jwks_uri: Type.Optional(Type.Unknown()),
    software_statement: Type.Optional(Type.Unknown()),
    // RFC 7592 §2.2: an update names the client, and may repeat its current secret.
    client_id: Type.Optional(Type.String({ maxLength: 200 })),
    client_secret: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: true },
);
export type ClientMetadataBody = Static<typeof ClientMetadataBody>;

/** RFC 7591 §3.2.1 client information response, also the RFC 7592 §3 read and update answer. */
export const ClientInformation = Type.Object({
  client_id: Type.String(),
  client_secret: Type.Optional(Type.String()),
  client_id_issued_at: Type.Integer(),
  client_secret_expires_at: Type.Optional(Type.Integer()),
  registration_access_token: Type.String(),
  registration_client_uri: Type.String(),
  client_name: Type.String(),
  redirect_uris: Type.Array(Type.String()),
  post_logout_redirect_uris: Type.Array(Type.String()),
  grant_types: Type.Array(Type.String()),
  response_types: Type.Array(Type.String()),
  token_endpoint_auth_method: Type.String(),
  web_origins: Type.Array(Type.String()),
  scope: Type.Optional(Type.String()),
  jwks: Type.Optional(Jwks),
});
export type ClientInformation = Static<typeof ClientInformation>;

export const ClientIdParams = Type.Object({ client_id: Type.String() });
