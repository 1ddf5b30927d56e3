//! The server's side of the handshake (RFC 6347 section 4.2.4, flights 2, 4 and 6).

use std::time::Instant;

use super::client::SCHEMES;
use super::flight::Item;
use super::{Endpoint, Failure, Phase};
use crate::certificate::{ECDSA_SIGN, RSA_SIGN, write_certificate, write_certificate_request};
use crate::client_hello::ClientHello;
use crate::codes::{CipherSuite, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion};
use crate::extension::{
    write_ec_point_formats, write_extended_master_secret, write_renegotiation_info, write_use_srtp,
};
use crate::hello_verify::write_hello_verify_request;
use crate::key_exchange::{
    DigitallySigned, parse_client_key_exchange, write_digitally_signed, write_ecdhe_params,
};
use crate::kx::{GROUPS, KeyShare};
use crate::reassembly::Message;
use crate::server_hello::write_server_hello;
use crate::suite::{SUITES, SuiteParams};
use crate::verify::KeyKind;

/// What the server picked from a ClientHello.
struct Choice {
    suite: SuiteParams,
    group: NamedGroup,
    srtp: Option<crate::codes::SrtpProfileId>,
    point_formats: bool,
}

impl Endpoint {
    /// A message of the client's.
    pub(super) fn server_message(&mut self, now: Instant, m: &Message) -> Result<(), Failure> {
        let t = m.msg_type;
        match (self.phase, t, self.hs.expect) {
            (Phase::Hello, HandshakeType::CLIENT_HELLO, _) => self.client_hello(now, m)?,
            (Phase::ClientFlight, HandshakeType::CERTIFICATE, Some(HandshakeType::CERTIFICATE)) => {
                self.flight.stop_timer();
                self.hs.transcript.add(t, m.message_seq, &m.body);
                self.peer_certificate(&m.body)?;
                self.hs.expect = Some(HandshakeType::CLIENT_KEY_EXCHANGE);
            }
            (
                Phase::ClientFlight,
                HandshakeType::CLIENT_KEY_EXCHANGE,
                Some(HandshakeType::CLIENT_KEY_EXCHANGE),
            ) => {
                let public = parse_client_key_exchange(&m.body).map_err(Failure::decode(t))?;
                let share = self.hs.key_share.take().ok_or(Failure::Unexpected(t))?;
                let premaster = share.agree(public)?;
                self.hs.transcript.add(t, m.message_seq, &m.body);
                self.derive_keys(&premaster)?;
                self.hs.expect = Some(HandshakeType::CERTIFICATE_VERIFY);
            }
            (
                Phase::ClientFlight,
                HandshakeType::CERTIFICATE_VERIFY,
                Some(HandshakeType::CERTIFICATE_VERIFY),
            ) => {
                let signed = DigitallySigned::parse(&m.body).map_err(Failure::decode(t))?;
                let key = self
                    .hs
                    .peer_key
                    .as_ref()
                    .ok_or(Failure::NoPeerCertificate)?;
                key.verify(signed.scheme, self.hs.transcript.bytes(), signed.signature)?;
                self.hs.transcript.add(t, m.message_seq, &m.body);
                self.hs.expect = Some(HandshakeType::FINISHED);
            }
            (Phase::ClientFlight, HandshakeType::FINISHED, Some(HandshakeType::FINISHED)) => {
                if self.records.read_epoch() != 1 {
                    return Err(Failure::Unexpected(t));
                }
                self.check_peer_finished(&m.body)?;
                self.hs.transcript.add(t, m.message_seq, &m.body);
                self.records.start_writing_epoch1();
                let finished = self.our_finished();
                let item = self.message(HandshakeType::FINISHED, finished, 1);
                // Flight 6 is not timed: it goes again when the client repeats flight 5.
                self.send_flight(now, 6, vec![Item::ChangeCipherSpec, item], false);
                self.connected();
            }
            (Phase::ClientFlight, HandshakeType::CERTIFICATE, _)
            | (Phase::ClientFlight, HandshakeType::CLIENT_KEY_EXCHANGE, _)
                if self.hs.expect == Some(HandshakeType::CERTIFICATE) =>
            {
                // WebRTC requires the client's certificate: a ClientKeyExchange first means
                // the client sent none.
                return Err(Failure::NoPeerCertificate);
            }
            _ => return Err(Failure::Unexpected(t)),
        }
        Ok(())
    }

