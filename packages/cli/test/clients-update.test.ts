// `portcullis clients update` against a real `portcullis serve` in a child process: only the
// settings named on the command line change, the --no- pairs included, and a refusal changes nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientView } from '@portcullis/protocol';
import { assertFailure, assertSuccess, assertUsage, parseJson, useServer } from './cli-process.ts';

describe('portcullis clients update against a running server', () => {
  const suite = useServer();
  const show = async (id: string) => parseJson<ClientView>(await suite.cli(['clients', 'show', id, '--json']));
  let appId: string;
  let created: ClientView;

  it('changes only what is named: a redirect URI list replaced, first-party turned off, the rest kept', async () => {
    created = parseJson<ClientView>(
      await suite.cli(
        [
          'clients create --name App --type public --grant authorization_code --grant refresh_token',
          '--redirect-uri com.example.app:/cb --web-origin https://app.example.com --first-party --json',
        ]
          .join(' ')
          .split(' '),
      ),
    );
    appId = created.client_id;
    const result = await suite.cli([
      'clients',
      'update',
      appId,
      '--redirect-uri',
      'com.example.app:/v2/cb',
      '--redirect-uri',
      'com.example.app:/v3/cb',
      '--no-first-party',
    ]);
    assertSuccess(result);
    assert.equal(result.stdout, `updated client "App" (client id ${appId})\n`);
    const after = await show(appId);
    assert.deepEqual(after.redirect_uris, ['com.example.app:/v2/cb', 'com.example.app:/v3/cb']);
    assert.equal(after.first_party, false);
    const { redirect_uris: _r, first_party: _f, updated_at: _u, ...kept } = after;
    const { redirect_uris: _r2, first_party: _f2, updated_at: _u2, ...before } = created;
    assert.deepEqual(kept, before, 'everything not named is as it was');
  });

  it('--require-attestation and its --no- form, under --json', async () => {
    const on = parseJson<ClientView>(
      await suite.cli(['clients', 'update', appId, '--require-attestation', '--attestation-app', 'com.example.app', '--json']),
    );
    assert.equal(on.require_attestation, true);
    assert.deepEqual(on.attestation_app_ids, ['com.example.app']);
    assert.equal(
      parseJson<ClientView>(await suite.cli(['clients', 'update', appId, '--no-require-attestation', '--json']))
        .require_attestation,
      false,
    );
  });

  it('refuses bad metadata in one line and bad usage with exit 2, changing nothing', async () => {
    const before = await show(appId);
    assertFailure(
      await suite.cli(['clients', 'update', appId, '--web-origin', 'https://app.example.com/path']),
      /web origin|web_origins/i,
    );
    assertUsage(await suite.cli(['clients', 'update', appId]), /at least one setting/);
    assertUsage(await suite.cli(['clients', 'update', appId, '--grant', 'device_code']), /device_code/);
    assertUsage(await suite.cli(['clients', 'update', appId, '--type', 'confidential']), /unknown option '--type'/);
    assertFailure(await suite.cli(['clients', 'update', 'no-such-client', '--name', 'x']), /\(not_found\)\n$/);
    assert.deepEqual(await show(appId), before);
  });
});
