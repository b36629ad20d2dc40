export { AppReleases, type AppReleaseView } from './app-releases.ts';
export { Attestation } from './attestation.ts';
export { attestationRoutes, registerAppsAdminRoutes, registerPolicyAdminRoutes } from './routes.ts';
