//! AV1 (the AOM "RTP Payload Format for AV1", v1.0, sections 4 and 5): a temporal unit in
//! the low-overhead bitstream format (OBUs with `obu_has_size_field`, AV1 section 5.3) is
//! sent as OBU elements behind a one-byte aggregation header; elements are cut across
//! payloads where they do not fit. Temporal delimiters, tile lists and padding are not
//! sent (section 5). Depacketized temporal units come back in the low-overhead format,
//! a temporal delimiter first, every OBU with its size field.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+
//! |Z|Y| W |N|-|-|-|   Z: the first element continues the previous payload's last
//! +-+-+-+-+-+-+-+-+   Y: the last element continues in the next payload
//!                     W: elements (0: each has a LEB128 length; 1-3: all but the last)
//!                     N: the first payload of a coded video sequence
//! ```

use super::{DepacketizeError, Depacketizer, PacketizeError, Packetizer, append};

/// OBU types (AV1 section 6.2.2).
pub mod obu {
    /// A sequence header: a coded video sequence starts.
    pub const SEQUENCE_HEADER: u8 = 1;
    /// A temporal delimiter.
    pub const TEMPORAL_DELIMITER: u8 = 2;
    /// A tile list (large scale tile decoding only).
    pub const TILE_LIST: u8 = 8;
    /// Padding.
    pub const PADDING: u8 = 15;
}

/// Reads an unsigned LEB128 value (AV1 section 4.10.5): the value and its length.
#[must_use]
pub fn read_leb128(data: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in data.iter().take(8).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Appends `value` as LEB128.
pub fn write_leb128(mut value: u64, out: &mut Vec<u8>) {
    loop {
        let b = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// The LEB128 length of `value`.
fn leb128_len(value: usize) -> usize {
    let mut n = 1;
    let mut v = value >> 7;
    while v != 0 {
        n += 1;
        v >>= 7;
    }
    n
}

/// One OBU of a low-overhead temporal unit: its type, its header bytes (with the size
/// flag as written) and its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Obu<'a> {
    /// `obu_type`.
    pub kind: u8,
    /// The OBU header (one byte, or two with the extension).
    pub header: &'a [u8],
    /// The OBU's payload.
    pub payload: &'a [u8],
}

/// The OBUs of a temporal unit in the low-overhead format; `None` where it does not parse
/// (the iterator then stops).
pub fn obus(mut tu: &[u8]) -> impl Iterator<Item = Option<Obu<'_>>> {
    std::iter::from_fn(move || {
        if tu.is_empty() {
            return None;
        }
        let parsed = (|| {
            let h = *tu.first()?;
            if h & 0x80 != 0 {
                return None;
            }
            let header_len = if h & 0x04 != 0 { 2 } else { 1 };
            let header = tu.get(..header_len)?;
            let (payload, used) = if h & 0x02 != 0 {
                let (size, n) = read_leb128(tu.get(header_len..)?)?;
                let size = usize::try_from(size).ok()?;
                let start = header_len + n;
                (tu.get(start..start.checked_add(size)?)?, start + size)
            } else {
                (&tu[header_len..], tu.len())
            };
            Some((
                Obu {
                    kind: (h >> 3) & 0x0f,
                    header,
                    payload,
                },
                used,
            ))
        })();
        match parsed {
            Some((o, used)) => {
                tu = &tu[used..];
                Some(Some(o))
            }
            None => {
                tu = &[];
                Some(None)
            }
        }
    })
}

/// Whether `payload` begins a new coded video sequence (its N bit: a keyframe with a
/// sequence header).
#[must_use]
pub fn is_keyframe(payload: &[u8]) -> bool {
    payload.first().is_some_and(|h| h & 0x08 != 0)
}

/// Cuts AV1 temporal units into payloads (W = 0: every element with its length).
#[derive(Debug, Clone, Default)]
pub struct Av1Packetizer {
    buf: Vec<u8>,
}

impl Av1Packetizer {
    /// A packetizer.
    #[must_use]
    pub fn new() -> Av1Packetizer {
        Av1Packetizer::default()
    }
}

impl Packetizer for Av1Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload: usize,
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), PacketizeError> {
        if frame.is_empty() {
            return Err(PacketizeError::Empty);
        }
        // The aggregation header, a one-byte length and one byte of element.
        if max_payload < 3 {
            return Err(PacketizeError::PayloadTooSmall(max_payload));
        }
        let sent = |o: &Obu<'_>| {
            !matches!(
                o.kind,
                obu::TEMPORAL_DELIMITER | obu::TILE_LIST | obu::PADDING
            )
        };
        let mut count = 0;
        for o in obus(frame) {
            let Some(o) = o else {
                return Err(PacketizeError::NoNalUnit);
            };
            count += usize::from(sent(&o));
        }
        if count == 0 {
            return Err(PacketizeError::NoNalUnit);
        }
        let new_sequence = obus(frame)
            .flatten()
            .any(|o| o.kind == obu::SEQUENCE_HEADER);
        // Elements: the OBU header without its size flag, then its payload.
        self.buf.clear();
        self.buf.push(if new_sequence { 0x08 } else { 0 });
        let mut continues = false;
        let mut done = 0;
        for o in obus(frame).flatten().filter(|o| sent(o)) {
            done += 1;
            let mut header = [0u8; 2];
            header[..o.header.len()].copy_from_slice(o.header);
            header[0] &= !0x02;
            let header = &header[..o.header.len()];
            let total = header.len() + o.payload.len();
            let mut at = 0;
            while at < total {
                let room = max_payload - self.buf.len();
                // The largest part whose length and bytes fit.
                let mut part = (total - at).min(room.saturating_sub(1));
                // The length field grows by a byte at 128, 16,384, ...: at most a few steps.
                while part > 0 && leb128_len(part) + part > room {
                    part = (room - leb128_len(part)).min(part - 1);
                }
                if part == 0 {
                    // Full: send, the element goes on in the next payload.
                    emit(&self.buf, false);
                    self.buf.clear();
                    self.buf.push(if continues { 0x80 } else { 0 });
                    continue;
                }
                write_leb128(part as u64, &mut self.buf);
                // The element is the header, then the payload: copy the part of each.
                let end = at + part;
                if at < header.len() {
                    self.buf
                        .extend_from_slice(&header[at..end.min(header.len())]);
                }
                if end > header.len() {
                    let from = at.max(header.len()) - header.len();
                    self.buf
                        .extend_from_slice(&o.payload[from..end - header.len()]);
                }
                at += part;
                continues = at < total;
                let last_of_all = !continues && done == count;
                if continues || self.buf.len() >= max_payload || last_of_all {
                    if continues {
                        self.buf[0] |= 0x40;
                    }
                    emit(&self.buf, last_of_all);
                    self.buf.clear();
                    self.buf.push(if continues { 0x80 } else { 0 });
                }
            }
        }
        Ok(())
    }
}

