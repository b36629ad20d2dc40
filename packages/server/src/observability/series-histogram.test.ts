import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { SeriesHistogram } from './series-histogram.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1];

test("the exposition text is prom-client's Histogram's, observation for observation", async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const fast = new SeriesHistogram({
    name: 'h',
    help: 'a histogram',
    labelNames: ['route', 'status'] as const,
    buckets: BUCKETS,
  });
  ours.registerMetric(fast as unknown as Parameters<Registry['registerMetric']>[0]);
  const reference = new Histogram({
    name: 'h',
    help: 'a histogram',
    labelNames: ['route', 'status'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  // Values on, between, below and above the bounds, in two series.
  const values = [0, 0.001, 0.0011, 0.01, 0.05, 0.1, 0.5, 1, 1.0001, 7];
  for (const [i, value] of values.entries()) {
    const labels = { route: i % 2 ? 'a' : 'b', status: '200' };
    fast.labels(labels).observe(value);
    reference.observe(labels, value);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  fast.reset();
  reference.reset();
  assert.equal(await ours.metrics(), await theirs.metrics());
});

test('a series is found by its labels, whatever their order', () => {
  const h = new SeriesHistogram({ name: 'h', help: 'h', labelNames: ['a', 'b'] as const, buckets: BUCKETS });
  h.labels({ a: '1', b: '2' }).observe(0.5);
  h.labels({ b: '2', a: '1' }).observe(0.5);
  const count = h.get().values.find((v) => v.metricName === 'h_count');
  assert.equal(count?.value, 2);
});

test('label sets differing in any one value are separate series, each created once', () => {
  const h = new SeriesHistogram({ name: 'h', help: 'h', labelNames: ['a', 'b', 'c'] as const, buckets: BUCKETS });
  const sets = [
    { a: '1', b: '2', c: '3' },
    { a: '1', b: '2', c: '4' },
    { a: '1', b: '23', c: '' },
    { a: '12', b: '', c: '3' },
    { a: '', b: '', c: '' },
  ];
  for (const [i, labels] of sets.entries()) for (let n = 0; n <= i; n++) h.labels(labels).observe(0.5);
  assert.equal(h.labels(sets[0]!), h.labels({ ...sets[0]! }));
  const counts = h
    .get()
    .values.filter((v) => v.metricName === 'h_count')
    .map((v) => [v.labels, v.value]);
  assert.deepEqual(
    counts,
    sets.map((labels, i) => [labels, i + 1]),
  );
});
