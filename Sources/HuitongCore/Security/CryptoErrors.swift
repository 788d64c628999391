import HuitongCrypto

/// HuitongCrypto sits below Core and so cannot name `BilingualText`; its errors become Huitong errors here.
extension CryptographyError: HuitongError {
    public var code: String {
        switch self {
        case .libcrypto: "crypto_failed"
        case .malformedKey: "crypto_key_malformed"
        case .authenticationFailed: "crypto_authentication_failed"
        case .malformedEnvelope: "crypto_envelope_malformed"
        case .malformedCertificate: "crypto_certificate_malformed"
        case .unknownSuite: "crypto_suite_unknown"
        case .unsupportedAlgorithm: "crypto_algorithm_unsupported"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .unknownSuite, .malformedCertificate: .badInput
        case .libcrypto, .malformedKey, .authenticationFailed, .malformedEnvelope, .unsupportedAlgorithm: .internal
        }
    }

    public var message: BilingualText { BilingualText(zh: chinese, en: english) }
}
