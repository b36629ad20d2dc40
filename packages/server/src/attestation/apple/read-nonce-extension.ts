import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { MalformedEvidence } from './decode-cbor-map.ts';

// Apple, "Validating Apps That Connect to Your Server", step 4: the credential certificate's
// extension 1.2.840.113635.100.8.2 is a DER sequence holding a single octet string, the nonce:
//   SEQUENCE { [1] EXPLICIT OCTET STRING }
export const APPLE_NONCE_OID = '1.2.840.113635.100.8.2';

// Declared without decorator syntax (Node's type stripping runs erasable TypeScript only), by
// calling the decorators the way the compiler would.
class AppleNonceExtension {
  nonce: ArrayBuffer = new ArrayBuffer(0);
}
AsnType({ type: AsnTypeTypes.Sequence })(AppleNonceExtension);
AsnProp({ type: AsnPropTypes.OctetString, context: 1 })(AppleNonceExtension.prototype, 'nonce');

/** The nonce the credential certificate (DER) carries; throws `MalformedEvidence` if absent or not DER. */
export function readNonceExtension(certificateDer: Uint8Array): Uint8Array {
  let extensionValue: ArrayBuffer;
  try {
    const certificate = AsnConvert.parse(certificateDer, Certificate);
    const matches = (certificate.tbsCertificate.extensions ?? []).filter((extension) => extension.extnID === APPLE_NONCE_OID);
    // RFC 5280 §4.2: a certificate must not include more than one instance of an extension.
    if (matches.length !== 1 || !matches[0]) throw new MalformedEvidence('credential certificate has no single nonce extension');
    extensionValue = matches[0].extnValue.buffer;
  } catch (error) {
    if (error instanceof MalformedEvidence) throw error;
    throw new MalformedEvidence('credential certificate is not a valid X.509 certificate', { cause: error });
  }
  let parsed: AppleNonceExtension;
  try {
    parsed = AsnConvert.parse(extensionValue, AppleNonceExtension);
  } catch (error) {
    throw new MalformedEvidence('nonce extension is not SEQUENCE { [1] OCTET STRING }', { cause: error });
  }
  // The parser tolerates trailing bytes and extra elements; re-encoding and comparing holds the
  // extension to the one DER encoding of exactly that structure.
  if (Buffer.compare(new Uint8Array(AsnConvert.serialize(parsed)), new Uint8Array(extensionValue)) !== 0) {
    throw new MalformedEvidence('nonce extension is not DER SEQUENCE { [1] OCTET STRING }');
  }
  return new Uint8Array(parsed.nonce);
}
