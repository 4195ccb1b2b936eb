import SwiftASN1
import X509

/// DER/PEM conversions and subject lookups shared by the CA, node and trust code, with every
/// failure turned into an `IdentityError` naming where the bytes came from.
enum CertificateCoding {
    static func der(_ certificate: Certificate) throws(IdentityError) -> [UInt8] {
        do {
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return serializer.serializedBytes
        } catch {
            throw IdentityError(.badCertificate, "cannot encode certificate \(certificate.subject): \(error)")
        }
    }

    static func pem(_ certificate: Certificate) throws(IdentityError) -> String {
        do {
            return try certificate.serializeAsPEM().pemString
        } catch {
            throw IdentityError(.badCertificate, "cannot encode certificate \(certificate.subject): \(error)")
        }
    }

    static func certificate(der bytes: [UInt8], source: String) throws(IdentityError) -> Certificate {
        do {
            return try Certificate(derEncoded: bytes)
        } catch {
            throw IdentityError(.badCertificate, "\(source): not a valid X.509 certificate: \(error)")
        }
    }

    /// All certificates in a PEM text (a CA bundle may hold several); at least one is required.
    static func certificates(pem text: String, source: String) throws(IdentityError) -> [Certificate] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw IdentityError(.badPEM, "\(source): not a PEM file: \(error)")
        }
        var certificates: [Certificate] = []
        for document in documents {
            guard document.discriminator == "CERTIFICATE" else {
                throw IdentityError(.badPEM, "\(source): expected CERTIFICATE blocks, found \(document.discriminator)")
            }
            do {
                certificates.append(try Certificate(derEncoded: document.derBytes))
            } catch {
                throw IdentityError(.badCertificate, "\(source): not a valid X.509 certificate: \(error)")
            }
        }
        guard !certificates.isEmpty else { throw IdentityError(.badPEM, "\(source): holds no certificate") }
        return certificates
    }

    /// The single value of attribute `type` in `name`; nil when absent, repeated or not a string.
    static func single(_ type: ASN1ObjectIdentifier, in name: DistinguishedName) -> String? {
        var found: [String] = []
        for rdn in name {
            for attribute in rdn where attribute.type == type {
                guard let text = String(attribute.value) else { return nil }
                found.append(text)
            }
        }
        return found.count == 1 ? found[0] : nil
    }

    static func organisation(of name: DistinguishedName) -> String? {
        single(.RDNAttributeType.organizationName, in: name)
    }

    static func isCA(_ certificate: Certificate) -> Bool {
        guard case .isCertificateAuthority? = try? certificate.extensions.basicConstraints else { return false }
        return true
    }
}
