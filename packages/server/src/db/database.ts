import type { AdminTables } from '../admin/tables.ts';
import type { AttestationTables } from '../attestation/tables.ts';
import type { DirectoryTables } from '../directory/tables.ts';
import type { GatewayTables } from '../gateway/tables.ts';
import type { KeysTables } from '../keys/tables.ts';
import type { OAuthTables } from '../oauth/tables.ts';
import type { PinningTables } from '../pinning/tables.ts';
import type { SecretsTables } from '../secrets/tables.ts';

/** Every table, as each module declares its own; this file only joins them for Kysely. */
export interface Database
  extends AdminTables,
    AttestationTables,
    DirectoryTables,
    GatewayTables,
    KeysTables,
    OAuthTables,
    PinningTables,
    SecretsTables {}
