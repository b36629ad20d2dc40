import type { EventBus } from '../events/index.ts';
import { type RuntimeSecrets, SECRETS_CHANGED } from '../secrets/index.ts';

/**
 * The plain values of the secrets routes inject, in memory: read once (decrypted) and forgotten
 * whenever any node adds, updates or removes a secret, so the hot path never opens an envelope.
 */
export class InjectedSecrets {
  readonly #secrets: RuntimeSecrets;
  readonly #values = new Map<string, Promise<string | null>>();
  readonly #unsubscribe: () => void;

  constructor(secrets: RuntimeSecrets, bus: EventBus) {
    this.#secrets = secrets;
    this.#unsubscribe = bus.subscribe(SECRETS_CHANGED, () => this.#values.clear());
  }

  value(name: string): Promise<string | null> {
    let value = this.#values.get(name);
    if (!value) {
      value = this.#secrets.valueForGateway(name);
      this.#values.set(name, value);
      value.catch(() => this.#values.delete(name));
    }
    return value;
  }

  close(): void {
    this.#unsubscribe();
    this.#values.clear();
  }
}
