import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_WEB_DIR } from '../src/start-demo.ts';

export const PLACEHOLDER_HTML = '<!doctype html><title>Catalog placeholder</title><script type="module" src="app.js"></script>';

/** A web app that only says it is there, so the server side is tested without the real one. */
export async function placeholderWebDir(): Promise<{ webDir: string; remove(): Promise<void> }> {
  const webDir = await mkdtemp(join(tmpdir(), 'portcullis-demo-web-'));
  await writeFile(join(webDir, 'index.html'), PLACEHOLDER_HTML);
  await writeFile(join(webDir, 'styles.css'), 'body { font-family: sans-serif; }\n');
  await writeFile(join(webDir, 'main.ts'), "const title: string = 'Catalog';\ndocument.title = title;\n");
  return { webDir, remove: () => rm(webDir, { recursive: true, force: true }) };
}

/** apps/demo/web when the web app is there, else a placeholder. */
export async function demoWebDir(): Promise<{ webDir: string; remove(): Promise<void> }> {
  if (existsSync(join(DEFAULT_WEB_DIR, 'main.ts'))) return { webDir: DEFAULT_WEB_DIR, remove: async () => {} };
  return placeholderWebDir();
}
