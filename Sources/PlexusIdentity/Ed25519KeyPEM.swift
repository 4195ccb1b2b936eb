import Crypto
import SwiftASN1
import X509

/// The node's Ed25519 registry-signing key as a standard PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`,
/// RFC 8410), so operators can inspect it with `openssl pkey`. swift-crypto has no PEM support for
/// Curve25519, so writing goes through swift-certificates and reading unwraps the PKCS#8 here.
enum Ed25519KeyPEM {
    /// id-Ed25519, RFC 8410.
    static let algorithm: ASN1ObjectIdentifier = [1, 3, 101, 112]

    static func encode(_ key: Curve25519.Signing.PrivateKey) throws(IdentityError) -> String {
        do {
            return try Certificate.PrivateKey(key).serializeAsPEM().pemString
        } catch {
            throw IdentityError(.badPEM, "cannot encode Ed25519 key: \(error)")
        }
    }

    static func decode(_ text: String, source: String) throws(IdentityError) -> Curve25519.Signing.PrivateKey {
        let document: PEMDocument
        do {
            document = try PEMDocument(pemString: text)
        } catch {
            throw IdentityError(.badPEM, "\(source): not a PEM file: \(error)")
        }
        guard document.discriminator == "PRIVATE KEY" else {
            throw IdentityError(.badPEM, "\(source): expected a PRIVATE KEY (PKCS#8) block, found \(document.discriminator)")
        }
        do {
            // OneAsymmetricKey: version, AlgorithmIdentifier, privateKey OCTET STRING wrapping the
            // CurvePrivateKey OCTET STRING, then optional attributes / public key (ignored).
            let raw: ArraySlice<UInt8> = try DER.sequence(DER.parse(document.derBytes), identifier: .sequence) { nodes in
                _ = try Int(derEncoded: &nodes)
                let oid = try DER.sequence(nodes.next() ?? Self.missing(), identifier: .sequence) { inner in
                    let oid = try ASN1ObjectIdentifier(derEncoded: &inner)
                    while inner.next() != nil {}
                    return oid
                }
                guard oid == algorithm else {
                    throw IdentityError(.badPEM, "\(source): not an Ed25519 key (algorithm \(oid))")
                }
                let wrapped = try ASN1OctetString(derEncoded: &nodes)
                while nodes.next() != nil {}
                return try ASN1OctetString(derEncoded: wrapped.bytes).bytes
            }
            return try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        } catch let error as IdentityError {
            throw error
        } catch {
            throw IdentityError(.badPEM, "\(source): not a valid Ed25519 PKCS#8 key: \(error)")
        }
    }

    private static func missing() throws -> ASN1Node {
        throw ASN1Error.invalidASN1Object(reason: "truncated PKCS#8 structure")
    }
}
