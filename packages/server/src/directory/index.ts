export { LoginThrottle, type ThrottleKeys } from './login-throttle.ts';
export { type CreateUserInput, Users, usernameKey } from './users.ts';
