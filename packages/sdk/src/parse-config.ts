import type { SdkConfig } from '@portcullis/protocol';
import { base64url } from 'jose';
import { PortcullisError } from './errors.ts';

const MAX_CONFIG_LENGTH = 16_384;

function invalid(why: string): PortcullisError {
  return new PortcullisError(
    'invalid_config',
    `the Portcullis config string is invalid: ${why} (print a fresh one with \`portcullis sdk config\`)`,
  );
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

/**
 * Decodes and checks the config string that `portcullis sdk config` prints (packages/protocol/
 * ATTESTATION.md §6). The server must be `https:`, or `http:` on a loopback host for local work.
 *
 * @example
 * const config = parseConfigString('eyJ2IjoxLCJzZXJ2ZXIiOi...');
 * console.log(config.server); // 'https://auth.example.com'
 */
export function parseConfigString(configString: string): SdkConfig {
  if (typeof configString !== 'string' || configString.length === 0) throw invalid('it is empty');
  if (configString.length > MAX_CONFIG_LENGTH) throw invalid('it is too long');
  let decoded: unknown;
  try {
    decoded = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(configString.trim())));
  } catch {
    throw invalid('it is not base64url-encoded JSON');
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw invalid('it is not a JSON object');
  const config = decoded as Partial<Record<keyof SdkConfig, unknown>>;
  if (config.v !== 1) throw invalid(`version ${String(config.v)} is not supported by this SDK (it reads version 1)`);
  if (typeof config.server !== 'string') throw invalid('"server" is missing');
  let server: URL;
  try {
    server = new URL(config.server);
  } catch {
    throw invalid('"server" is not a URL');
  }
  if (server.protocol !== 'https:' && !(server.protocol === 'http:' && isLoopback(server.hostname))) {
    throw invalid('"server" must be an https: URL (http: only on localhost)');
  }
  if (server.search || server.hash || server.username || server.password) throw invalid('"server" must be a plain issuer URL');
  if (config.client_id !== undefined && (typeof config.client_id !== 'string' || config.client_id === '')) {
    throw invalid('"client_id" must be a non-empty string');
  }
  if (!Array.isArray(config.pins_keys) || config.pins_keys.length === 0) throw invalid('"pins_keys" must list at least one key');
  for (const key of config.pins_keys) {
    if (typeof key !== 'object' || key === null || Array.isArray(key) || typeof (key as { kty?: unknown }).kty !== 'string') {
      throw invalid('"pins_keys" must hold public JWKs');
    }
    if ('d' in key) throw invalid('"pins_keys" must hold public keys only');
  }
  if (typeof config.attestation_jwks_uri !== 'string') throw invalid('"attestation_jwks_uri" is missing');
  return {
    v: 1,
    server: config.server,
    ...(config.client_id === undefined ? {} : { client_id: config.client_id }),
    pins_keys: config.pins_keys as Array<Record<string, unknown>>,
    attestation_jwks_uri: config.attestation_jwks_uri,
  };
}

/** Whether an http: URL may be used: loopback hosts only, as browsers treat them as secure. */
export function isLoopbackUrl(url: URL): boolean {
  return isLoopback(url.hostname);
}
