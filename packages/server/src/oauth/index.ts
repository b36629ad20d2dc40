export { registerClientsAdminRoutes } from './admin-routes.ts';
export type { Client } from './clients/client.ts';
export { readDpopHeaders } from './dpop/read-dpop-headers.ts';
export { type DpopProof, verifyDpopProof } from './dpop/verify-dpop-proof.ts';
export { verifyAccessToken } from './introspect.ts';
export { OAuth } from './oauth.ts';
export { oauthRoutes } from './routes.ts';
export { signJwt } from './tokens/sign-jwt.ts';
