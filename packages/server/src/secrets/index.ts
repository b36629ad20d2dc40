export { registerSecretsAdminRoutes, secretsRoutes } from './routes.ts';
export { RuntimeSecrets, SECRETS_CHANGED, type SecretView } from './runtime-secrets.ts';
