import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { literals } from '../http/literals.ts';

/**
 * Every setting of the server: its environment variable, its type, its default and a sentence
 * saying what is expected. `INTERFACES.md` and the README's configuration table list the same.
 */
export interface SettingSpec {
  env: string;
  schema: TSchema;
  /** How a string from the environment becomes the typed value; `undefined` when it cannot. */
  parse: (raw: string) => unknown;
  expected: string;
  /** Secret values are never echoed back in an error. */
  secret?: boolean;
}

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const PortOrOff = Type.Union([Port, Type.Literal('off')]);
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const ALGS = ['ES256', 'EdDSA', 'RS256'] as const;

function parseInteger(raw: string): unknown {
  return /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
}
function parsePortOrOff(raw: string): unknown {
  return raw.trim() === 'off' ? 'off' : parseInteger(raw);
}
const asString = (raw: string): unknown => raw;

const HttpUrl = Type.String({ pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$' });
const DatabaseUrl = Type.String({ pattern: '^postgres(ql)?://\\S+$' });
const RedisUrl = Type.String({ pattern: '^rediss?://\\S+$' });
const NonEmpty = Type.String({ minLength: 1 });

export const SETTINGS = {
  publicUrl: {
    env: 'PORTCULLIS_PUBLIC_URL',
    schema: HttpUrl,
    parse: (raw) => raw.replace(/\/+$/, ''),
    expected: 'an http(s) URL without query or fragment, such as https://auth.example.com',
  },
  host: { env: 'PORTCULLIS_HOST', schema: NonEmpty, parse: asString, expected: 'a bind address such as 127.0.0.1 or 0.0.0.0' },
  httpPort: {
    env: 'PORTCULLIS_HTTP_PORT',
    schema: Port,
    parse: parseInteger,
    expected: 'a port number from 0 to 65535 (0 = any free port)',
  },
  httpsPort: {
    env: 'PORTCULLIS_HTTPS_PORT',
    schema: PortOrOff,
    parse: parsePortOrOff,
    expected: 'a port number from 0 to 65535, or "off"',
  },
  mqttPort: {
    env: 'PORTCULLIS_MQTT_PORT',
    schema: PortOrOff,
    parse: parsePortOrOff,
    expected: 'a port number from 0 to 65535, or "off"',
  },
  mqttsPort: {
    env: 'PORTCULLIS_MQTTS_PORT',
    schema: PortOrOff,
    parse: parsePortOrOff,
    expected: 'a port number from 0 to 65535, or "off"',
  },
  dataDir: { env: 'PORTCULLIS_DATA_DIR', schema: NonEmpty, parse: asString, expected: 'a directory path' },
  databaseUrl: {
    env: 'PORTCULLIS_DATABASE_URL',
    schema: DatabaseUrl,
    parse: asString,
    expected: 'a postgres:// or postgresql:// URL',
    secret: true,
  },
  redisUrl: {
    env: 'PORTCULLIS_REDIS_URL',
    schema: RedisUrl,
    parse: asString,
    expected: 'a redis:// or rediss:// URL',
    secret: true,
  },
  masterKey: {
    env: 'PORTCULLIS_MASTER_KEY',
    schema: Type.String({ pattern: '^([0-9a-fA-F]{64}|[A-Za-z0-9_\\-+/]{43}=?)$' }),
    parse: (raw) => raw.trim(),
    expected: '32 random bytes as 64 hex digits or 43 base64url characters (e.g. `openssl rand -hex 32`)',
    secret: true,
  },
  adminKey: {
    env: 'PORTCULLIS_ADMIN_KEY',
    schema: Type.String({ minLength: 24, maxLength: 512, pattern: '^\\S+$' }),
    parse: asString,
    expected: 'at least 24 characters without spaces',
    secret: true,
  },
  tlsCert: { env: 'PORTCULLIS_TLS_CERT', schema: NonEmpty, parse: asString, expected: 'the path of a PEM certificate (chain)' },
  tlsKey: { env: 'PORTCULLIS_TLS_KEY', schema: NonEmpty, parse: asString, expected: 'the path of a PEM private key' },
  mtlsCa: {
    env: 'PORTCULLIS_MTLS_CA',
    schema: NonEmpty,
    parse: asString,
    expected: 'the path of a PEM file of the CA certificates trusted for tls_client_auth',
  },
  trustProxy: {
    env: 'PORTCULLIS_TRUST_PROXY',
    schema: Type.String({ pattern: '^(off|on|\\d{1,2}|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$' }),
    parse: (raw) => raw.trim(),
    expected:
      'off, on, a number of proxy hops, or a comma-separated list of proxy addresses/CIDRs (X-Forwarded-For is trusted only from them)',
  },
  logLevel: {
    env: 'PORTCULLIS_LOG_LEVEL',
    schema: literals(LOG_LEVELS),
    parse: asString,
    expected: `one of ${LOG_LEVELS.join(', ')}`,
  },
  signingAlg: {
    env: 'PORTCULLIS_SIGNING_ALG',
    schema: literals(ALGS),
    parse: asString,
    expected: `one of ${ALGS.join(', ')}`,
  },
  maxTokenLifetime: {
    env: 'PORTCULLIS_MAX_TOKEN_LIFETIME',
    schema: Type.Integer({ minimum: 60, maximum: 31_536_000 }),
    parse: parseInteger,
    expected: 'seconds, from 60 to 31536000',
  },
  argon2MemoryKib: {
    env: 'PORTCULLIS_ARGON2_MEMORY_KIB',
    schema: Type.Integer({ minimum: 19_456, maximum: 4_194_304 }),
    parse: parseInteger,
    expected: 'KiB of memory per password hash, at least 19456 (OWASP minimum)',
  },
  argon2Iterations: {
    env: 'PORTCULLIS_ARGON2_ITERATIONS',
    schema: Type.Integer({ minimum: 2, maximum: 64 }),
    parse: parseInteger,
    expected: 'passes per password hash, from 2 (OWASP minimum) to 64',
  },
  argon2Parallelism: {
    env: 'PORTCULLIS_ARGON2_PARALLELISM',
    schema: Type.Integer({ minimum: 1, maximum: 16 }),
    parse: parseInteger,
    expected: 'lanes per password hash, from 1 to 16',
  },
  androidRevocationList: {
    env: 'PORTCULLIS_ANDROID_REVOCATION_LIST',
    schema: Type.String({ pattern: '^(off|https?://\\S+|[^\\s].*)$' }),
    parse: (raw) => raw.trim(),
    expected: 'off, an http(s) URL, or the path of a file in the revocation status list format',
  },
  bodyLimit: {
    env: 'PORTCULLIS_BODY_LIMIT',
    schema: Type.Integer({ minimum: 1024, maximum: 104_857_600 }),
    parse: parseInteger,
    expected: 'the largest request body in bytes, from 1024 to 104857600',
  },
} satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

export const ConfigSchema = Type.Object({
  publicUrl: Type.Optional(HttpUrl),
  host: NonEmpty,
  httpPort: Port,
  httpsPort: PortOrOff,
  mqttPort: PortOrOff,
  mqttsPort: PortOrOff,
  dataDir: NonEmpty,
  databaseUrl: Type.Optional(DatabaseUrl),
  redisUrl: Type.Optional(RedisUrl),
  masterKey: Type.Optional(Type.String()),
  adminKey: Type.Optional(Type.String()),
  tlsCert: Type.Optional(NonEmpty),
  tlsKey: Type.Optional(NonEmpty),
  mtlsCa: Type.Optional(NonEmpty),
  trustProxy: Type.String(),
  logLevel: literals(LOG_LEVELS),
  signingAlg: literals(ALGS),
  maxTokenLifetime: Type.Integer(),
  argon2MemoryKib: Type.Integer(),
  argon2Iterations: Type.Integer(),
  argon2Parallelism: Type.Integer(),
  bodyLimit: Type.Integer(),
  androidRevocationList: NonEmpty,
});

export type Config = Static<typeof ConfigSchema>;

export const DEFAULTS: Omit<
  Config,
  'publicUrl' | 'databaseUrl' | 'redisUrl' | 'masterKey' | 'adminKey' | 'tlsCert' | 'tlsKey' | 'mtlsCa'
> = {
  host: '127.0.0.1',
  httpPort: 8080,
  httpsPort: 8443,
  mqttPort: 1883,
  mqttsPort: 8883,
  dataDir: './data',
  logLevel: 'info',
  signingAlg: 'ES256',
  maxTokenLifetime: 86_400,
  argon2MemoryKib: 19_456,
  argon2Iterations: 2,
  argon2Parallelism: 1,
  bodyLimit: 1_048_576,
  androidRevocationList: 'https://android.googleapis.com/attestation/status',
  trustProxy: 'off',
};
