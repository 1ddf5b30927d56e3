//! VP8 (RFC 7741): the payload descriptor (section 4.2) and, on a frame's first payload,
//! the VP8 payload header's keyframe bit (section 4.3). We write the descriptor as
//! browsers do: the extension byte with a 15-bit PictureID that counts frames, S set on
//! the frame's first payload, partition index 0 (the whole frame as one partition,
//! section 4.4 allows any split).
//!
//! ```text
//!  0 1 2 3 4 5 6 7
//! +-+-+-+-+-+-+-+-+
//! |X|R|N|S|R| PID | (required)
//! +-+-+-+-+-+-+-+-+
//! |I|L|T|K| RSV   | (X)
//! +-+-+-+-+-+-+-+-+
//! |M| PictureID   | (I; M: 15 bits, one more byte)
//! +-+-+-+-+-+-+-+-+
//! |   TL0PICIDX   | (L)
//! +-+-+-+-+-+-+-+-+
//! |TID|Y| KEYIDX  | (T or K)
//! +-+-+-+-+-+-+-+-+
//! ```

use super::{DepacketizeError, Depacketizer, PacketizeError, Packetizer, append};

/// The fields of a payload descriptor that a receiver uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Descriptor {
    /// N: a non-reference frame (may be dropped).
    pub non_reference: bool,
    /// S: the start of a partition.
    pub start: bool,
    /// The partition index.
    pub partition: u8,
    /// The PictureID, when present (7 or 15 bits).
    pub picture_id: Option<u16>,
    /// TL0PICIDX, when present.
    pub tl0_pic_idx: Option<u8>,
    /// The temporal layer index, when present.
    pub tid: Option<u8>,
    /// The descriptor's length: the VP8 payload follows it.
    pub len: usize,
}

impl Descriptor {
    /// Reads the descriptor at the front of `payload`.
    ///
    /// # Errors
    ///
    /// [`DepacketizeError::Truncated`] when the payload ends inside it.
    pub fn parse(payload: &[u8]) -> Result<Descriptor, DepacketizeError> {
        let short = DepacketizeError::Truncated("VP8 payload descriptor");
        let b0 = *payload.first().ok_or(short)?;
        let mut d = Descriptor {
            non_reference: b0 & 0x20 != 0,
            start: b0 & 0x10 != 0,
            partition: b0 & 0x07,
            len: 1,
            ..Descriptor::default()
        };
        if b0 & 0x80 != 0 {
            let x = *payload.get(1).ok_or(short)?;
            d.len = 2;
            if x & 0x80 != 0 {
                let m = *payload.get(d.len).ok_or(short)?;
                if m & 0x80 != 0 {
                    let low = *payload.get(d.len + 1).ok_or(short)?;
                    d.picture_id = Some(u16::from(m & 0x7f) << 8 | u16::from(low));
                    d.len += 2;
                } else {
                    d.picture_id = Some(u16::from(m));
                    d.len += 1;
                }
            }
            if x & 0x40 != 0 {
                d.tl0_pic_idx = Some(*payload.get(d.len).ok_or(short)?);
                d.len += 1;
            }
            if x & 0x30 != 0 {
                let t = *payload.get(d.len).ok_or(short)?;
                if x & 0x20 != 0 {
                    d.tid = Some(t >> 6);
                }
                d.len += 1;
            }
        }
        if payload.len() <= d.len {
            return Err(DepacketizeError::Truncated(
                "VP8 payload after its descriptor",
            ));
        }
        Ok(d)
    }
}

/// Whether `payload` is the first of a keyframe: the start of partition 0 whose VP8
/// payload header has P (the inverse key frame flag, RFC 7741 section 4.3) clear.
#[must_use]
pub fn is_keyframe(payload: &[u8]) -> bool {
    match Descriptor::parse(payload) {
        Ok(d) if d.start && d.partition == 0 => payload.get(d.len).is_some_and(|h| h & 1 == 0),
        _ => false,
    }
}

/// Cuts VP8 frames into payloads, each with a 4-byte descriptor (X, I with M).
#[derive(Debug, Clone)]
pub struct Vp8Packetizer {
    picture_id: u16,
    buf: Vec<u8>,
}

impl Default for Vp8Packetizer {
    fn default() -> Self {
        Vp8Packetizer::new()
    }
}

impl Vp8Packetizer {
    /// The descriptor's length as we write it.
    pub const DESCRIPTOR: usize = 4;

    /// A packetizer whose first PictureID is 0.
    #[must_use]
    pub fn new() -> Vp8Packetizer {
        Vp8Packetizer::with_picture_id(0)
    }

    /// A packetizer whose first frame gets PictureID `id` (15 bits).
    #[must_use]
    pub fn with_picture_id(id: u16) -> Vp8Packetizer {
        Vp8Packetizer {
            picture_id: id & 0x7fff,
            buf: Vec::new(),
        }
    }
}

