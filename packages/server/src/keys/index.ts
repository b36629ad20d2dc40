export { Envelope } from './envelope.ts';
export { loadMasterKey, MasterKeyError } from './load-wrapping-key.ts';
export { loadTlsIdentity, type TlsIdentity, TlsIdentityError } from './local-tls-identity.ts';
export { registerJwksRoute } from './routes.ts';
export { type DigestPurpose, SecretDigests } from './secret-digests.ts';
export { type ActiveSigningKey, SigningKeys } from './signing-keys.ts';
