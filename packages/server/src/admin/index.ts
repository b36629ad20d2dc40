export { adminPlugin } from './admin-plugin.ts';
export { AdminKeys } from './admin-keys.ts';
export { AuditLog } from './audit-log.ts';
