//! The few RTP and RTCP header fields SRTP reads (RFC 3550 s5.1, s5.3.1, s6.4.1): where
//! the RTP payload starts, the sequence number and the SSRC. Nothing else is parsed.

use crate::error::Error;

/// The fixed RTP header length.
const RTP_FIXED: usize = 12;
/// The RTCP bytes SRTCP leaves in the clear: the first header word and the sender SSRC.
pub(crate) const RTCP_CLEAR: usize = 8;

/// What SRTP needs from an RTP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RtpHeader {
    /// Header length including CSRCs and the header extension: where encryption starts.
    pub(crate) len: usize,
    pub(crate) seq: u16,
    pub(crate) ssrc: u32,
}

fn version(first: u8) -> Result<(), Error> {
    if first >> 6 == 2 {
        Ok(())
    } else {
        Err(Error::BadVersion(first))
    }
}

/// Reads the RTP header at the start of `packet`, whose first `len` bytes must hold the
/// whole header (the caller passes the length without any tag).
pub(crate) fn rtp(packet: &[u8]) -> Result<RtpHeader, Error> {
    let short = |need: usize| Error::TooShort {
        need,
        have: packet.len(),
    };
    if packet.len() < RTP_FIXED {
        return Err(short(RTP_FIXED));
    }
    version(packet[0])?;
    let mut len = RTP_FIXED + 4 * usize::from(packet[0] & 0x0f);
    if packet[0] & 0x10 != 0 {
        // The extension header: 16-bit profile-defined bits, 16-bit length in words.
        if packet.len() < len + 4 {
            return Err(short(len + 4));
        }
        let words = u16::from_be_bytes([packet[len + 2], packet[len + 3]]);
        len += 4 + 4 * usize::from(words);
    }
    if packet.len() < len {
        return Err(short(len));
    }
    Ok(RtpHeader {
        len,
        seq: u16::from_be_bytes([packet[2], packet[3]]),
        ssrc: u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]),
    })
}

/// Reads the sender SSRC of the RTCP compound packet at the start of `packet`.
pub(crate) fn rtcp_ssrc(packet: &[u8]) -> Result<u32, Error> {
    if packet.len() < RTCP_CLEAR {
        return Err(Error::TooShort {
            need: RTCP_CLEAR,
            have: packet.len(),
        });
    }
    version(packet[0])?;
    Ok(u32::from_be_bytes([
        packet[4], packet[5], packet[6], packet[7],
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_length_counts_csrcs_and_the_extension() {
        let mut p = vec![0x80, 96, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef];
        assert_eq!(
            rtp(&p),
            Ok(RtpHeader {
                len: 12,
                seq: 0x1234,
                ssrc: 0xdeadbeef
            })
        );
        // Two CSRCs and a one-word extension.
        p[0] = 0x92;
        p.extend_from_slice(&[0; 8]);
        assert_eq!(rtp(&p), Err(Error::TooShort { need: 24, have: 20 }));
        p.extend_from_slice(&[0xbe, 0xde, 0, 1]);
        assert_eq!(rtp(&p), Err(Error::TooShort { need: 28, have: 24 }));
        p.extend_from_slice(&[1, 2, 3, 4]);
        assert_eq!(rtp(&p).map(|h| h.len), Ok(28));
        assert_eq!(rtp(&[0x40; 12]), Err(Error::BadVersion(0x40)));
        assert_eq!(rtcp_ssrc(&[0x80, 200, 0, 1, 1, 2, 3, 4]), Ok(0x01020304));
        assert_eq!(
            rtcp_ssrc(&[0x80, 200]),
            Err(Error::TooShort { need: 8, have: 2 })
        );
    }
}
