//! The registered numbers DTLS 1.2 speaks in, as newtypes: an unknown value is kept as it
//! is (a browser offers suites, groups and extensions this crate does not know) and printed
//! by number, a known one by its registry name.

macro_rules! codes {
    (
        $(#[$meta:meta])*
        $name:ident($repr:ty) {
            $( $(#[$cmeta:meta])* $konst:ident = $value:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $repr);

        impl $name {
            $( $(#[$cmeta])* pub const $konst: $name = $name($value); )*

            /// The registry name, when the value is one this crate knows.
            #[must_use]
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( $name::$konst => Some(stringify!($konst)), )*
                    _ => None,
                }
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}({:#x})", stringify!($name), self.0),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self, f)
            }
        }
    };
}

codes! {
    /// A record's content type (RFC 5246 section 6.2.1; RFC 6347 section 4.1).
    ContentType(u8) {
        /// ChangeCipherSpec: the sender's next records use the new epoch's keys.
        CHANGE_CIPHER_SPEC = 20,
        /// An alert.
        ALERT = 21,
        /// Handshake messages.
        HANDSHAKE = 22,
        /// Application data (the data channels' SCTP, later).
        APPLICATION_DATA = 23,
    }
}

codes! {
    /// A protocol version on the wire. DTLS counts down: 1.0 is `0xfeff`, 1.2 `0xfefd`
    /// (RFC 6347 section 4.1), 1.3 `0xfefc` (RFC 9147).
    ProtocolVersion(u16) {
        /// DTLS 1.0: the record version of a first ClientHello, and what a
        /// HelloVerifyRequest carries (RFC 6347 section 4.2.1).
        DTLS1_0 = 0xfeff,
        /// DTLS 1.2.
        DTLS1_2 = 0xfefd,
        /// DTLS 1.3, which browsers offer first (in supported_versions).
        DTLS1_3 = 0xfefc,
    }
}

codes! {
    /// A handshake message type (RFC 5246 section 7.4; RFC 6347 section 4.2.2).
    HandshakeType(u8) {
        /// HelloRequest (renegotiation; never sent here).
        HELLO_REQUEST = 0,
        /// ClientHello.
        CLIENT_HELLO = 1,
        /// ServerHello.
        SERVER_HELLO = 2,
        /// HelloVerifyRequest, the server's stateless cookie (RFC 6347 section 4.2.1).
        HELLO_VERIFY_REQUEST = 3,
        /// Certificate.
        CERTIFICATE = 11,
        /// ServerKeyExchange.
        SERVER_KEY_EXCHANGE = 12,
        /// CertificateRequest.
        CERTIFICATE_REQUEST = 13,
        /// ServerHelloDone.
        SERVER_HELLO_DONE = 14,
        /// CertificateVerify.
        CERTIFICATE_VERIFY = 15,
        /// ClientKeyExchange.
        CLIENT_KEY_EXCHANGE = 16,
        /// Finished.
        FINISHED = 20,
    }
}

codes! {
    /// A cipher suite (IANA TLS Cipher Suites registry).
    CipherSuite(u16) {
        /// ECDHE, ECDSA certificates, AES-128-GCM, SHA-256 PRF (RFC 5289): what WebRTC uses.
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b,
        /// ECDHE, ECDSA certificates, AES-256-GCM, SHA-384 PRF (RFC 5289).
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c,
        /// ECDHE, RSA certificates, AES-128-GCM, SHA-256 PRF (RFC 5289).
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f,
        /// ECDHE, RSA certificates, AES-256-GCM, SHA-384 PRF (RFC 5289).
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030,
        /// ECDHE, ECDSA, ChaCha20-Poly1305 (RFC 7905): offered by browsers, not chosen here.
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9,
        /// The signalling suite standing for an empty renegotiation_info (RFC 5746 s3.3).
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff,
    }
}

codes! {
    /// A named group for ECDHE (RFC 8422 section 5.1.1; RFC 7919; the TLS registry).
    NamedGroup(u16) {
        /// NIST P-256.
        SECP256R1 = 23,
        /// NIST P-384.
        SECP384R1 = 24,
        /// X25519 (RFC 7748, RFC 8422).
        X25519 = 29,
        /// The hybrid X25519 + ML-KEM-768 group browsers offer for (D)TLS 1.3 only.
        X25519MLKEM768 = 0x11ec,
    }
}

codes! {
    /// A signature scheme (RFC 8446 section 4.2.3, whose code points TLS 1.2 shares as
    /// hash/signature pairs of RFC 5246 section 7.4.1.4.1).
    SignatureScheme(u16) {
        /// ECDSA P-256 with SHA-256: what our certificates sign with.
        ECDSA_SECP256R1_SHA256 = 0x0403,
        /// ECDSA P-384 with SHA-384.
        ECDSA_SECP384R1_SHA384 = 0x0503,
        /// ECDSA P-521 with SHA-512.
        ECDSA_SECP521R1_SHA512 = 0x0603,
        /// RSASSA-PSS (rsaEncryption keys) with SHA-256.
        RSA_PSS_RSAE_SHA256 = 0x0804,
        /// RSASSA-PSS (rsaEncryption keys) with SHA-384.
        RSA_PSS_RSAE_SHA384 = 0x0805,
        /// RSASSA-PSS (rsaEncryption keys) with SHA-512.
        RSA_PSS_RSAE_SHA512 = 0x0806,
        /// RSASSA-PKCS1-v1_5 with SHA-256.
        RSA_PKCS1_SHA256 = 0x0401,
        /// RSASSA-PKCS1-v1_5 with SHA-384.
        RSA_PKCS1_SHA384 = 0x0501,
        /// RSASSA-PKCS1-v1_5 with SHA-512.
        RSA_PKCS1_SHA512 = 0x0601,
        /// Ed25519.
        ED25519 = 0x0807,
    }
}

codes! {
    /// A hello extension's type (IANA TLS ExtensionType Values).
    ExtensionType(u16) {
        /// server_name (RFC 6066).
        SERVER_NAME = 0,
        /// supported_groups (RFC 8422, RFC 7919).
        SUPPORTED_GROUPS = 10,
        /// ec_point_formats (RFC 8422 section 5.1.2).
        EC_POINT_FORMATS = 11,
        /// signature_algorithms (RFC 5246 section 7.4.1.4.1).
        SIGNATURE_ALGORITHMS = 13,
        /// use_srtp (RFC 5764 section 4.1.1).
        USE_SRTP = 14,
        /// extended_master_secret (RFC 7627).
        EXTENDED_MASTER_SECRET = 23,
        /// record_size_limit (RFC 8449).
        RECORD_SIZE_LIMIT = 28,
        /// session_ticket (RFC 5077).
        SESSION_TICKET = 35,
        /// supported_versions ((D)TLS 1.3; RFC 8446 section 4.2.1).
        SUPPORTED_VERSIONS = 43,
        /// cookie ((D)TLS 1.3).
        COOKIE = 44,
        /// psk_key_exchange_modes ((D)TLS 1.3).
        PSK_KEY_EXCHANGE_MODES = 45,
        /// key_share ((D)TLS 1.3).
        KEY_SHARE = 51,
        /// renegotiation_info (RFC 5746).
        RENEGOTIATION_INFO = 0xff01,
    }
}

codes! {
    /// A DTLS-SRTP protection profile (RFC 5764 section 4.1.2, RFC 7714 section 14.2).
    SrtpProfileId(u16) {
        /// AES-128 counter mode, HMAC-SHA1 80-bit tags.
        SRTP_AES128_CM_HMAC_SHA1_80 = 0x0001,
        /// AES-128 counter mode, HMAC-SHA1 32-bit tags (RTP only; RTCP keeps 80 bits).
        SRTP_AES128_CM_HMAC_SHA1_32 = 0x0002,
        /// AEAD AES-128-GCM (RFC 7714).
        SRTP_AEAD_AES_128_GCM = 0x0007,
        /// AEAD AES-256-GCM (RFC 7714).
        SRTP_AEAD_AES_256_GCM = 0x0008,
    }
}

codes! {
    /// An alert's description (RFC 5246 section 7.2).
    AlertDescription(u8) {
        /// close_notify: the peer is done.
        CLOSE_NOTIFY = 0,
        /// unexpected_message.
        UNEXPECTED_MESSAGE = 10,
        /// bad_record_mac.
        BAD_RECORD_MAC = 20,
        /// record_overflow.
        RECORD_OVERFLOW = 22,
        /// handshake_failure: no common suite, group or profile.
        HANDSHAKE_FAILURE = 40,
        /// bad_certificate: the certificate does not match the announced fingerprint.
        BAD_CERTIFICATE = 42,
        /// unsupported_certificate.
        UNSUPPORTED_CERTIFICATE = 43,
        /// certificate_expired.
        CERTIFICATE_EXPIRED = 45,
        /// illegal_parameter.
        ILLEGAL_PARAMETER = 47,
        /// decode_error: a message did not parse.
        DECODE_ERROR = 50,
        /// decrypt_error: a signature or Finished did not verify.
        DECRYPT_ERROR = 51,
        /// protocol_version.
        PROTOCOL_VERSION = 70,
        /// insufficient_security.
        INSUFFICIENT_SECURITY = 71,
        /// internal_error.
        INTERNAL_ERROR = 80,
        /// user_canceled.
        USER_CANCELED = 90,
        /// no_renegotiation.
        NO_RENEGOTIATION = 100,
        /// unsupported_extension.
        UNSUPPORTED_EXTENSION = 110,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_print_by_name_and_unknown_ones_by_number() {
        assert_eq!(
            format!("{:?}", CipherSuite(0xc02b)),
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        );
        assert_eq!(format!("{}", CipherSuite(0x1301)), "CipherSuite(0x1301)");
        assert_eq!(NamedGroup::X25519MLKEM768.name(), Some("X25519MLKEM768"));
        assert_eq!(ProtocolVersion(0xfefd), ProtocolVersion::DTLS1_2);
        assert!(
            ProtocolVersion::DTLS1_2 < ProtocolVersion::DTLS1_0,
            "DTLS counts down"
        );
    }
}
