export { AppReleases } from './app-releases.ts';
export { Attestation, type AttestationRoots } from './attestation.ts';
export { type AttestedApp, checkClientAttestation, verifyAttestationToken } from './check-client-attestation.ts';
export { RevocationList } from './revocation-list.ts';
export { attestationRoutes, registerAppsAdminRoutes, registerDevicesAdminRoutes, registerPolicyAdminRoutes } from './routes.ts';