impl Packetizer for Vp8Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload: usize,
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), PacketizeError> {
        if frame.is_empty() {
            return Err(PacketizeError::Empty);
        }
        let room = max_payload
            .checked_sub(Self::DESCRIPTOR)
            .filter(|r| *r > 0)
            .ok_or(PacketizeError::PayloadTooSmall(max_payload))?;
        let id = self.picture_id;
        self.picture_id = (self.picture_id + 1) & 0x7fff;
        // Equal-sized chunks, as libwebrtc cuts them, rather than full ones and a runt.
        let count = frame.len().div_ceil(room);
        let size = frame.len().div_ceil(count);
        let mut chunks = frame.chunks(size).peekable();
        let mut first = true;
        while let Some(chunk) = chunks.next() {
            self.buf.clear();
            let s = if first { 0x10 } else { 0 };
            self.buf
                .extend_from_slice(&[0x80 | s, 0x80, 0x80 | (id >> 8) as u8, id as u8]);
            self.buf.extend_from_slice(chunk);
            emit(&self.buf, chunks.peek().is_none());
            first = false;
        }
        Ok(())
    }
}

/// Puts VP8 frames back together.
#[derive(Debug, Clone, Default)]
pub struct Vp8Depacketizer {
    started: bool,
}

impl Depacketizer for Vp8Depacketizer {
    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), DepacketizeError> {
        let d = Descriptor::parse(payload)?;
        if !self.started {
            if !(d.start && d.partition == 0) {
                return Err(DepacketizeError::MissingStart);
            }
            self.started = true;
        }
        append(frame, &payload[d.len..])
    }

    fn reset(&mut self) {
        self.started = false;
    }

    fn is_frame_start(&self, payload: &[u8]) -> bool {
        Descriptor::parse(payload).is_ok_and(|d| d.start && d.partition == 0)
    }

    fn is_keyframe(&self, payload: &[u8]) -> bool {
        is_keyframe(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7741_descriptors_parse() {
        // Section 4.2's fields: X=1, S=1, PID=0; I with M (15-bit PictureID 0x1234),
        // L (TL0PICIDX 5), T (TID 2, Y) and K.
        let p = [0x90, 0xf0, 0x92, 0x34, 5, 0b1010_0011, 0x10];
        let d = Descriptor::parse(&p).unwrap();
        assert_eq!(
            d,
            Descriptor {
                non_reference: false,
                start: true,
                partition: 0,
                picture_id: Some(0x1234),
                tl0_pic_idx: Some(5),
                tid: Some(2),
                len: 6,
            }
        );
        assert!(is_keyframe(&p));
        // The shortest: one byte, N set, a 7-bit PictureID absent.
        let d = Descriptor::parse(&[0x20, 0x01]).unwrap();
        assert!(d.non_reference && !d.start && d.len == 1);
        // P=1: an interframe.
        assert!(!is_keyframe(&[0x10, 0x01]));
        // Cut inside the descriptor, or nothing after it.
        for bad in [
            &[][..],
            &[0x80],
            &[0x80, 0x80],
            &[0x80, 0x80, 0x80],
            &[0x10],
        ] {
            assert!(Descriptor::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_frame_is_cut_into_even_payloads_with_counting_picture_ids() {
        let mut p = Vp8Packetizer::with_picture_id(0x7fff);
        let frame = vec![0u8; 2500];
        let mut sizes = Vec::new();
        p.packetize(&frame, 1200, &mut |pl, last| {
            let d = Descriptor::parse(pl).unwrap();
            sizes.push((pl.len(), d.start, d.picture_id, last));
        })
        .unwrap();
        assert_eq!(
            sizes,
            vec![
                (838, true, Some(0x7fff), false),
                (838, false, Some(0x7fff), false),
                (836, false, Some(0x7fff), true)
            ]
        );
        let mut ids = Vec::new();
        p.packetize(&[1], 1200, &mut |pl, _| {
            ids.push(Descriptor::parse(pl).unwrap().picture_id)
        })
        .unwrap();
        assert_eq!(ids, vec![Some(0)], "15 bits wrap");
        assert_eq!(
            p.packetize(&[1], 4, &mut |_, _| {}),
            Err(PacketizeError::PayloadTooSmall(4))
        );
        assert_eq!(
            p.packetize(&[], 1200, &mut |_, _| {}),
            Err(PacketizeError::Empty)
        );
    }

    #[test]
    fn a_continuation_without_its_start_is_refused() {
        let mut d = Vp8Depacketizer::default();
        let mut frame = Vec::new();
        assert_eq!(
            d.push(&[0x00, 1, 2], &mut frame),
            Err(DepacketizeError::MissingStart)
        );
        assert!(d.push(&[0x10, 1, 2], &mut frame).is_ok());
        assert!(d.push(&[0x00, 3], &mut frame).is_ok());
        assert_eq!(frame, [1, 2, 3]);
    }
}
