import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';

/**
 * Change events that keep every node's in-memory caches in step (keys, routes, policies,
 * revocations). Handlers run for local publishes at once and for other nodes' publishes when
 * they arrive; a node never handles its own event twice.
 */
export interface EventBus {
  publish(topic: string, payload: unknown): Promise<void>;
  subscribe(topic: string, handler: (payload: unknown) => void): () => void;
  close(): Promise<void>;
}

export function createInProcessEventBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish: async (topic, payload) => {
      emitter.emit(topic, payload);
    },
    subscribe(topic, handler) {
      emitter.on(topic, handler);
      return () => emitter.off(topic, handler);
    },
    close: async () => {
      emitter.removeAllListeners();
    },
  };
}

const CHANNEL = 'portcullis:events';

/** Redis pub/sub for scale-out: one channel, messages tagged with the sending node. */
export async function createRedisEventBus(url: string): Promise<EventBus> {
  // Loaded only when configured, like the Postgres driver.
  const { Redis } = await import('ioredis');
  const node = randomUUID();
  const local = createInProcessEventBus();
  // Start-up fails fast on an unreachable Redis; once running, a lost connection is retried.
  let started = false;
  const options = {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: false,
    connectTimeout: 5000,
    retryStrategy: (times: number) => (started ? Math.min(times * 200, 2000) : null),
  };
  const pub = new Redis(url, options);
  const sub = new Redis(url, options);
  // Connection errors surface through publish/readiness; without a listener ioredis would log them raw.
  pub.on('error', () => {});
  sub.on('error', () => {});
  try {
    await Promise.all([pub.connect(), sub.connect()]);
    await sub.subscribe(CHANNEL);
  } catch (err) {
    pub.disconnect();
    sub.disconnect();
    throw err;
  }
  started = true;
  sub.on('message', (_channel: string, message: string) => {
    let parsed: { node?: unknown; topic?: unknown; payload?: unknown };
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (parsed.node === node || typeof parsed.topic !== 'string') return;
    void local.publish(parsed.topic, parsed.payload);
  });
  return {
    async publish(topic, payload) {
      await local.publish(topic, payload);
      await pub.publish(CHANNEL, JSON.stringify({ node, topic, payload }));
    },
    subscribe: (topic, handler) => local.subscribe(topic, handler),
    async close() {
      await local.close();
      sub.disconnect();
      pub.disconnect();
    },
  };
}
