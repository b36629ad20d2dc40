import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { PinSetClaims } from '@portcullis/protocol';
import { Agent, fetch as undiciFetch } from 'undici';
import { PinMismatchError } from './errors.ts';
import { generatePrivateJwk, type InstanceKey, importInstanceKey, type KeyStore } from './instance-key.ts';
import type { Platform } from './platform.ts';
import type { RecordStore } from './token-store.ts';

const KEY_FILE = 'instance-key.json';
const RECORD_NAME = /^[A-Za-z0-9_-]{1,160}$/;

interface KeyFile {
  instance: JsonWebKey;
  /** base64url of the AES-GCM 256 storage key. */
  storage: string;
}

async function readKeyFile(path: string): Promise<KeyFile | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as KeyFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Both keys in one JSON file with mode 0600, created with `wx` so two processes starting at once
 * end up with the same keys (the loser reads the winner's file).
 */
function fileKeyStore(dir: string): KeyStore {
  const path = join(dir, KEY_FILE);
  let loaded: Promise<{ instance: InstanceKey; storage: CryptoKey }> | null = null;
  const load = async () => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let file = await readKeyFile(path);
    if (!file) {
      const storage = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
      const fresh: KeyFile = {
        instance: await generatePrivateJwk(),
        storage: Buffer.from(await crypto.subtle.exportKey('raw', storage)).toString('base64url'),
      };
      try {
        await writeFile(path, JSON.stringify(fresh), { mode: 0o600, flag: 'wx' });
        file = fresh;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        file = await readKeyFile(path);
        if (!file) throw error;
      }
    }
    await chmod(path, 0o600);
    const storage = await crypto.subtle.importKey('raw', Buffer.from(file.storage, 'base64url'), 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    return { instance: await importInstanceKey(file.instance), storage };
  };
  const keys = () => {
    loaded ??= load().catch((error: unknown) => {
      loaded = null;
      throw error;
    });
    return loaded;
  };
  return {
    instanceKey: async () => (await keys()).instance,
    storageKey: async () => (await keys()).storage,
    reset: async () => {
      loaded = null;
      await rm(path, { force: true });
    },
  };
}

/** One file per record, mode 0600, replaced atomically (write, then rename). */
function fileRecordStore(dir: string): RecordStore {
  const recordsDir = join(dir, 'records');
  const pathOf = (name: string) => {
    if (!RECORD_NAME.test(name)) throw new Error(`invalid record name ${JSON.stringify(name)}`);
    return join(recordsDir, name);
  };
  return {
    async get(name) {
      try {
        return await readFile(pathOf(name), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async set(name, value) {
      await mkdir(recordsDir, { recursive: true, mode: 0o700 });
      const path = pathOf(name);
      const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(temporary, value, { mode: 0o600 });
      await rename(temporary, path);
    },
    async delete(name) {
      await rm(pathOf(name), { force: true });
    },
  };
}

/** RFC 7469 §2.4 pin of a certificate: `sha256/` + base64 of SHA-256 over its DER SubjectPublicKeyInfo. */
function spkiPin(certificate: PeerCertificate): string {
  return certificate.pubkey ? `sha256/${createHash('sha256').update(certificate.pubkey).digest('base64')}` : '';
}

/** The peer certificate and its issuers as the TLS handshake presented them, leaf first. */
function chainOf(leaf: PeerCertificate): PeerCertificate[] {
  const chain: PeerCertificate[] = [];
  let current: PeerCertificate | undefined = leaf;
  while (current && !chain.includes(current)) {
    chain.push(current);
    const issuer: PeerCertificate | undefined = (current as PeerCertificate & { issuerCertificate?: PeerCertificate })
      .issuerCertificate;
    current = issuer && issuer !== current ? issuer : undefined;
  }
  return chain;
}

/** The error a pin failure hides inside `fetch failed` (undici wraps connect errors as causes). */
function findPinMismatch(error: unknown): PinMismatchError | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof PinMismatchError) return e;
  }
  return null;
}

/**
 * Options of `nodePlatform`.
 *
 * @example
 * const options: NodePlatformOptions = { dir: '.portcullis', ca: readFileSync('data/tls/ca.crt', 'utf8') };
 */
export interface NodePlatformOptions {
  /** Where the key file and the encrypted records go; created with mode 0700. */
  dir: string;
  /** Extra CA certificates (PEM) to trust, e.g. a Portcullis server's generated local CA. */
  ca?: string | string[];
}

/**
 * The Node platform: the app-instance key in a key file with mode 0600, the session AES-GCM
 * encrypted in files beside it, and HTTPS that refuses a connection to a pinned host unless one
 * of the certificates it presents has a pinned key (RFC 7469 §2.6 semantics, enforced at the TLS
 * handshake, before any request is sent).
 *
 * @example
 * import { createPortcullis } from '@portcullis/sdk';
 * import { nodePlatform } from '@portcullis/sdk/node';
 * const portcullis = createPortcullis(CONFIG, { app, platform: nodePlatform({ dir: '.portcullis' }) });
 */
export function nodePlatform(options: NodePlatformOptions): Platform {
  let pins: Record<string, string[]> = {};
  const agent = new Agent({
    connect: {
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      checkServerIdentity(hostname: string, certificate: PeerCertificate): Error | undefined {
        const identityError = checkServerIdentity(hostname, certificate);
        if (identityError) return identityError;
        const expected = pins[hostname];
        if (!expected || expected.length === 0) return undefined;
        const presented = chainOf(certificate).map(spkiPin);
        return presented.some((pin) => expected.includes(pin)) ? undefined : new PinMismatchError(hostname);
      },
    },
  });
  const pinnedFetch = (async (input: RequestInfo | URL, init?: RequestInit): Promise<unknown> => {
    try {
      return await undiciFetch(input as Parameters<typeof undiciFetch>[0], {
        ...(init as Parameters<typeof undiciFetch>[1]),
        dispatcher: agent,
      });
    } catch (error) {
      throw findPinMismatch(error) ?? error;
    }
  }) as unknown as typeof fetch;
  return {
    name: 'node',
    osVersion: `${process.platform} ${process.version}`,
    keyStore: fileKeyStore(options.dir),
    records: fileRecordStore(options.dir),
    fetch: pinnedFetch,
    enforcePins(set: PinSetClaims) {
      pins = { ...set.pins };
    },
  };
}
