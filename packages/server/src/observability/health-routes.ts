import type { FastifyInstance } from 'fastify';
import { ServiceUnavailable } from '../http/errors.ts';

const READY_TIMEOUT_MS = 2000;

/** `/healthz`: the process answers. `/readyz`: and its database answers within two seconds. */
export function registerHealthRoutes(app: FastifyInstance, ping: () => Promise<void>): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS);
    });
    try {
      await Promise.race([ping(), timeout]);
    } catch {
      throw new ServiceUnavailable('the database is not reachable');
    } finally {
      clearTimeout(timer);
    }
    return { status: 'ready' };
  });
}
