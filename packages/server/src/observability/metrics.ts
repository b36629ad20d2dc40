import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import { SeriesHistogram } from './series-histogram.ts';

/**
 * Prometheus metrics on a registry of this app's own (tests build several apps in one process).
 * Routes are labelled by their template, never the raw URL, so label cardinality stays bounded;
 * reason labels come from fixed vocabularies.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly attestations = new Counter({
    name: 'portcullis_attestations_total',
    help: 'Attestations by verdict, and failed ones by reason (one count per reason)',
    labelNames: ['verdict', 'reason'] as const,
    registers: [this.registry],
  });
  readonly secretsDelivered = new Counter({
    name: 'portcullis_secrets_delivered_total',
    help: 'Runtime secrets delivered to attested app instances',
    registers: [this.registry],
  });
  readonly pinSetsServed = new Counter({
    name: 'portcullis_pin_sets_served_total',
    help: 'Signed pin sets served',
    registers: [this.registry],
  });
  /** Observed on every protected API request, so a series costs a lookup once and then three additions. */
  readonly gatewayRequests = new SeriesHistogram({
    name: 'portcullis_gateway_request_duration_seconds',
    help: 'Protected API requests by route id and outcome (forwarded, refused, upstream_error), with their duration',
    labelNames: ['route', 'outcome', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  });
  /** Observed on every request Fastify serves (a token endpoint's included), the same way. */
  readonly #duration = new SeriesHistogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });

  constructor() {
    // The registry formats any object with prom-client's `get()`.
    for (const histogram of [this.#duration, this.gatewayRequests])
      this.registry.registerMetric(histogram as unknown as Parameters<Registry['registerMetric']>[0]);
    collectDefaultMetrics({ register: this.registry });
  }

  /** The request-duration hook and `GET /metrics`. */
  register(app: FastifyInstance): void {
    app.addHook('onResponse', (request, reply, done) => {
      this.#duration
        .labels({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) })
        .observe(reply.elapsedTime / 1000);
      done();
    });
    app.get('/metrics', async (_request, reply) => {
      reply.type(this.registry.contentType);
      return this.registry.metrics();
    });
  }
}
