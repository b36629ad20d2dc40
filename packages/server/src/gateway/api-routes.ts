import { randomBytes } from 'node:crypto';
import type { ApiRouteView } from '@portcullis/protocol';
import type { Kysely } from 'kysely';
import { type Database, isUniqueViolation } from '../db/index.ts';
import type { EventBus } from '../events/index.ts';
import { Conflict, NotFound } from '../http/errors.ts';
import { type ApiRouteInput, type CheckedRoute, checkRouteInput } from './check-route-input.ts';
import { pathHasPrefix } from './normalize-path.ts';

const CHANGED = 'gateway.routes.changed';

export type RouteMatch = { route: ApiRouteView; methodAllowed: boolean } | null;

function toView(row: Database['api_routes']): ApiRouteView {
  const settings = JSON.parse(row.settings) as Omit<CheckedRoute, 'host' | 'path_prefix'>;
  return {
    id: row.id,
    host: row.host === '' ? null : row.host,
    path_prefix: row.path_prefix,
    ...settings,
    created_at: new Date(Number(row.created_at)).toISOString(),
  };
}

/**
 * The protected API routes. Admin changes go to the database and to every node through the event
 * bus; matching reads only the in-memory table, so the hot path never waits on storage.
 */
export class ApiRoutes {
  readonly #db: Kysely<Database>;
  readonly #bus: EventBus;
  /** Longest prefix first; for equal prefixes, a host-specific route before a host-less one. */
  #table: ApiRouteView[] = [];
  #unsubscribe: () => void = () => {};

  private constructor(db: Kysely<Database>, bus: EventBus) {
    this.#db = db;
    this.#bus = bus;
  }

  static async open(db: Kysely<Database>, bus: EventBus): Promise<ApiRoutes> {
    const routes = new ApiRoutes(db, bus);
    await routes.reload();
    routes.#unsubscribe = bus.subscribe(CHANGED, () => {
      routes.reload().catch(() => {});
    });
    return routes;
  }

  close(): void {
    this.#unsubscribe();
  }

  async reload(): Promise<void> {
    const rows = await this.#db.selectFrom('api_routes').selectAll().execute();
    this.#table = rows
      .map(toView)
      .sort((a, b) => b.path_prefix.length - a.path_prefix.length || Number(b.host !== null) - Number(a.host !== null));
  }

  async #changed(): Promise<void> {
    await this.reload();
    await this.#bus.publish(CHANGED, {});
  }

  async add(input: ApiRouteInput): Promise<ApiRouteView> {
    const checked = checkRouteInput(input);
    const { host, path_prefix, ...settings } = checked;
    const row = {
      id: `api_${randomBytes(9).toString('base64url')}`,
      host: host ?? '',
      path_prefix,
      settings: JSON.stringify(settings),
      created_at: Date.now(),
    };
    try {
      await this.#db.insertInto('api_routes').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`a route for ${host ?? ''}${path_prefix} exists already; remove it first`);
      throw err;
    }
    await this.#changed();
    return toView(row);
  }

  /**
   * Replaces a route's match and settings in one write (its id stays), so changing an upstream or
   * a policy never leaves a moment in which the route is missing.
   */
  async update(id: string, input: ApiRouteInput): Promise<ApiRouteView> {
    const { host, path_prefix, ...settings } = checkRouteInput(input);
    let changed: number;
    try {
      const result = await this.#db
        .updateTable('api_routes')
        .set({ host: host ?? '', path_prefix, settings: JSON.stringify(settings) })
        .where('id', '=', id)
        .executeTakeFirst();
      changed = Number(result.numUpdatedRows);
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`another route is for ${host ?? ''}${path_prefix} already`);
      throw err;
    }
    if (changed === 0) throw new NotFound(`no API route ${id}`);
    await this.#changed();
    return this.get(id);
  }

  list(): ApiRouteView[] {
    return [...this.#table].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  get(id: string): ApiRouteView {
    const route = this.#table.find((r) => r.id === id);
    if (!route) throw new NotFound(`no API route ${id}`);
    return route;
  }

  async remove(id: string): Promise<void> {
    const result = await this.#db.deleteFrom('api_routes').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new NotFound(`no API route ${id}`);
    await this.#changed();
  }

  /**
   * The route for a request: the longest path prefix among the routes for its host or for any
   * host. A route whose path matches but not the method is still returned (the answer is 405,
   * not a fall-through to a shorter prefix).
   */
  match(host: string, path: string, method: string): RouteMatch {
    for (const route of this.#table) {
      if (route.host !== null && route.host !== host) continue;
      if (!pathHasPrefix(path, route.path_prefix, !route.case_sensitive)) continue;
      return { route, methodAllowed: route.methods === null || route.methods.includes(method) || method === 'OPTIONS' };
    }
    return null;
  }

  get size(): number {
    return this.#table.length;
  }
}
