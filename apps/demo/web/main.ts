import { AttestationError, createPortcullis, type Portcullis, PortcullisError, type SessionInfo } from '@portcullis/sdk';
import type { Product } from '../src/product-list.ts';
import type { DemoWebConfig } from './demo-config.ts';

// The "Catalog of Products" web app: everything it knows about security is the SDK config
// string and its own app identity; the SDK does attestation, sign-in, DPoP and token refresh.

/** Which client the person signed in with; not a secret, so sessionStorage is fine for it. */
const MODE_KEY = 'catalog-sign-in-mode';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function show(id: string, visible: boolean): void {
  $(id).hidden = !visible;
}

function setStatus(text: string): void {
  $('status').textContent = text;
  show('status', text !== '');
}

function showError(text: string | null): void {
  $('error').textContent = text ?? '';
  show('error', text !== null);
}

/** Words for the person: what went wrong and what to do, never a token or a stack. */
function describe(error: unknown): string {
  if (error instanceof AttestationError) {
    return error.reasons.length > 0
      ? `This copy of the app could not be verified (${error.reasons.join(', ')}). Install the app from the official store.`
      : 'This copy of the app could not be verified. Install the app from the official store.';
  }
  if (error instanceof PortcullisError) {
    if (error.code === 'invalid_grant' && /too many/i.test(error.message)) return `Locked out for now: ${error.message}.`;
    if (error.code === 'invalid_grant') return 'Wrong username or password.';
    if (error.code === 'access_denied') return 'Sign-in was cancelled.';
    if (error.code === 'not_signed_in') return 'Your session has ended. Please sign in again.';
    return error.message;
  }
  return 'Something went wrong. Please try again.';
}

const euros = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' });

async function main(): Promise<void> {
  const config = (await (await fetch('/catalog/config.json')).json()) as DemoWebConfig;
  const app = { id: config.appId, release: config.release };
  const catalog = createPortcullis(config.sdkConfig, { app, clientId: config.catalogClientId, scope: config.scope });
  const partner = createPortcullis(config.sdkConfig, {
    app,
    clientId: config.partnerClientId,
    scope: config.scope,
    redirectUri: config.redirectUri,
  });
  let active: Portcullis = sessionStorage.getItem(MODE_KEY) === 'partner' ? partner : catalog;
  let favourites = new Set<string>();

  if (config.demoUser) {
    $('demo-login').textContent = `Demo login: ${config.demoUser.username} / ${config.demoUser.password}`;
    show('demo-login', true);
  }

  const api = async (path: string, init?: RequestInit) => {
    const response = await active.fetch(`${config.apiBase}${path}`, init);
    if (response.status === 401) throw new PortcullisError('not_signed_in', 'the API refused the session', { status: 401 });
    if (!response.ok) throw new PortcullisError('invalid_response', `the products API answered ${response.status}`);
    return response.json() as Promise<Record<string, unknown>>;
  };

  function renderFavourites(products: Product[]): void {
    const list = $('favourites');
    list.replaceChildren(
      ...products.map((product) => {
        const item = document.createElement('li');
        item.textContent = `${product.visual} ${product.name}`;
        return item;
      }),
    );
    $('favourite-count').textContent = String(products.length);
    show('no-favourites', products.length === 0);
    for (const button of document.querySelectorAll<HTMLButtonElement>('.favourite-toggle')) {
      const on = favourites.has(button.dataset.id ?? '');
      button.setAttribute('aria-pressed', String(on));
      button.textContent = on ? '★ Favourite' : '☆ Favourite';
    }
  }

  async function toggle(id: string): Promise<void> {
    showError(null);
    try {
      const body = await api(`/favourites/${encodeURIComponent(id)}`, { method: favourites.has(id) ? 'DELETE' : 'PUT' });
      favourites = new Set(body.ids as string[]);
      renderFavourites(body.products as Product[]);
    } catch (error) {
      await handleFailure(error);
    }
  }

  function renderProducts(products: Product[]): void {
    $('products').replaceChildren(
      ...products.map((product) => {
        const item = document.createElement('li');
        item.className = 'product';
        item.dataset.id = product.id;
        const parts: Array<[string, string]> = [
          ['visual', product.visual],
          ['name', product.name],
          ['price', euros.format(product.price / 100)],
          ['description', product.description],
        ];
        for (const [className, text] of parts) {
          const span = document.createElement('span');
          span.className = className;
          span.textContent = text;
          item.append(span);
        }
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'favourite-toggle';
        button.dataset.id = product.id;
        button.addEventListener('click', () => void toggle(product.id));
        item.append(button);
        return item;
      }),
    );
  }

  async function showCatalog(session: SessionInfo): Promise<void> {
    const user = session.user;
    $('user').textContent = user?.name ?? user?.preferred_username ?? user?.email ?? 'Signed in';
    show('account', true);
    show('sign-in-panel', false);
    setStatus('Loading products…');
    const [products, mine] = await Promise.all([api('/products'), api('/favourites')]);
    renderProducts(products.products as Product[]);
    favourites = new Set(mine.ids as string[]);
    renderFavourites(mine.products as Product[]);
    setStatus('');
    show('catalog', true);
  }

  function showSignIn(): void {
    show('account', false);
    show('catalog', false);
    show('sign-in-panel', true);
    setStatus('');
  }

  async function handleFailure(error: unknown): Promise<void> {
    showError(describe(error));
    if (error instanceof PortcullisError && error.code === 'not_signed_in') showSignIn();
  }

  $<HTMLFormElement>('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    showError(null);
    setStatus('Signing in…');
    void (async () => {
      try {
        const session = await catalog.signInWithPassword(String(form.get('username')), String(form.get('password')));
        active = catalog;
        sessionStorage.setItem(MODE_KEY, 'catalog');
        await showCatalog(session);
      } catch (error) {
        setStatus('');
        await handleFailure(error);
      }
    })();
  });

  $('partner-sign-in').addEventListener('click', () => {
    showError(null);
    void (async () => {
      try {
        sessionStorage.setItem(MODE_KEY, 'partner');
        location.assign(await partner.authorizationUrl());
      } catch (error) {
        await handleFailure(error);
      }
    })();
  });

  $('sign-out').addEventListener('click', () => {
    void (async () => {
      const signedOut = active;
      sessionStorage.removeItem(MODE_KEY);
      active = catalog;
      try {
        const { endSessionUrl } = await signedOut.logout({ postLogoutRedirectUri: new URL('/catalog/', location.href).href });
        if (endSessionUrl) return location.assign(endSessionUrl);
      } catch (error) {
        showError(describe(error));
      }
      showSignIn();
    })();
  });

  try {
    // Back from the partner's login and consent pages with a code (or an error).
    const here = new URL(location.href);
    if (here.pathname.endsWith('/callback')) {
      history.replaceState(null, '', '/catalog/');
      active = partner;
      return await showCatalog(await partner.handleRedirect(here.href));
    }
    await active.attest();
    const session = await active.session();
    if (session) return await showCatalog(session);
    showSignIn();
  } catch (error) {
    setStatus('');
    showError(describe(error));
    if (!(error instanceof AttestationError)) showSignIn();
  }
}

void main();
