import type { DeviceView as Device } from '@portcullis/protocol';
import type { Command } from 'commander';
import { pathSegment } from '../admin-client.ts';
import { UsageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { formatTable, toOneLine, writeJson, writeLine, writeResult } from '../output.ts';
import { verbContext } from '../verb-context.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90m`, `12h`, `7d` or plain seconds. */
function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw new UsageError(`--expires takes a duration such as 30m, 12h or 7d (got ${JSON.stringify(text)})`);
  return Number(match[1]) * (UNITS[match[2] || 's'] ?? 1);
}

export function addDevicesCommands(program: Command, io: CliIo): void {
  const devices = program
    .command('devices')
    .description('see attested devices; allow a developer device past its signals, or deny one');

  devices
    .command('list')
    .description('devices that attested, newest first')
    .action(async (_options: object, command: Command) => {
      const ctx = verbContext(io, command);
      const body = await ctx.client().get<{ devices: Device[] }>('/devices');
      if (ctx.json) return writeJson(io, body);
      if (body.devices.length === 0) return writeLine(io, 'no devices');
      io.stdout.write(
        formatTable(
          ['DEVICE', 'APP', 'PLATFORM', 'STATUS', 'POLICY', 'KEY', 'LAST SEEN', 'LAST VERDICT'],
          body.devices.map((d) => [
            d.device_id,
            d.app_id,
            d.platform,
            d.status,
            d.policy_expires_at ? `${d.policy} until ${d.policy_expires_at}` : d.policy,
            d.key_thumbprint,
            d.last_seen,
            d.last_verdict,
          ]),
        ),
      );
    });

  devices
    .command('allow')
    .description("let a developer's or CI device pass whatever its signals, for a limited time (audited)")
    .argument('<device-id>', 'as shown by devices list')
    .option('--policy <policy>', 'always-pass', 'always-pass')
    .option('--expires <duration>', 'how long: 30m, 12h, 7d (at most 90d)', '7d')
    .option('--key <thumbprint>', 'the key to allow, as devices list shows it (default: the key seen last)')
    .action(async (deviceId: string, options: { policy: string; expires: string; key?: string }, command: Command) => {
      if (options.policy !== 'always-pass') throw new UsageError('--policy takes always-pass');
      const ctx = verbContext(io, command);
      const device = await ctx.client().post<Device>(`/devices/${pathSegment(deviceId)}/allow`, {
        policy: 'always-pass',
        expires_in: parseDuration(options.expires),
        ...(options.key ? { key_thumbprint: options.key } : {}),
      });
      writeResult(io, ctx.json, device, `device ${toOneLine(deviceId)} passes until ${device.policy_expires_at ?? '?'}`);
    });

  devices
    .command('deny')
    .description('block a device id and one key whatever they report')
    .argument('<device-id>', 'as shown by devices list')
    .option('--key <thumbprint>', 'the key to deny, as devices list shows it (default: the key seen last)')
    .action(async (deviceId: string, options: { key?: string }, command: Command) => {
      const ctx = verbContext(io, command);
      const device = await ctx
        .client()
        .post<Device>(`/devices/${pathSegment(deviceId)}/deny`, options.key ? { key_thumbprint: options.key } : {});
      writeResult(io, ctx.json, device, `device ${toOneLine(deviceId)} is denied`);
    });

  devices
    .command('remove')
    .description('forget a device (it is judged afresh on its next attestation)')
    .argument('<device-id>', 'as shown by devices list')
    .action(async (deviceId: string, _options: object, command: Command) => {
      const ctx = verbContext(io, command);
      await ctx.client().delete(`/devices/${pathSegment(deviceId)}`);
      writeResult(io, ctx.json, { device_id: deviceId, removed: true }, `removed device ${toOneLine(deviceId)}`);
    });
}
