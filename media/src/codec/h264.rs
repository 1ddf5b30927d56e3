//! H.264 (RFC 6184): frames are Annex B byte streams (NAL units behind `00 00 01` or
//! `00 00 00 01` start codes). Packetization mode 0 sends each NAL unit as its own payload
//! (section 5.6); mode 1 (non-interleaved, section 5.7) also aggregates small ones into
//! STAP-A (section 5.7.1) and fragments large ones as FU-A (section 5.8). Depacketized
//! frames come back as Annex B with 4-byte start codes.

use super::{DepacketizeError, Depacketizer, PacketizeError, Packetizer, append};

/// NAL unit types (ITU-T H.264 table 7-1, RFC 6184 table 1).
pub mod nal {
    /// A coded slice of an IDR picture.
    pub const IDR: u8 = 5;
    /// A sequence parameter set.
    pub const SPS: u8 = 7;
    /// A picture parameter set.
    pub const PPS: u8 = 8;
    /// A single-time aggregation packet (RFC 6184 section 5.7.1).
    pub const STAP_A: u8 = 24;
    /// A fragmentation unit (RFC 6184 section 5.8).
    pub const FU_A: u8 = 28;
}

/// The `packetization-mode` fmtp parameter (RFC 6184 section 8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketizationMode {
    /// 0: one NAL unit per payload, no aggregation or fragmentation.
    SingleNal,
    /// 1: single NAL units, STAP-A and FU-A.
    NonInterleaved,
}

/// The Annex B start code we write before each NAL unit.
const START: [u8; 4] = [0, 0, 0, 1];

/// The NAL units of an Annex B byte stream, without their start codes (trailing zero
/// bytes before a start code belong to it, as H.264 Annex B.2 says).
pub fn nal_units(stream: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = stream;
    // Skip to after the first start code.
    let first = find_start(rest);
    rest = match first {
        Some((_, after)) => &rest[after..],
        None => &[],
    };
    std::iter::from_fn(move || {
        loop {
            if rest.is_empty() {
                return None;
            }
            let (unit, next) = match find_start(rest) {
                Some((at, after)) => {
                    let mut end = at;
                    while end > 0 && rest[end - 1] == 0 {
                        end -= 1;
                    }
                    (&rest[..end], &rest[after..])
                }
                None => (rest, &[][..]),
            };
            rest = next;
            if !unit.is_empty() {
                return Some(unit);
            }
        }
    })
}

/// Where the next `00 00 01` begins and where what follows it begins. A byte above 1
/// cannot be any of a start code's three, so the search steps three at a time past one.
fn find_start(s: &[u8]) -> Option<(usize, usize)> {
    let mut i = 2;
    while i < s.len() {
        match s[i] {
            0 => i += 1,
            1 if s[i - 1] == 0 && s[i - 2] == 0 => return Some((i - 2, i + 1)),
            1 => i += 3,
            _ => i += 3,
        }
    }
    None
}

/// Whether `payload` holds the start of a keyframe: an IDR slice or a sequence parameter
/// set, alone, in a STAP-A, or at the start of an FU-A.
#[must_use]
pub fn is_keyframe(payload: &[u8]) -> bool {
    let Some(&h) = payload.first() else {
        return false;
    };
    let key = |t: u8| t == nal::IDR || t == nal::SPS;
    match h & 0x1f {
        nal::STAP_A => stap_units(&payload[1..]).any(|u| u.first().is_some_and(|b| key(b & 0x1f))),
        nal::FU_A => payload
            .get(1)
            .is_some_and(|fu| fu & 0x80 != 0 && key(fu & 0x1f)),
        t => key(t),
    }
}

/// The NAL units of a STAP-A's body (each behind a 16-bit size); stops at a bad size.
fn stap_units(mut body: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let [a, b, rest @ ..] = body else {
            return None;
        };
        let size = usize::from(u16::from_be_bytes([*a, *b]));
        if size == 0 || rest.len() < size {
            body = &[];
            return None;
        }
        let unit = &rest[..size];
        body = &rest[size..];
        Some(unit)
    })
}

/// Cuts H.264 frames (Annex B) into payloads.
#[derive(Debug, Clone)]
pub struct H264Packetizer {
    mode: PacketizationMode,
    buf: Vec<u8>,
}

impl H264Packetizer {
    /// A packetizer for `mode`.
    #[must_use]
    pub fn new(mode: PacketizationMode) -> H264Packetizer {
        H264Packetizer {
            mode,
            buf: Vec::new(),
        }
    }

    /// Sends what `buf` aggregates: one NAL unit alone, several as STAP-A.
    fn flush(&mut self, units: usize, nri: u8, last: bool, emit: &mut dyn FnMut(&[u8], bool)) {
        match units {
            0 => {}
            // One: the unit itself (it sits after the STAP-A header and its size).
            1 => emit(&self.buf[3..], last),
            _ => {
                self.buf[0] = nri | nal::STAP_A;
                emit(&self.buf, last);
            }
        }
        self.buf.clear();
    }
}

