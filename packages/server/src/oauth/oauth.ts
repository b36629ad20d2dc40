import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { EventBus } from '../events/index.ts';
import type { SecretDigests } from '../keys/index.ts';
import { Codes } from './authorize/codes.ts';
import { Consents } from './authorize/consents.ts';
import { Interactions } from './authorize/interactions.ts';
import { PushedRequests } from './authorize/pushed-requests.ts';
import { Sessions } from './authorize/sessions.ts';
import { Clients } from './clients/clients.ts';
import { Grants } from './tokens/grants.ts';
import * as grantsStore from './tokens/grants-store.ts';
import { Revocations } from './tokens/revocations.ts';

const HOUSEKEEPING_MS = 10 * 60_000;

/** The authorization server's state: clients, grants and revocations, wired once per process. */
export class OAuth {
  readonly clients: Clients;
  readonly grants: Grants;
  readonly revocations: Revocations;
  readonly sessions: Sessions;
  readonly consents: Consents;
  readonly codes: Codes;
  readonly interactions: Interactions;
  readonly pushedRequests: PushedRequests;
  readonly #timer: NodeJS.Timeout;

  private constructor(clients: Clients, grants: Grants, revocations: Revocations, db: Kysely<Database>, digests: SecretDigests) {
    this.clients = clients;
    this.grants = grants;
    this.revocations = revocations;
    this.sessions = new Sessions(db, digests);
    this.consents = new Consents(db);
    this.codes = new Codes(db, digests);
    this.interactions = new Interactions(db, digests);
    this.pushedRequests = new PushedRequests(db, digests);
    this.#timer = setInterval(() => {
      // Expired rows and expired in-memory revocations carry no information any more.
      this.revocations.live();
      grantsStore.deleteExpired(db, Date.now()).catch(() => {});
    }, HOUSEKEEPING_MS);
    this.#timer.unref();
  }

  static async open(db: Kysely<Database>, digests: SecretDigests, bus: EventBus, maxTokenLifetime: number): Promise<OAuth> {
    const clients = await Clients.open(db, digests, bus, maxTokenLifetime);
    const revocations = await Revocations.open(db, bus);
    return new OAuth(clients, new Grants(db, digests, revocations), revocations, db, digests);
  }

  close(): void {
    clearInterval(this.#timer);
    this.clients.close();
    this.revocations.close();
  }
}
