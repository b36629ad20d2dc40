export { registerInitialAccessTokenAdminRoutes } from './admin-routes.ts';
export { REGISTRATION_PATH } from './client-information.ts';
export { registerRegistrationRoutes } from './routes.ts';