    /// Flight 1 or 3 arrived: answer with a cookie (flight 2) or the server's flight (4).
    fn client_hello(&mut self, now: Instant, m: &Message) -> Result<(), Failure> {
        let ch = ClientHello::parse(&m.body).map_err(Failure::decode(m.msg_type))?;
        let peer = self.peer.ok_or(Failure::Unexpected(m.msg_type))?;
        if self.config.cookie && !self.cookies.verify(peer, &ch) {
            let cookie = self.cookies.cookie(peer, &ch);
            let mut body = Vec::new();
            write_hello_verify_request(&mut body, &cookie);
            // Not part of the transcript, and not timed: a repeated ClientHello gets it
            // again (RFC 6347 section 4.2.1).
            let item = Item::Handshake {
                msg_type: HandshakeType::HELLO_VERIFY_REQUEST,
                message_seq: m.message_seq,
                body,
                epoch: 0,
            };
            self.send_flight(now, 2, vec![item], false);
            return Ok(());
        }
        let choice = self.choose(&ch)?;
        self.hs.client_random = *ch.random;
        self.hs.server_random = self.rng.bytes();
        self.hs.suite = Some(choice.suite);
        self.hs.srtp = choice.srtp;
        self.hs.transcript.clear();
        self.hs.transcript.add(m.msg_type, m.message_seq, &m.body);
        // Our messages mirror the client's numbering: ServerHello answers ClientHello's.
        self.hs.send_seq = m.message_seq;
        let share = KeyShare::generate(choice.group)?;

        let mut ext = Vec::new();
        write_renegotiation_info(&mut ext);
        write_extended_master_secret(&mut ext);
        if let Some(p) = choice.srtp {
            write_use_srtp(&mut ext, &[p]);
        }
        if choice.point_formats {
            write_ec_point_formats(&mut ext);
        }
        let mut sh = Vec::new();
        write_server_hello(
            &mut sh,
            &self.hs.server_random,
            &[],
            choice.suite.suite,
            &ext,
        );
        let mut cert = Vec::new();
        write_certificate(&mut cert, &[self.config.identity.certificate()]);
        let mut params = Vec::new();
        write_ecdhe_params(&mut params, choice.group, share.public());
        let mut signed = Vec::with_capacity(64 + params.len());
        signed.extend_from_slice(&self.hs.client_random);
        signed.extend_from_slice(&self.hs.server_random);
        signed.extend_from_slice(&params);
        let identity = &self.config.identity;
        let sig = identity.sign(&signed).map_err(|_| Failure::Sign)?;
        let mut ske = params;
        write_digitally_signed(&mut ske, identity.scheme(), &sig);
        let mut cr = Vec::new();
        let schemes: Vec<u16> = SCHEMES.iter().map(|s| s.0).collect();
        write_certificate_request(&mut cr, &[ECDSA_SIGN, RSA_SIGN], &schemes);

        let items = vec![
            self.message(HandshakeType::SERVER_HELLO, sh, 0),
            self.message(HandshakeType::CERTIFICATE, cert, 0),
            self.message(HandshakeType::SERVER_KEY_EXCHANGE, ske, 0),
            self.message(HandshakeType::CERTIFICATE_REQUEST, cr, 0),
            self.message(HandshakeType::SERVER_HELLO_DONE, Vec::new(), 0),
        ];
        self.hs.key_share = Some(share);
        self.phase = Phase::ClientFlight;
        self.hs.expect = Some(HandshakeType::CERTIFICATE);
        self.send_flight(now, 4, items, true);
        Ok(())
    }

    /// The suite, group and SRTP profile for `ch`, each by our preference among what it
    /// offers; DTLS 1.2 (a 1.3 offer in supported_versions is ignored), the extended master
    /// secret and null compression required.
    fn choose(&self, ch: &ClientHello<'_>) -> Result<Choice, Failure> {
        // DTLS versions count down: 1.2 is 0xfefd, 1.0 0xfeff.
        if ch.version.0 > ProtocolVersion::DTLS1_2.0 {
            return Err(Failure::Version(ch.version));
        }
        if !ch.offers_null_compression() {
            return Err(Failure::NotOffered("null compression"));
        }
        let t = HandshakeType::CLIENT_HELLO;
        if !ch
            .extensions
            .extended_master_secret()
            .map_err(Failure::decode(t))?
        {
            return Err(Failure::NoExtendedMasterSecret);
        }
        let suite = SUITES
            .iter()
            .filter(|s| ch.cipher_suites.contains(s.0))
            .filter_map(|s| SuiteParams::of(*s))
            .find(|s| s.fits(KeyKind::EcdsaP256))
            .ok_or_else(|| Failure::NoCommonSuite {
                offered: ch.suites().collect::<Vec<CipherSuite>>(),
            })?;
        let group = match ch
            .extensions
            .supported_groups()
            .map_err(Failure::decode(t))?
        {
            None => NamedGroup::SECP256R1,
            Some(offered) => GROUPS
                .into_iter()
                .find(|g| offered.contains(g.0))
                .ok_or_else(|| Failure::NoCommonGroup {
                    offered: offered.iter().map(NamedGroup).collect(),
                })?,
        };
        let srtp = if self.config.srtp_profiles.is_empty() {
            None
        } else {
            let offered = ch.extensions.use_srtp().map_err(Failure::decode(t))?;
            let offered_ids: Vec<_> = offered
                .map(|u| u.profile_ids().collect())
                .unwrap_or_default();
            let p = self
                .config
                .srtp_profiles
                .iter()
                .find(|p| offered_ids.contains(p))
                .ok_or(Failure::NoCommonSrtpProfile {
                    offered: offered_ids.clone(),
                })?;
            Some(*p)
        };
        Ok(Choice {
            suite,
            group,
            srtp,
            point_formats: ch.extensions.has(ExtensionType::EC_POINT_FORMATS),
        })
    }
}
