import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { deferredChildLogger } from './deferred-child-logger.ts';
import { loggerOptions } from './logger.ts';

function logger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const parent = pino({ ...loggerOptions(level) }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const child = (options = {}) => deferredChildLogger.call(null, parent as FastifyBaseLogger, { reqId: 'r-1' }, options);
  return { lines, parent, child };
}

test('below the level nothing is written; at it, the line carries the bindings and is redacted', () => {
  const { lines, child } = logger('warn');
  const log = child();
  assert.equal(log.constructor.name, 'DeferredChildLogger', 'no pino child made yet');
  assert.equal(log.level, 'warn');
  log.info({ a: 1 }, 'not written');
  log.debug('not written');
  assert.equal(lines.length, 0);
  log.warn({ user: { password: 'hunter2' } }, 'written');
  log.error('also %s', 'written');
  assert.equal(lines.length, 2);
  assert.equal(lines[0]?.reqId, 'r-1');
  assert.equal(lines[0]?.msg, 'written');
  assert.deepEqual(lines[0]?.user, { password: '[redacted]' });
  assert.equal(lines[1]?.msg, 'also written');
  assert.equal(lines[1]?.reqId, 'r-1');
});

test('a level changed on the request logger, or one given for a route, applies to it alone', () => {
  const { lines, parent, child } = logger('warn');
  const log = child();
  log.level = 'info';
  log.info('now written');
  parent.info('the parent still at warn');
  assert.deepEqual(
    lines.map((l) => [l.msg, l.reqId]),
    [['now written', 'r-1']],
  );
  const route = child({ level: 'debug' });
  route.debug('route level');
  assert.equal(lines.at(-1)?.msg, 'route level');
});

test('a child of the request logger carries both sets of bindings', () => {
  const { lines, child } = logger('info');
  child().child({ step: 'x' }).info('nested');
  assert.equal(lines[0]?.reqId, 'r-1');
  assert.equal(lines[0]?.step, 'x');
});
