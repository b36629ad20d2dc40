export { ApiRoutes } from './api-routes.ts';
export { type ApiRouteInput, RESERVED_SEGMENTS } from './check-route-input.ts';
export { Gateway, IDENTITY_HEADER, IDENTITY_TOKEN_TYP } from './gateway.ts';
export {
  connectGatewayRedis,
  createMemoryRateLimiter,
  createRedisRateLimiter,
  type GatewayRedis,
  type RateLimiter,
} from './rate-limiter.ts';
export { registerGatewayAdminRoutes } from './routes.ts';
export { memoryProofLedger, redisProofLedger } from './used-proofs.ts';
