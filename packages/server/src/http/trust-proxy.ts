import proxyAddr from '@fastify/proxy-addr';

/**
 * PORTCULLIS_TRUST_PROXY as Fastify's `trustProxy` takes it: off, on (every hop), a hop count, or
 * a comma-separated list of addresses and CIDR ranges whose X-Forwarded-For is believed.
 */
export function trustProxyOption(setting: string): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (setting === 'off') return false;
  if (setting === 'on') return true;
  if (/^\d+$/.test(setting)) {
    const hops = Number(setting);
    return (_address, hop) => hop < hops;
  }
  return setting.split(',');
}

/** The same setting as a function of (address, hop), for code that reads client addresses itself. */
export function trustProxyFunction(setting: string): (address: string, hop: number) => boolean {
  const option = trustProxyOption(setting);
  if (option === false) return () => false;
  if (option === true) return () => true;
  return typeof option === 'function' ? option : proxyAddr.compile(option);
}

/** The client's address: the socket's, or from X-Forwarded-For through trusted proxies only. */
export { proxyAddr as clientAddress };
