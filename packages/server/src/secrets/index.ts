export { registerSecretsAdminRoutes, secretsRoutes } from './routes.ts';
export { RuntimeSecrets, type SecretView } from './runtime-secrets.ts';