impl Packetizer for H264Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload: usize,
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), PacketizeError> {
        if frame.is_empty() {
            return Err(PacketizeError::Empty);
        }
        let count = nal_units(frame).count();
        if count == 0 {
            return Err(PacketizeError::NoNalUnit);
        }
        if self.mode == PacketizationMode::SingleNal {
            if let Some(big) = nal_units(frame).find(|u| u.len() > max_payload) {
                return Err(PacketizeError::TooLarge {
                    size: big.len(),
                    max: max_payload,
                });
            }
            for (i, unit) in nal_units(frame).enumerate() {
                emit(unit, i + 1 == count);
            }
            return Ok(());
        }
        // FU-A needs its two header bytes and one byte of media.
        if max_payload < 3 {
            return Err(PacketizeError::PayloadTooSmall(max_payload));
        }
        self.buf.clear();
        let (mut aggregated, mut nri) = (0usize, 0u8);
        for (i, unit) in nal_units(frame).enumerate() {
            let last_unit = i + 1 == count;
            let header = unit[0];
            // Aggregate while it fits: STAP-A header, then a 16-bit size per unit.
            let fits = unit.len() <= usize::from(u16::MAX)
                && (if aggregated == 0 { 1 } else { self.buf.len() }) + 2 + unit.len()
                    <= max_payload;
            if !fits {
                self.flush(aggregated, nri, false, emit);
                aggregated = 0;
                nri = 0;
            }
            if unit.len() + 1 + 2 <= max_payload && unit.len() <= usize::from(u16::MAX) {
                if aggregated == 0 {
                    self.buf.push(0);
                }
                self.buf
                    .extend_from_slice(&(unit.len() as u16).to_be_bytes());
                self.buf.extend_from_slice(unit);
                aggregated += 1;
                nri = nri.max(header & 0x60);
                if last_unit {
                    self.flush(aggregated, nri, true, emit);
                }
                continue;
            }
            if unit.len() <= max_payload {
                // Fits alone (not with a STAP-A's three bytes): a single NAL unit.
                emit(unit, last_unit);
                continue;
            }
            // FU-A: the NAL header's F and NRI with type 28, then S, E and the type.
            let indicator = (header & 0xe0) | nal::FU_A;
            let body = &unit[1..];
            let room = max_payload - 2;
            let pieces = body.len().div_ceil(room);
            let size = body.len().div_ceil(pieces);
            let mut chunks = body.chunks(size).enumerate().peekable();
            while let Some((k, chunk)) = chunks.next() {
                let end = chunks.peek().is_none();
                let fu = (if k == 0 { 0x80 } else { 0 })
                    | (if end { 0x40 } else { 0 })
                    | (header & 0x1f);
                self.buf.clear();
                self.buf.extend_from_slice(&[indicator, fu]);
                self.buf.extend_from_slice(chunk);
                emit(&self.buf, end && last_unit);
            }
            self.buf.clear();
        }
        Ok(())
    }
}

/// Puts H.264 frames back together as Annex B.
#[derive(Debug, Clone, Default)]
pub struct H264Depacketizer {
    /// Inside an FU-A whose start was seen.
    in_fragment: bool,
}

