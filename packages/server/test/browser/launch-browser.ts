import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

// Debian's Chromium, installed by scripts/test-services.sh: Playwright's own browser download
// is not something CI or a developer machine can fetch.
const executablePath = process.env.PORTCULLIS_TEST_CHROMIUM;

export const SKIP_BROWSER: false | string = !executablePath
  ? 'PORTCULLIS_TEST_CHROMIUM is not set: the browser tests were skipped (scripts/test-services.sh installs Chromium and sets it)'
  : existsSync(executablePath)
    ? false
    : `PORTCULLIS_TEST_CHROMIUM=${executablePath} does not exist: the browser tests were skipped (run scripts/test-services.sh)`;

/** A headless Chromium that makes no network requests of its own, so a test sees only its own traffic. */
export async function launchBrowser(): Promise<Browser> {
  if (SKIP_BROWSER) throw new Error(SKIP_BROWSER);
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
}
