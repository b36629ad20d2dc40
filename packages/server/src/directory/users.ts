import { randomUUID } from 'node:crypto';
import type { UserStatus, UserView } from '@portcullis/protocol';
import type { Kysely } from 'kysely';
import { type Database, isUniqueViolation } from '../db/index.ts';
import { Conflict, InvalidRequest, NotFound } from '../http/errors.ts';
import { type Argon2Params, burnPasswordCheck, hashPassword, verifyPassword } from './passwords.ts';
import * as store from './users-store.ts';

export interface CreateUserInput {
  username: string;
  password?: string | undefined;
  email?: string | undefined;
  given_name?: string | undefined;
  family_name?: string | undefined;
}

const USERNAME = /^[\p{L}\p{N}][\p{L}\p{N}._@+-]{0,63}$/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const PASSWORD_MIN_LENGTH = 8;

/** Usernames are unique case-insensitively after Unicode NFKC, so "Alice" and "ａｌｉｃｅ" are one name. */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase().normalize('NFKC');
}

function checkPassword(password: string): void {
  // NIST SP 800-63B §5.1.1.2: at least 8 characters, no composition rules.
  if ([...password.normalize('NFKC')].length < PASSWORD_MIN_LENGTH) {
    throw new InvalidRequest(`the password must have at least ${PASSWORD_MIN_LENGTH} characters`);
  }
}

export function toUserView(row: store.UserRow): UserView {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    given_name: row.given_name,
    family_name: row.family_name,
    status: row.status as UserStatus,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** The users of the directory: creation, lookup, passwords. Login throttling builds on `verifyCredentials`. */
export class Users {
  readonly #db: Kysely<Database>;
  readonly #params: Argon2Params;

  constructor(db: Kysely<Database>, params: Argon2Params) {
    this.#db = db;
    this.#params = params;
  }

  async create(input: CreateUserInput): Promise<UserView> {
    const username = input.username.normalize('NFKC');
    // A username shaped like an id could shadow another user's id in lookups.
    if (!USERNAME.test(username) || UUID.test(usernameKey(username))) {
      throw new InvalidRequest(
        'the username must be 1 to 64 letters, digits or . _ @ + -, starting with a letter or digit, and not shaped like a user id',
      );
    }
    if (input.password !== undefined) checkPassword(input.password);
    const now = Date.now();
    const row: store.UserRow = {
      id: randomUUID(),
      username,
      username_key: usernameKey(username),
      email: input.email ?? null,
      given_name: input.given_name ?? null,
      family_name: input.family_name ?? null,
      status: 'active',
      password_hash: input.password === undefined ? null : await hashPassword(input.password, this.#params),
      failed_login_count: 0,
      last_failed_login_at: null,
      last_login_at: null,
      created_at: now,
      updated_at: now,
    };
    try {
      await store.insertUser(this.#db, row);
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`a user named "${username}" already exists`);
      throw err;
    }
    return toUserView(row);
  }

  async list(limit = 100, offset = 0): Promise<UserView[]> {
    return (await store.listUsers(this.#db, limit, offset)).map(toUserView);
  }

  async #find(ref: string): Promise<store.UserRow> {
    const row =
      (await store.findUserByKey(this.#db, usernameKey(ref))) ??
      (UUID.test(ref) ? await store.findUserById(this.#db, ref) : undefined);
    if (!row) throw new NotFound(`no user named "${ref}"`);
    return row;
  }

  async get(ref: string): Promise<UserView> {
    return toUserView(await this.#find(ref));
  }

  async delete(ref: string): Promise<UserView> {
    const row = await this.#find(ref);
    if (!(await store.deleteUser(this.#db, row.id))) throw new NotFound(`no user named "${ref}"`);
    return toUserView(row);
  }

  async setPassword(ref: string, password: string): Promise<UserView> {
    checkPassword(password);
    const row = await this.#find(ref);
    const hash = await hashPassword(password, this.#params);
    await store.updateUser(this.#db, row.id, { password_hash: hash, failed_login_count: 0, updated_at: Date.now() });
    return toUserView(row);
  }

  /**
   * The user when the password is right and the account active; otherwise null, after the same
   * amount of work whether or not the user exists (no user enumeration by timing).
   */
  async verifyCredentials(username: string, password: string): Promise<UserView | null> {
    const row = await store.findUserByKey(this.#db, usernameKey(username));
    if (!row || row.password_hash === null) {
      await burnPasswordCheck(password, this.#params);
      return null;
    }
    const { ok, needsRehash } = await verifyPassword(row.password_hash, password, this.#params);
    const now = Date.now();
    if (!ok || row.status !== 'active') {
      if (!ok) await store.recordFailedLogin(this.#db, row.id, now);
      return null;
    }
    await store.updateUser(this.#db, row.id, {
      failed_login_count: 0,
      last_login_at: now,
      ...(needsRehash ? { password_hash: await hashPassword(password, this.#params) } : {}),
    });
    return toUserView(row);
  }
}