/// Puts AV1 temporal units back together in the low-overhead format.
#[derive(Debug, Clone, Default)]
pub struct Av1Depacketizer {
    /// An OBU element cut across payloads, gathered until it ends.
    partial: Vec<u8>,
    /// Whether `partial` holds a started element.
    in_element: bool,
    /// Whether the temporal delimiter was written for this temporal unit.
    started: bool,
}

impl Av1Depacketizer {
    /// Writes one whole OBU element as a sized OBU.
    fn write_obu(element: &[u8], frame: &mut Vec<u8>) -> Result<(), DepacketizeError> {
        let &h = element
            .first()
            .ok_or(DepacketizeError::Malformed("an empty OBU element"))?;
        if h & 0x80 != 0 {
            return Err(DepacketizeError::Malformed("the OBU forbidden bit is set"));
        }
        let header_len = if h & 0x04 != 0 { 2 } else { 1 };
        if element.len() < header_len {
            return Err(DepacketizeError::Truncated("OBU extension header"));
        }
        let (header, payload) = element.split_at(header_len);
        // An element that kept its size field: the size must cover the rest exactly.
        let payload = if h & 0x02 != 0 {
            let (size, n) = read_leb128(payload).ok_or(DepacketizeError::Truncated("OBU size"))?;
            let rest = &payload[n..];
            if usize::try_from(size).ok() != Some(rest.len()) {
                return Err(DepacketizeError::Malformed(
                    "an OBU size that is not its element's",
                ));
            }
            rest
        } else {
            payload
        };
        // The header with its size flag set, then the size, then the payload.
        let mut head = [0u8; 2 + 10];
        head[..header_len].copy_from_slice(header);
        head[0] |= 0x02;
        let mut n = header_len;
        let mut v = payload.len() as u64;
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            head[n] = if v == 0 { b } else { b | 0x80 };
            n += 1;
            if v == 0 {
                break;
            }
        }
        append(frame, &head[..n])?;
        append(frame, payload)
    }
}

