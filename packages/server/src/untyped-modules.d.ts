// Type declarations for the untyped packages the server uses (only what it uses).

declare module 'ecdsa-sig-formatter' {
  const formatter: {
    /** An ECDSA DER signature as the JWS r‖s form, base64url (RFC 7518 §3.4). */
    derToJose(signature: Buffer, alg: string): string;
    /** A JWS r‖s ECDSA signature as DER; throws on a wrong length. */
    joseToDer(signature: Buffer, alg: string): Buffer;
  };
  export default formatter;
}
