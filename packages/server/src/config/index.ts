export { ConfigError, type LoadConfigOptions, loadConfig } from './load-config.ts';
export { type Config, ConfigSchema, DEFAULTS, SETTINGS, type SettingName } from './settings.ts';
