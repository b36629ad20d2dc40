export { type CreateUserInput, Users, usernameKey } from './users.ts';
