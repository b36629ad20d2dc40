// Android "Verify hardware-backed key pairs with key attestation", "Certificate revocation status
// list": `{ "entries": { "<serial in lower-case hex>": { "status": "REVOKED" | "SUSPENDED", … } } }`
// with property names matching ^[a-f1-9][a-f0-9]*$.
const SERIAL = /^[0-9a-f]+$/;
const STATUSES = new Set(['REVOKED', 'SUSPENDED']);

/**
 * A certificate serial as the status list writes it: lower-case hex without leading zeros (X.509
 * serials are positive INTEGERs, so DER may prepend a zero byte that the list never shows).
 * Accepts what `X509Certificate#serialNumber` returns (upper-case, possibly zero-padded).
 */
export function normalizeSerial(hex: string): string {
  const lower = hex.toLowerCase();
  if (!SERIAL.test(lower)) throw new TypeError('serial is not hexadecimal');
  return lower.replace(/^0+(?=.)/, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses the revocation status list JSON format (see fixtures/attestation/android/status.json)
 * into revoked serials. Every entry counts, SUSPENDED as much as REVOKED: Google lists only
 * certificates whose status is not valid, so none of them may vouch for a key.
 *
 * The list comes from the server's configured file or URL, not from a device, so a list that does
 * not have this shape throws a `TypeError` instead of quietly revoking nothing.
 *
 * @example
 * const revokedSerials = parseRevocationStatusList(JSON.parse(await readFile('status.json', 'utf8')));
 */
export function parseRevocationStatusList(json: unknown): Set<string> {
  if (!isRecord(json) || !isRecord(json.entries)) throw new TypeError('revocation status list has no "entries" object');
  const serials = new Set<string>();
  for (const [serial, entry] of Object.entries(json.entries)) {
    if (!SERIAL.test(serial)) throw new TypeError(`revocation status list key "${serial}" is not a lower-case hex serial`);
    if (!isRecord(entry) || typeof entry.status !== 'string' || !STATUSES.has(entry.status)) {
      throw new TypeError(`revocation status list entry "${serial}" has no valid "status"`);
    }
    serials.add(normalizeSerial(serial));
  }
  return serials;
}
