import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { type Config, DEFAULTS, SETTINGS, type SettingName } from './settings.ts';

/** A configuration problem: its message is the one line start-up prints before it stops. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  /** A JSON or YAML file whose keys are the settings' names (`http_port`) or variables (`PORTCULLIS_HTTP_PORT`). */
  configFile?: string;
}

const NAMES = Object.keys(SETTINGS) as SettingName[];

// TypeBox schemas are JSON Schema: the validator the HTTP layer already loads checks them too,
// compiled only for the settings actually given.
const ajv = new Ajv({ strict: false });
function check(name: SettingName, value: unknown): boolean {
  return ajv.compile(SETTINGS[name].schema)(value);
}

function fileKeyOf(name: SettingName): string {
  return SETTINGS[name].env.replace(/^PORTCULLIS_/, '').toLowerCase();
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`--config ${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let doc: unknown;
  try {
    // yaml is loaded only for a YAML file (synchronously, through its CommonJS build).
    doc = /\.json$/i.test(path)
      ? JSON.parse(text)
      : (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
  } catch {
    throw new ConfigError(`--config ${path}: not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`--config ${path}: expected an object of settings at the top level`);
  }
  const known = new Map<string, SettingName>();
  for (const name of NAMES) {
    known.set(fileKeyOf(name), name);
    known.set(SETTINGS[name].env, name);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    const name = known.get(key);
    if (!name) throw new ConfigError(`--config ${path}: unknown setting "${key}"`);
    out[name] = value;
  }
  return out;
}

function describe(name: SettingName, value: unknown): string {
  const spec = SETTINGS[name];
  const shown = 'secret' in spec && spec.secret ? '' : ` (got ${JSON.stringify(value)})`;
  return `${spec.env}: invalid value${shown}; expected ${spec.expected}`;
}

/**
 * Builds the one validated config object from defaults, an optional file and the environment
 * (the environment wins). Throws a `ConfigError` naming the first bad setting.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? {};
  const fromFile = options.configFile ? readConfigFile(options.configFile) : {};
  const config: Record<string, unknown> = { ...DEFAULTS };
  for (const name of NAMES) {
    const spec = SETTINGS[name];
    const raw = env[spec.env];
    let value: unknown;
    if (raw !== undefined && raw !== '') {
      value = spec.parse(raw);
      if (value === undefined) throw new ConfigError(describe(name, raw));
    } else if (name in fromFile) {
      value = fromFile[name];
      if (typeof value === 'string') value = spec.parse(value);
    } else {
      continue;
    }
    if (!check(name, value)) throw new ConfigError(describe(name, raw ?? value));
    config[name] = value;
  }
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new ConfigError('PORTCULLIS_TLS_CERT and PORTCULLIS_TLS_KEY: set both or neither');
  }
  return config as Config;
}
