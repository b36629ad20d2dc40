/** The answer for one request: allowed, or refused with the seconds until the window resets. */
export type RateVerdict = { allowed: true } | { allowed: false; retryAfterS: number };

/** Fixed-window request counters: `hit` counts one request for `key` in a window of `windowMs`. */
export interface RateLimiter {
  hit(key: string, limit: number, windowMs: number): RateVerdict | Promise<RateVerdict>;
  close(): Promise<void>;
}

/** Counters in this process's memory: right for one node; several nodes each count their own share. */
export function createMemoryRateLimiter(): RateLimiter {
  let windows = new Map<string, { start: number; count: number }>();
  let sweptAt = Date.now();
  return {
    hit(key, limit, windowMs) {
      const now = Date.now();
      // Forget finished windows now and then, so idle keys do not accumulate.
      if (now - sweptAt > 60_000) {
        const live = new Map<string, { start: number; count: number }>();
        for (const [k, w] of windows) if (now - w.start < 86_400_000) live.set(k, w);
        windows = live;
        sweptAt = now;
      }
      const start = now - (now % windowMs);
      let w = windows.get(key);
      if (!w || w.start !== start) {
        w = { start, count: 0 };
        windows.set(key, w);
      }
      w.count += 1;
      if (w.count <= limit) return { allowed: true };
      return { allowed: false, retryAfterS: Math.max(1, Math.ceil((start + windowMs - now) / 1000)) };
    },
    async close() {},
  };
}

/** The Redis connection the gateway's shared state uses (rate limits, spent DPoP proofs). */
export type GatewayRedis = import('ioredis').Redis;

/** Connects to `PORTCULLIS_REDIS_URL` for the gateway; a failure here stops start-up. */
export async function connectGatewayRedis(url: string): Promise<GatewayRedis> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 });
  redis.on('error', () => {});
  await redis.connect();
  return redis;
}

/**
 * Counters shared by every node through Redis (`PORTCULLIS_REDIS_URL`): INCR on a key per window,
 * expiring with it. If Redis cannot answer, the request is allowed (a rate limit protects capacity;
 * it must not take the API down with Redis) and `onError` hears of it.
 */
export function createRedisRateLimiter(redis: GatewayRedis, onError: (err: unknown) => void): RateLimiter {
  return {
    async hit(key, limit, windowMs) {
      const now = Date.now();
      const window = Math.floor(now / windowMs);
      const redisKey = `portcullis:rl:${key}:${window}`;
      try {
        const results = await redis.multi().incr(redisKey).pexpire(redisKey, windowMs).exec();
        const count = Number(results?.[0]?.[1] ?? 0);
        if (count <= limit) return { allowed: true };
        return { allowed: false, retryAfterS: Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000)) };
      } catch (err) {
        onError(err);
        return { allowed: true };
      }
    },
    async close() {},
  };
}
