export { type BuildAppOptions, buildApp, type PortcullisApp } from './app.ts';
export { type Config, ConfigError, loadConfig } from './config/index.ts';
export { type ServeOptions, StartupError, serve } from './main.ts';
export type { Services } from './services.ts';
