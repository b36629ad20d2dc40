export { type BuildAppOptions, buildApp, type PortcullisApp, StartupError } from './app.ts';
export { type Config, ConfigError, loadConfig } from './config/index.ts';
export { type ServeOptions, serve } from './main.ts';
export type { Services } from './services.ts';
