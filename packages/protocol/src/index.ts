export * from './admin-api.ts';
export * from './attestation.ts';
export * from './error-codes.ts';
export * from './oauth.ts';
export * from './sdk.ts';