impl Depacketizer for Av1Depacketizer {
    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), DepacketizeError> {
        let (&agg, mut rest) = payload
            .split_first()
            .ok_or(DepacketizeError::Truncated("AV1 aggregation header"))?;
        let (z, y, w) = (agg & 0x80 != 0, agg & 0x40 != 0, (agg >> 4) & 0x03);
        if z != self.in_element {
            return Err(if z {
                DepacketizeError::MissingStart
            } else {
                DepacketizeError::Malformed("an OBU fragment was not continued")
            });
        }
        if !self.started {
            // A temporal delimiter opens the temporal unit.
            append(frame, &[0x12, 0x00])?;
            self.started = true;
        }
        let mut index = 0u8;
        while !rest.is_empty() {
            index += 1;
            let element = if w != 0 && index == w {
                let e = rest;
                rest = &[];
                e
            } else {
                let (size, n) =
                    read_leb128(rest).ok_or(DepacketizeError::Truncated("OBU element length"))?;
                let size = usize::try_from(size)
                    .map_err(|_| DepacketizeError::Malformed("OBU element length"))?;
                let e = rest
                    .get(n..n.saturating_add(size))
                    .ok_or(DepacketizeError::Truncated("OBU element"))?;
                rest = &rest[n + size..];
                e
            };
            let first = index == 1;
            let last = rest.is_empty();
            let continued = first && z;
            let continues = last && y;
            if continued || continues {
                if self.partial.len() + element.len() > super::MAX_FRAME {
                    return Err(DepacketizeError::FrameTooLarge(super::MAX_FRAME));
                }
                self.partial.extend_from_slice(element);
                if !continues {
                    let r = Self::write_obu(&self.partial, frame);
                    self.partial.clear();
                    r?;
                }
            } else {
                Self::write_obu(element, frame)?;
            }
        }
        self.in_element = y;
        Ok(())
    }

    fn reset(&mut self) {
        self.partial.clear();
        self.in_element = false;
        self.started = false;
    }

    fn is_frame_start(&self, payload: &[u8]) -> bool {
        payload.first().is_some_and(|h| h & 0x80 == 0)
    }

    fn is_keyframe(&self, payload: &[u8]) -> bool {
        is_keyframe(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sized OBU of `kind` with `payload`.
    fn sized(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut o = vec![(kind << 3) | 0x02];
        write_leb128(payload.len() as u64, &mut o);
        o.extend_from_slice(payload);
        o
    }

    #[test]
    fn leb128_round_trips_and_refuses_runaways() {
        for v in [0u64, 1, 127, 128, 300, 16_383, 16_384, 1 << 40] {
            let mut b = Vec::new();
            write_leb128(v, &mut b);
            assert_eq!(read_leb128(&b), Some((v, b.len())));
            assert_eq!(leb128_len(v as usize), b.len());
        }
        assert_eq!(read_leb128(&[0x80; 9]), None);
        assert_eq!(read_leb128(&[0x80]), None);
    }

    #[test]
    fn a_temporal_unit_is_sent_without_its_delimiter_and_comes_back_with_one() {
        let mut tu = sized(obu::TEMPORAL_DELIMITER, &[]);
        tu.extend(sized(obu::SEQUENCE_HEADER, &[0, 0, 0, 0x42]));
        tu.extend(sized(6, &vec![0xab; 3000])); // OBU_FRAME
        let mut out = Vec::new();
        Av1Packetizer::new()
            .packetize(&tu, 1200, &mut |p, last| out.push((p.to_vec(), last)))
            .unwrap();
        assert_eq!(out.len(), 3);
        assert!(is_keyframe(&out[0].0), "N: a sequence header starts it");
        assert_eq!(out[0].0[0] & 0xc0, 0x40, "Y: continues");
        assert_eq!(out[1].0[0] & 0xc0, 0xc0, "Z and Y");
        assert_eq!(out[2].0[0] & 0xc0, 0x80, "Z");
        assert!(out[2].1 && out.iter().all(|(p, _)| p.len() <= 1200));
        // The first element is the sequence header, its size flag cleared.
        assert_eq!(&out[0].0[1..3], &[5, obu::SEQUENCE_HEADER << 3]);
        let mut d = Av1Depacketizer::default();
        let mut back = Vec::new();
        for (p, _) in &out {
            d.push(p, &mut back).unwrap();
        }
        assert_eq!(back, tu);
    }

    #[test]
    fn elements_with_w_and_without_lengths_are_read() {
        // W = 2: one element with its length, the last without.
        let p = [0x20, 2, 0x30, 7, 0x30, 8, 9];
        let mut d = Av1Depacketizer::default();
        let mut f = Vec::new();
        d.push(&p, &mut f).unwrap();
        assert_eq!(f, [0x12, 0, 0x32, 1, 7, 0x32, 2, 8, 9]);
        // A continuation with nothing before it.
        d.reset();
        assert_eq!(
            d.push(&[0x80, 1, 0x30], &mut f),
            Err(DepacketizeError::MissingStart)
        );
        d.reset();
        assert!(matches!(
            d.push(&[0x00, 5, 0x30], &mut f),
            Err(DepacketizeError::Truncated(_))
        ));
    }
}
