// The processes around Portcullis in the gateway benchmark (bench/gateway.ts), each started as its
// own child process on loopback; each writes {"url": ...} to READY_FILE once it listens.
//   node bench/gateway-upstream.ts upstream READY_FILE
//     the upstream: a minimal node:http server answering every request with the same small JSON;
//   node bench/gateway-upstream.ts proxy READY_FILE UPSTREAM_URL
//     the reference: a bare undici proxy with no checks, forwarding method, path, headers (minus
//     hop-by-hop ones) and body to the upstream through one Pool and streaming the answer back.
import { renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Dispatcher, Pool } from 'undici';

const BODY = JSON.stringify({
  items: [
    { id: 1, name: 'alpha', price: 12.5 },
    { id: 2, name: 'beta', price: 7 },
  ],
  total: 2,
});

// RFC 9110 §7.6.1: connection-specific fields are never forwarded (plus Host, which is the upstream's).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

const hasBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';

function upstream(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
  res.end(BODY);
}

function proxy(to: string): (req: IncomingMessage, res: ServerResponse) => void {
  const pool = new Pool(to);
  return (req, res) => {
    pool
      .request({
        path: req.url ?? '/',
        method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
        headers: endToEnd(req.headers),
        // A request without a body goes without one, as Portcullis sends it (a stream body costs undici more).
        body: hasBody(req) ? req : null,
      })
      .then(({ statusCode, headers, body }) => {
        res.writeHead(statusCode, endToEnd(headers));
        // body.pipe(res), not stream.pipeline(), which costs ~30 µs a request (as in Portcullis).
        body.on('error', () => res.destroy());
        res.once('close', () => {
          if (!res.writableFinished) body.destroy();
        });
        body.pipe(res);
      })
      .catch(() => {
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end();
      });
  };
}

const [role, readyFile, upstreamUrl] = process.argv.slice(2);
if (!readyFile || (role !== 'upstream' && !(role === 'proxy' && upstreamUrl)))
  throw new Error('usage: gateway-upstream.ts upstream READY_FILE | proxy READY_FILE UPSTREAM_URL');
const server = createServer(role === 'proxy' ? proxy(upstreamUrl!) : upstream);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  writeFileSync(`${readyFile}.tmp`, JSON.stringify({ url: `http://127.0.0.1:${port}` }));
  renameSync(`${readyFile}.tmp`, readyFile);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
