export { registerClientsAdminRoutes } from './admin-routes.ts';
export type { Client } from './clients/client.ts';
export { boundJkt } from './dpop/check-resource-proof.ts';
export { readDpopHeaders } from './dpop/read-dpop-headers.ts';
export { DPOP_ALGS, type DpopProof, PROOF_MAX_AGE_S, PROOF_MAX_FUTURE_S, verifyDpopProof } from './dpop/verify-dpop-proof.ts';
export { verifyAccessToken } from './introspect.ts';
export { OAuth } from './oauth.ts';
export { oauthRoutes } from './routes.ts';
export { signJwt } from './tokens/sign-jwt.ts';