impl Depacketizer for H264Depacketizer {
    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), DepacketizeError> {
        let &h = payload
            .first()
            .ok_or(DepacketizeError::Truncated("H.264 NAL header"))?;
        if h & 0x80 != 0 {
            return Err(DepacketizeError::Malformed("the forbidden_zero_bit is set"));
        }
        match h & 0x1f {
            0 | 30 | 31 => Err(DepacketizeError::Malformed("NAL unit type 0, 30 or 31")),
            1..=23 => {
                self.in_fragment = false;
                append(frame, &START)?;
                append(frame, payload)
            }
            nal::STAP_A => {
                self.in_fragment = false;
                let mut body = &payload[1..];
                if body.is_empty() {
                    return Err(DepacketizeError::Truncated("STAP-A with no unit"));
                }
                while !body.is_empty() {
                    let [a, b, rest @ ..] = body else {
                        return Err(DepacketizeError::Truncated("STAP-A unit size"));
                    };
                    let size = usize::from(u16::from_be_bytes([*a, *b]));
                    if size == 0 || rest.len() < size {
                        return Err(DepacketizeError::Truncated("STAP-A unit"));
                    }
                    append(frame, &START)?;
                    append(frame, &rest[..size])?;
                    body = &rest[size..];
                }
                Ok(())
            }
            nal::FU_A => {
                let &fu = payload
                    .get(1)
                    .ok_or(DepacketizeError::Truncated("FU-A header"))?;
                let (start, end) = (fu & 0x80 != 0, fu & 0x40 != 0);
                if start && end {
                    return Err(DepacketizeError::Malformed("an FU-A both starts and ends"));
                }
                if start {
                    append(frame, &START)?;
                    append(frame, &[(h & 0xe0) | (fu & 0x1f)])?;
                    self.in_fragment = true;
                } else if !self.in_fragment {
                    return Err(DepacketizeError::MissingStart);
                }
                append(frame, &payload[2..])?;
                if end {
                    self.in_fragment = false;
                }
                Ok(())
            }
            _ => Err(DepacketizeError::Malformed(
                "STAP-B, MTAP or FU-B (interleaved mode, not negotiated)",
            )),
        }
    }

    fn reset(&mut self) {
        self.in_fragment = false;
    }

    fn is_frame_start(&self, payload: &[u8]) -> bool {
        match payload.first().map(|h| h & 0x1f) {
            Some(1..=23 | nal::STAP_A) => true,
            Some(nal::FU_A) => payload.get(1).is_some_and(|fu| fu & 0x80 != 0),
            _ => false,
        }
    }

    fn is_keyframe(&self, payload: &[u8]) -> bool {
        is_keyframe(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(units: &[&[u8]]) -> Vec<u8> {
        let mut f = Vec::new();
        for u in units {
            f.extend_from_slice(&START);
            f.extend_from_slice(u);
        }
        f
    }

    fn payloads(p: &mut H264Packetizer, f: &[u8], max: usize) -> Vec<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        p.packetize(f, max, &mut |pl, last| out.push((pl.to_vec(), last)))
            .unwrap();
        out
    }

    #[test]
    fn annex_b_start_codes_of_three_and_four_bytes_split_units() {
        let s = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 1, 0x65, 4,
        ];
        let units: Vec<&[u8]> = nal_units(&s).collect();
        assert_eq!(units, vec![&[0x67, 1, 2][..], &[0x68, 3], &[0x65, 4]]);
        assert_eq!(nal_units(&[1, 2, 3]).count(), 0, "no start code");
    }

    #[test]
    fn small_units_are_aggregated_into_a_stap_a_and_a_large_one_fragmented() {
        let sps: &[u8] = &[0x67, 0x42, 0xc0, 0x1f];
        let pps: &[u8] = &[0x68, 0xce, 0x3c, 0x80];
        let mut idr = vec![0x65];
        idr.extend((0..3000).map(|i| i as u8));
        let f = frame(&[sps, pps, &idr]);
        let out = payloads(
            &mut H264Packetizer::new(PacketizationMode::NonInterleaved),
            &f,
            1200,
        );
        // STAP-A(SPS, PPS), then FU-A x3.
        assert_eq!(
            out[0].0[0],
            0x60 | nal::STAP_A,
            "the highest NRI of its units"
        );
        assert_eq!(&out[0].0[1..3], &[0, 4]);
        assert!(is_keyframe(&out[0].0));
        assert_eq!(out.len(), 4);
        assert_eq!(out[1].0[..2], [0x60 | nal::FU_A, 0x80 | nal::IDR]);
        assert_eq!(out[3].0[1], 0x40 | nal::IDR);
        assert!(out[3].1 && !out[2].1);
        assert!(out.iter().all(|(p, _)| p.len() <= 1200));
        let mut d = H264Depacketizer::default();
        let mut back = Vec::new();
        for (p, _) in &out {
            d.push(p, &mut back).unwrap();
        }
        assert_eq!(back, f);
    }

    #[test]
    fn mode_0_sends_units_alone_and_refuses_one_too_large() {
        let f = frame(&[&[0x67, 1], &[0x68, 2], &[0x41, 3, 4]]);
        let out = payloads(
            &mut H264Packetizer::new(PacketizationMode::SingleNal),
            &f,
            1200,
        );
        assert_eq!(
            out,
            vec![
                (vec![0x67, 1], false),
                (vec![0x68, 2], false),
                (vec![0x41, 3, 4], true)
            ]
        );
        let big = frame(&[&[0x65; 1300]]);
        assert_eq!(
            H264Packetizer::new(PacketizationMode::SingleNal).packetize(&big, 1200, &mut |_, _| {}),
            Err(PacketizeError::TooLarge {
                size: 1300,
                max: 1200
            })
        );
    }

    #[test]
    fn bad_payloads_say_what_is_wrong() {
        let mut d = H264Depacketizer::default();
        let mut f = Vec::new();
        assert_eq!(
            d.push(&[0x7c, 0x05, 1], &mut f),
            Err(DepacketizeError::MissingStart)
        );
        assert!(matches!(
            d.push(&[0x78, 0, 9, 1], &mut f),
            Err(DepacketizeError::Truncated(_))
        ));
        assert!(matches!(
            d.push(&[0x80], &mut f),
            Err(DepacketizeError::Malformed(_))
        ));
        assert!(matches!(
            d.push(&[0x7d, 0x85], &mut f),
            Err(DepacketizeError::Malformed(_))
        ));
        assert!(matches!(
            d.push(&[0x7c, 0xc5, 1], &mut f),
            Err(DepacketizeError::Malformed(_))
        ));
        assert!(matches!(
            d.push(&[], &mut f),
            Err(DepacketizeError::Truncated(_))
        ));
    }
}
