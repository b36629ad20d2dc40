import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ReadyInfo } from '@portcullis/protocol';
import { buildApp, type PortcullisApp, StartupError } from './app.ts';

export { StartupError };

import { loadConfig } from './config/index.ts';
import { listenHttps } from './http/https-listener.ts';
import { loadTlsIdentity } from './keys/index.ts';
import { spkiPin } from './pinning/index.ts';

export interface ServeOptions {
  configFile?: string | undefined;
  readyFile?: string | undefined;
  env?: Record<string, string | undefined>;
  /** Where the human lines (listening address, bootstrap key) go; stdout by default. */
  print?: (line: string) => void;
  /** Resolves to stop the server (tests); SIGTERM and SIGINT always do. */
  stopSignal?: Promise<unknown>;
}

const SHUTDOWN_GRACE_MS = 10_000;

function listenError(err: unknown, port: number | string, variable: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new StartupError(`port ${port} is already in use (${variable}); choose another port or stop the process using it`);
  if (code === 'EACCES') return new StartupError(`no permission to listen on port ${port} (${variable})`);
  if (code === 'EADDRNOTAVAIL')
    return new StartupError(`cannot bind the address for ${variable}: the host address is not on this machine (PORTCULLIS_HOST)`);
  return err as Error;
}

function urlOf(scheme: string, host: string, address: AddressInfo): string {
  const h = address.family === 'IPv6' || host.includes(':') ? `[${address.address}]` : address.address;
  return `${scheme}://${h}:${address.port}`;
}

/** RFC 8705 §2.1 trust anchors: PORTCULLIS_MTLS_CA, or else the local CA this server generated. */
function clientCas(file: string | undefined, localCa: string | null): string[] {
  if (!file) return localCa ? [localCa] : [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch (err) {
    throw new StartupError(`PORTCULLIS_MTLS_CA: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function writeReadyFile(path: string, info: ReadyInfo): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(info)}\n`, { mode: 0o644 });
  renameSync(tmp, path);
}

/**
 * Runs the server until SIGTERM/SIGINT: config → database → keys → HTTP(S) listeners. Resolves
 * after a graceful shutdown; rejects with a one-line `Error` when start-up fails.
 */
export async function serve(options: ServeOptions = {}): Promise<void> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadConfig({ env: options.env ?? {}, ...(options.configFile ? { configFile: options.configFile } : {}) });
  const publicHost = config.publicUrl ? new URL(config.publicUrl).hostname : undefined;
  const tls =
    config.httpsPort === 'off'
      ? null
      : await loadTlsIdentity({
          dataDir: config.dataDir,
          hostnames: publicHost ? [publicHost] : [],
          tlsCert: config.tlsCert,
          tlsKey: config.tlsKey,
        });
  const built = await buildApp(config);
  const { app } = built;
  let https: HttpsServer | null = null;
  try {
    app.server.once('listening', () => {
      // Fixed before the first connection is accepted, so no request sees a half-known issuer.
      built.setPublicUrl(`http://localhost:${(app.server.address() as AddressInfo).port}`);
    });
    await app.listen({ host: config.host, port: config.httpPort }).catch((err) => {
      throw listenError(err, config.httpPort, 'PORTCULLIS_HTTP_PORT');
    });
    if (tls && config.httpsPort !== 'off') {
      const port = config.httpsPort;
      https = await listenHttps(built.handle, {
        host: config.host,
        port,
        tls,
        clientCas: clientCas(config.mtlsCa, tls.caCert),
      }).catch((err) => {
        throw listenError(err, port, 'PORTCULLIS_HTTPS_PORT');
      });
      const bound = (https.address() as AddressInfo).port;
      built.setMtlsUrl(`https://${new URL(built.services.publicUrl()).hostname}:${bound}`);
      await built.setServerPin(spkiPin(tls.cert));
    }
  } catch (err) {
    await app.close();
    throw err;
  }
  const httpUrl = urlOf('http', config.host, app.server.address() as AddressInfo);
  const info: ReadyInfo = {
    issuer: built.services.publicUrl(),
    http: httpUrl,
    https: https ? urlOf('https', config.host, https.address() as AddressInfo) : null,
    // MQTT listeners arrive with the pub/sub module (ARCHITECTURE.md); until then none is bound.
    mqtt: null,
    mqtts: null,
    admin: `${httpUrl}/admin/v1`,
    ca_cert: tls?.caCertPath ?? null,
  };
  app.log.info({ event: 'ready', ...info }, 'ready');
  print(`Portcullis is ready: ${info.http}${info.https ? ` and ${info.https}` : ''} (issuer ${info.issuer})`);
  if (built.bootstrapAdminKey) {
    print(`Bootstrap admin key (shown only this once; keep it safe): ${built.bootstrapAdminKey}`);
  }
  // Last, so a script that waits for the file finds everything above already done.
  if (options.readyFile) writeReadyFile(options.readyFile, info);
  await waitForStop(options.stopSignal);
  await shutdown(built, https);
}

function waitForStop(stopSignal: Promise<unknown> | undefined): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    stopSignal?.then(stop, stop);
  });
}

/** Stop accepting, let in-flight requests finish, close the database; give up after 10 s. */
async function shutdown(built: PortcullisApp, https: HttpsServer | null): Promise<void> {
  const force = setTimeout(() => {
    built.app.log.error('shutdown did not finish within 10 s; exiting');
    process.exit(1);
  }, SHUTDOWN_GRACE_MS);
  force.unref();
  const httpsClosed = https
    ? new Promise<void>((resolve) => {
        https.close(() => resolve());
        https.closeIdleConnections();
      })
    : Promise.resolve();
  await Promise.all([built.app.close(), httpsClosed]);
  clearTimeout(force);
  built.app.log.info({ event: 'stopped' }, 'stopped');
}
