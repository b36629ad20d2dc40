// Reference authorization server for the token benchmark: oidc-provider issuing JWT (ES256)
// access tokens through the client-credentials grant. The bench spawns it as a child process:
//
//   READY_FILE=<file> REFERENCE_CLIENT_ID=<id> REFERENCE_CLIENT_SECRET=<secret> node bench/reference-oidc-provider.ts
//
// It binds 127.0.0.1 on any free port, then writes {"url"} to READY_FILE and prints the URL.
// One confidential client (client_secret_basic, grant client_credentials, scope `read`); a
// default resource (RESOURCE) so a request without `resource` gets a JWT access token for it.
// Production-like: no dev interactions, explicit TTLs and CORS policy, random cookie keys; the
// default in-memory adapter (JWT access tokens are not stored in it, so it does not grow).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';

export const RESOURCE = 'https://api.example.com';
const SCOPE = 'read';
const TOKEN_TTL = 600;

const clientId = process.env.REFERENCE_CLIENT_ID ?? 'bench';
const clientSecret = process.env.REFERENCE_CLIENT_SECRET;
if (!clientSecret || clientSecret.length < 32) {
  console.error('REFERENCE_CLIENT_SECRET (at least 32 characters) is required');
  process.exit(2);
}

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'bench-es256', alg: 'ES256', use: 'sig' };

const server = createServer();
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => resolve());
});
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const provider = new Provider(url, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: SCOPE,
    },
  ],
  jwks: { keys: [signingKey] },
  scopes: [SCOPE],
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  clientBasedCORS: () => false,
  ttl: { ClientCredentials: TOKEN_TTL },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => false,
      getResourceServerInfo: (_ctx: unknown, resourceIndicator: string) => {
        if (resourceIndicator !== RESOURCE) throw new errors.InvalidTarget();
        return {
          scope: SCOPE,
          audience: RESOURCE,
          accessTokenTTL: TOKEN_TTL,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
});
server.on('request', provider.callback());

if (process.env.READY_FILE) writeFileSync(process.env.READY_FILE, JSON.stringify({ url }));
console.log(url);

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
