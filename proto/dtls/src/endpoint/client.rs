//! The client's side of the handshake (RFC 6347 section 4.2.4, flights 1, 3 and 5).

use std::time::Instant;

use super::flight::Item;
use super::{Endpoint, Failure, Phase};
use crate::certificate::{CertificateRequest, write_certificate};
use crate::client_hello::{ClientHelloFields, write_client_hello};
use crate::codes::{HandshakeType, ProtocolVersion, SignatureScheme};
use crate::extension::{
    write_ec_point_formats, write_extended_master_secret, write_renegotiation_info,
    write_signature_algorithms, write_supported_groups, write_use_srtp,
};
use crate::hello_verify::HelloVerifyRequest;
use crate::key_exchange::{
    DigitallySigned, ServerKeyExchange, write_client_key_exchange, write_digitally_signed,
};
use crate::kx::{GROUPS, KeyShare};
use crate::reassembly::Message;
use crate::server_hello::ServerHello;
use crate::suite::{SUITES, SuiteParams};

/// The signature schemes we verify, preferred first (what `verify` accepts).
pub(super) const SCHEMES: [SignatureScheme; 7] = [
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

impl Endpoint {
    /// Flight 1 (no cookie) or 3 (echoing the server's cookie).
    pub(super) fn send_client_hello(&mut self, now: Instant, cookie: &[u8]) {
        if cookie.is_empty() {
            self.hs.client_random = self.rng.bytes();
        }
        let mut ext = Vec::new();
        if !self.config.srtp_profiles.is_empty() {
            write_use_srtp(&mut ext, &self.config.srtp_profiles);
        }
        write_supported_groups(&mut ext, &GROUPS);
        write_signature_algorithms(&mut ext, &SCHEMES);
        write_ec_point_formats(&mut ext);
        write_renegotiation_info(&mut ext);
        write_extended_master_secret(&mut ext);
        let mut body = Vec::new();
        write_client_hello(
            &mut body,
            &ClientHelloFields {
                version: ProtocolVersion::DTLS1_2,
                random: &self.hs.client_random,
                cookie,
                cipher_suites: &SUITES,
                extensions: &ext,
            },
        );
        // The first ClientHello and the HelloVerifyRequest are not part of the transcript.
        self.hs.transcript.clear();
        let item = self.message(HandshakeType::CLIENT_HELLO, body, 0);
        let number = if cookie.is_empty() { 1 } else { 3 };
        self.send_flight(now, number, vec![item], true);
    }

    /// A message of the server's.
    pub(super) fn client_message(&mut self, now: Instant, m: &Message) -> Result<(), Failure> {
        let t = m.msg_type;
        match (self.phase, t, self.hs.expect) {
            (Phase::Hello, HandshakeType::HELLO_VERIFY_REQUEST, _) => {
                let hvr = HelloVerifyRequest::parse(&m.body).map_err(Failure::decode(t))?;
                let cookie = hvr.cookie.to_vec();
                self.send_client_hello(now, &cookie);
            }
            (Phase::Hello, HandshakeType::SERVER_HELLO, _) => {
                self.flight.stop_timer();
                self.server_hello(m)?;
                self.hs.transcript.add(t, m.message_seq, &m.body);
                self.phase = Phase::ServerFlight;
                self.hs.expect = Some(HandshakeType::CERTIFICATE);
            }
            (Phase::ServerFlight, HandshakeType::CERTIFICATE, Some(HandshakeType::CERTIFICATE)) => {
                self.hs.transcript.add(t, m.message_seq, &m.body);
                self.peer_certificate(&m.body)?;
                let fits = match (self.hs.suite, &self.hs.peer_key) {
                    (Some(s), Some(k)) => s.fits(k.kind()),
                    _ => false,
                };
                if !fits {
                    return Err(Failure::NotOffered("a certificate of the suite's key type"));
                }
                self.hs.expect = Some(HandshakeType::SERVER_KEY_EXCHANGE);
            }
            (
                Phase::ServerFlight,
                HandshakeType::SERVER_KEY_EXCHANGE,
                Some(HandshakeType::SERVER_KEY_EXCHANGE),
            ) => {
                self.server_key_exchange(&m.body)?;
                self.hs.transcript.add(t, m.message_seq, &m.body);
                self.hs.expect = Some(HandshakeType::CERTIFICATE_REQUEST);
            }
            (
                Phase::ServerFlight,
                HandshakeType::CERTIFICATE_REQUEST,
                Some(HandshakeType::CERTIFICATE_REQUEST),
            ) => {
                CertificateRequest::parse(&m.body).map_err(Failure::decode(t))?;
                self.hs.certificate_requested = true;
                self.hs.transcript.add(t, m.message_seq, &m.body);
                self.hs.expect = Some(HandshakeType::SERVER_HELLO_DONE);
            }
            (
                Phase::ServerFlight,
                HandshakeType::SERVER_HELLO_DONE,
                Some(HandshakeType::CERTIFICATE_REQUEST | HandshakeType::SERVER_HELLO_DONE),
            ) => {
                if !m.body.is_empty() {
                    return Err(Failure::Decode {
                        message: t,
                        error: crate::ParseError::Trailing {
                            what: "ServerHelloDone",
                            extra: m.body.len(),
                        },
                    });
                }
                self.hs.transcript.add(t, m.message_seq, &m.body);
                self.send_client_flight(now)?;
            }
            (Phase::ServerFinished, HandshakeType::FINISHED, _) => {
                if self.records.read_epoch() != 1 {
                    return Err(Failure::Unexpected(t));
                }
                self.check_peer_finished(&m.body)?;
                self.hs.transcript.add(t, m.message_seq, &m.body);
                self.flight.clear();
                self.connected();
            }
            _ => return Err(Failure::Unexpected(t)),
        }
        Ok(())
    }

    /// What the server chose: DTLS 1.2, a suite we offered, the extended master secret,
    /// an SRTP profile we offered.
    fn server_hello(&mut self, m: &Message) -> Result<(), Failure> {
        let sh = ServerHello::parse(&m.body).map_err(Failure::decode(m.msg_type))?;
        if sh.version != ProtocolVersion::DTLS1_2 {
            return Err(Failure::Version(sh.version));
        }
        let suite = SuiteParams::of(sh.cipher_suite)
            .filter(|s| SUITES.contains(&s.suite))
            .ok_or(Failure::NotOffered("cipher suite"))?;
        if sh.compression_method != 0 {
            return Err(Failure::NotOffered("compression method"));
        }
        if !sh
            .extensions
            .extended_master_secret()
            .map_err(Failure::decode(m.msg_type))?
        {
            return Err(Failure::NoExtendedMasterSecret);
        }
        let srtp = sh
            .extensions
            .use_srtp()
            .map_err(Failure::decode(m.msg_type))?;
        self.hs.srtp = match (srtp, self.config.srtp_profiles.is_empty()) {
            (None, true) => None,
            (None, false) => {
                return Err(Failure::NoCommonSrtpProfile {
                    offered: Vec::new(),
                });
            }
            (Some(_), true) => return Err(Failure::NotOffered("use_srtp")),
            (Some(s), false) => {
                let mut ids = s.profile_ids();
                match (ids.next(), ids.next()) {
                    (Some(p), None) if self.config.srtp_profiles.contains(&p) => Some(p),
                    _ => return Err(Failure::NotOffered("SRTP profile")),
                }
            }
        };
        self.hs.server_random = *sh.random;
        self.hs.suite = Some(suite);
        Ok(())
    }

    /// The server's ECDHE key, signed by its certificate's key.
    fn server_key_exchange(&mut self, body: &[u8]) -> Result<(), Failure> {
        let ske = ServerKeyExchange::parse(body)
            .map_err(Failure::decode(HandshakeType::SERVER_KEY_EXCHANGE))?;
        if !GROUPS.contains(&ske.group) {
            return Err(Failure::NotOffered("ECDHE group"));
        }
        let key = self
            .hs
            .peer_key
            .as_ref()
            .ok_or(Failure::Unexpected(HandshakeType::SERVER_KEY_EXCHANGE))?;
        let mut signed = Vec::with_capacity(64 + ske.params.len());
        signed.extend_from_slice(&self.hs.client_random);
        signed.extend_from_slice(&self.hs.server_random);
        signed.extend_from_slice(ske.params);
        key.verify(ske.signed.scheme, &signed, ske.signed.signature)?;
        self.hs.peer_public = ske.public.to_vec();
        self.hs.key_share = Some(KeyShare::generate(ske.group)?);
        Ok(())
    }

    /// Flight 5: our certificate, key exchange, certificate verify, ChangeCipherSpec and
    /// Finished.
    fn send_client_flight(&mut self, now: Instant) -> Result<(), Failure> {
        let share = self
            .hs
            .key_share
            .take()
            .ok_or(Failure::Unexpected(HandshakeType::SERVER_HELLO_DONE))?;
        let mut items = Vec::new();
        if self.hs.certificate_requested {
            let mut body = Vec::new();
            write_certificate(&mut body, &[self.config.identity.certificate()]);
            items.push(self.message(HandshakeType::CERTIFICATE, body, 0));
        }
        let mut cke = Vec::new();
        write_client_key_exchange(&mut cke, share.public());
        items.push(self.message(HandshakeType::CLIENT_KEY_EXCHANGE, cke, 0));
        let peer_public = std::mem::take(&mut self.hs.peer_public);
        let premaster = share.agree(&peer_public)?;
        self.derive_keys(&premaster)?;
        if self.hs.certificate_requested {
            let identity = &self.config.identity;
            let sig = identity
                .sign(self.hs.transcript.bytes())
                .map_err(|_| Failure::Sign)?;
            let mut body = Vec::new();
            write_digitally_signed(&mut body, identity.scheme(), &sig);
            // Sanity: what we send parses.
            DigitallySigned::parse(&body)
                .map_err(Failure::decode(HandshakeType::CERTIFICATE_VERIFY))?;
            items.push(self.message(HandshakeType::CERTIFICATE_VERIFY, body, 0));
        }
        items.push(Item::ChangeCipherSpec);
        self.records.start_writing_epoch1();
        let finished = self.our_finished();
        items.push(self.message(HandshakeType::FINISHED, finished, 1));
        self.phase = Phase::ServerFinished;
        self.hs.expect = Some(HandshakeType::FINISHED);
        self.send_flight(now, 5, items, true);
        Ok(())
    }
}
