//! RFC 7983 (as updated by RFC 9443) first-byte demultiplexing.
//!
//! One ICE transport carries STUN, DTLS, SRTP/SRTCP and, through a TURN relay over TCP,
//! ChannelData. The first byte of each packet tells them apart:
//!
//! ```text
//!                  +----------------+
//!                  |        [0..3] -+--> STUN
//!                  |      [16..19] -+--> ZRTP
//!  packet -->      |      [20..63] -+--> DTLS
//!                  |      [64..79] -+--> TURN ChannelData
//!                  |     [80..127] -+--> QUIC (RFC 9443)
//!                  |    [128..191] -+--> RTP/RTCP
//!                  |    [192..255] -+--> QUIC (RFC 9443)
//!                  +----------------+
//! ```
//!
//! RTP and RTCP are told apart by the second byte (RFC 5761 section 4): RTCP packet types
//! 192..=223 never collide with the RTP payload types in use.

/// What kind of packet a first byte announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PacketKind {
    /// A STUN message (first byte 0..=3).
    Stun,
    /// ZRTP (16..=19).
    Zrtp,
    /// A DTLS record (20..=63).
    Dtls,
    /// A TURN ChannelData message (64..=79).
    ChannelData,
    /// RTP (128..=191 with an RTP payload type).
    Rtp,
    /// RTCP (128..=191 with a second byte in 192..=223).
    Rtcp,
    /// QUIC (80..=127 and 192..=255, RFC 9443).
    Quic,
    /// The empty packet, or first byte 4..=15 which no protocol here uses.
    Unknown,
}

/// Classifies a packet by its first byte (and, for RTP/RTCP, its second).
#[must_use]
pub fn classify(packet: &[u8]) -> PacketKind {
    let Some(&first) = packet.first() else {
        return PacketKind::Unknown;
    };
    match first {
        0..=3 => PacketKind::Stun,
        16..=19 => PacketKind::Zrtp,
        20..=63 => PacketKind::Dtls,
        64..=79 => PacketKind::ChannelData,
        80..=127 | 192..=255 => PacketKind::Quic,
        128..=191 => match packet.get(1) {
            Some(192..=223) => PacketKind::Rtcp,
            _ => PacketKind::Rtp,
        },
        4..=15 => PacketKind::Unknown,
    }
}

/// What a first byte means on a TURN transport: between a TURN client and its server, where
/// only STUN and ChannelData flow.
///
/// RFC 8656 section 12 narrowed channel numbers to 0x4000..=0x4FFF (first byte 64..=79, as
/// [`classify`] has it), but RFC 5766 allowed 0x4000..=0x7FFF and RFC 5766 clients (coturn's
/// own among them) still use the upper half. Nothing else shares a TURN transport, so there
/// a first byte of 64..=127 is ChannelData; the channel number itself is checked by whoever
/// parses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TurnKind {
    /// A STUN message (first byte 0..=3).
    Stun,
    /// TURN ChannelData (first byte 64..=127).
    ChannelData,
}

/// Classifies a packet on a TURN transport ([`TurnKind`]); `None` for anything else.
#[must_use]
pub fn classify_turn(packet: &[u8]) -> Option<TurnKind> {
    match packet.first()? {
        0..=3 => Some(TurnKind::Stun),
        64..=127 => Some(TurnKind::ChannelData),
        _ => None,
    }
}

/// Whether `packet` is a STUN message by its first byte ([`PacketKind::Stun`]).
#[must_use]
pub fn is_stun(packet: &[u8]) -> bool {
    classify(packet) == PacketKind::Stun
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_first_byte_has_its_rfc_7983_class() {
        for b in 0..=255u8 {
            let kind = classify(&[b, 0x60]);
            let expect = match b {
                0..=3 => PacketKind::Stun,
                4..=15 => PacketKind::Unknown,
                16..=19 => PacketKind::Zrtp,
                20..=63 => PacketKind::Dtls,
                64..=79 => PacketKind::ChannelData,
                80..=127 => PacketKind::Quic,
                128..=191 => PacketKind::Rtp,
                192..=255 => PacketKind::Quic,
            };
            assert_eq!(kind, expect, "first byte {b}");
        }
    }

    #[test]
    fn turn_transport_takes_rfc_5766_channels() {
        for b in 0..=255u8 {
            let expect = match b {
                0..=3 => Some(TurnKind::Stun),
                64..=127 => Some(TurnKind::ChannelData),
                _ => None,
            };
            assert_eq!(classify_turn(&[b]), expect, "first byte {b}");
            // Where RFC 7983 says ChannelData, a TURN transport says so too.
            if classify(&[b]) == PacketKind::ChannelData {
                assert_eq!(classify_turn(&[b]), Some(TurnKind::ChannelData));
            }
        }
        assert_eq!(classify_turn(&[]), None);
        assert!(is_stun(&[1, 1]) && !is_stun(&[64]) && !is_stun(&[]));
    }

    #[test]
    fn rtcp_by_second_byte() {
        // An RTCP sender report: V=2, PT=200.
        assert_eq!(classify(&[0x80, 200, 0, 6]), PacketKind::Rtcp);
        // A receiver report with one block: PT=201.
        assert_eq!(classify(&[0x81, 201, 0, 7]), PacketKind::Rtcp);
        // RTP with marker bit and payload type 96: second byte 0xE0 = 224, still RTP.
        assert_eq!(classify(&[0x80, 0xE0]), PacketKind::Rtp);
        assert_eq!(classify(&[0x80]), PacketKind::Rtp);
        assert_eq!(classify(&[]), PacketKind::Unknown);
    }
}
