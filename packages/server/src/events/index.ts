export { createInProcessEventBus, createRedisEventBus, type EventBus } from './event-bus.ts';
