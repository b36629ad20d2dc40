export * from './admin-api.ts';
export * from './error-codes.ts';
export * from './oauth.ts';
