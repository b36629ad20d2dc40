import type { X509Certificate } from 'node:crypto';
import {
  AttestationApplicationId,
  type AuthorizationList,
  id_ce_keyDescription,
  type NonStandardAuthorizationList,
  NonStandardKeyDescription,
} from '@peculiar/asn1-android';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { MalformedKeyAttestation } from './read-pem-certificates.ts';
import type { SecurityLevelName, VerifiedBootStateName } from './types.ts';

// Android keystore "Attestation extension" schema (source.android.com, keystore/attestation):
//   SecurityLevel ::= ENUMERATED { Software (0), TrustedEnvironment (1), StrongBox (2) }
//   VerifiedBootState ::= ENUMERATED { Verified (0), SelfSigned (1), Unverified (2), Failed (3) }
const SECURITY_LEVELS: readonly SecurityLevelName[] = ['Software', 'TrustedEnvironment', 'StrongBox'];
const BOOT_STATES: readonly VerifiedBootStateName[] = ['Verified', 'SelfSigned', 'Unverified', 'Failed'];

export interface KeyDescriptionFacts {
  attestationVersion: number;
  attestationSecurityLevel: SecurityLevelName;
  keymasterSecurityLevel: SecurityLevelName;
  attestationChallenge: Uint8Array;
  packageNames: string[];
  signatureDigests: string[];
  verifiedBootState?: VerifiedBootStateName;
  deviceLocked?: boolean;
  osVersion?: number;
  osPatchLevel?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function nameOf<T>(names: readonly T[], value: unknown): T {
  const name = typeof value === 'number' ? names[value] : undefined;
  if (name === undefined) throw new MalformedKeyAttestation(`enumerated value ${String(value)} is out of range`);
  return name;
}

function integer(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new MalformedKeyAttestation('INTEGER out of range');
  return value;
}

function boolean(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new MalformedKeyAttestation('expected a BOOLEAN');
  return value;
}

// The schema classes declare OctetString, but asn1-schema hands back an ArrayBuffer for
// AsnPropTypes.OctetString fields (packageName, signatureDigests): both shapes are accepted.
function bytesOf(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof value === 'object' && value !== null && 'buffer' in value && value.buffer instanceof ArrayBuffer) {
    return new Uint8Array(value.buffer);
  }
  throw new MalformedKeyAttestation('expected an OCTET STRING');
}

/** The certificate's KeyDescription extension value, if it has one (RFC 5280 §4.2: at most one). */
function keyDescriptionExtension(certificate: X509Certificate): ArrayBuffer | undefined {
  const extensions = AsnConvert.parse(certificate.raw, Certificate).tbsCertificate.extensions ?? [];
  const matches = extensions.filter((extension) => extension.extnID === id_ce_keyDescription);
  if (matches.length > 1) throw new MalformedKeyAttestation('certificate repeats the KeyDescription extension');
  return matches[0]?.extnValue.buffer;
}

// The lists are decoded as SEQUENCE OF CHOICE (asn1-android's NonStandard* classes) because some
// KeyMint implementations emit tags out of order; a tag that appears twice is refused.
function field<K extends keyof AuthorizationList>(list: NonStandardAuthorizationList, key: K): AuthorizationList[K] | undefined {
  const holders = list.filter((authorization) => authorization[key] !== undefined);
  if (holders.length > 1) throw new MalformedKeyAttestation(`authorization list repeats ${key}`);
  return holders[0]?.[key];
}

/**
 * AttestationApplicationId ::= SEQUENCE { package_infos SET OF AttestationPackageInfo,
 * signature_digests SET OF OCTET_STRING }, with AttestationPackageInfo ::= SEQUENCE {
 * package_name OCTET_STRING, version INTEGER }; each digest is SHA-256 of a signing certificate.
 */
function readApplicationId(encoded: unknown): Pick<KeyDescriptionFacts, 'packageNames' | 'signatureDigests'> {
  if (encoded === undefined) return { packageNames: [], signatureDigests: [] };
  const applicationId = AsnConvert.parse(bytesOf(encoded), AttestationApplicationId);
  return {
    packageNames: applicationId.packageInfos.map((info) => utf8.decode(bytesOf(info.packageName))),
    signatureDigests: applicationId.signatureDigests.map((digest) => Buffer.from(bytesOf(digest)).toString('hex')),
  };
}

/**
 * Android "Verify hardware-backed key pairs", step 6: the KeyDescription extension
 * (1.3.6.1.4.1.11129.2.1.17) of the leaf. Only the first occurrence from the root can be trusted,
 * and a later one could be an attacker extending the chain with the attested key, so the leaf
 * must be the only certificate that carries it. Throws `MalformedKeyAttestation`.
 */
export function readKeyDescription(chain: readonly X509Certificate[]): KeyDescriptionFacts {
  const [leaf, ...issuers] = chain;
  const encoded = leaf && keyDescriptionExtension(leaf);
  if (!encoded) throw new MalformedKeyAttestation('leaf has no KeyDescription extension');
  if (issuers.some((certificate) => keyDescriptionExtension(certificate) !== undefined)) {
    throw new MalformedKeyAttestation('KeyDescription extension outside the leaf');
  }
  const description = AsnConvert.parse(encoded, NonStandardKeyDescription);
  const { softwareEnforced, teeEnforced } = description;
  // The application id is supplied by Android, not the secure hardware, so it sits in
  // softwareEnforced; the root of trust comes from the bootloader through the secure hardware and
  // is read from teeEnforced only, since a software-enforced one would be the OS vouching for itself.
  const rootOfTrust = field(teeEnforced, 'rootOfTrust');
  const osVersion = field(teeEnforced, 'osVersion') ?? field(softwareEnforced, 'osVersion');
  const osPatchLevel = field(teeEnforced, 'osPatchLevel') ?? field(softwareEnforced, 'osPatchLevel');
  return {
    attestationVersion: integer(description.attestationVersion),
    attestationSecurityLevel: nameOf(SECURITY_LEVELS, description.attestationSecurityLevel),
    keymasterSecurityLevel: nameOf(SECURITY_LEVELS, description.keymasterSecurityLevel),
    attestationChallenge: bytesOf(description.attestationChallenge),
    ...readApplicationId(field(softwareEnforced, 'attestationApplicationId') ?? field(teeEnforced, 'attestationApplicationId')),
    ...(rootOfTrust && {
      verifiedBootState: nameOf(BOOT_STATES, rootOfTrust.verifiedBootState),
      deviceLocked: boolean(rootOfTrust.deviceLocked),
    }),
    ...(osVersion !== undefined && { osVersion: integer(osVersion) }),
    ...(osPatchLevel !== undefined && { osPatchLevel: integer(osPatchLevel) }),
  };
}
