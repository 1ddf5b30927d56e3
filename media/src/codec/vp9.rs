//! VP9 (RFC 9628): the payload descriptor (section 4.2) with its layer indices (SVC:
//! temporal and spatial layer, switching points, inter-layer dependency), flexible-mode
//! reference differences and the scalability structure (section 4.2.1), and the
//! keyframe test. We write the descriptor as libwebrtc does for one layer: a 15-bit
//! PictureID counting pictures, B on a frame's first payload and E on its last, P when
//! the frame is not a keyframe (read from its uncompressed header, VP9 bitstream section
//! 6.2), and on a keyframe's first payload the scalability structure with the
//! resolution when it is known.
//!
//! ```text
//!       0 1 2 3 4 5 6 7
//!      +-+-+-+-+-+-+-+-+
//!      |I|P|L|F|B|E|V|Z| (required)
//!      +-+-+-+-+-+-+-+-+
//! I:   |M| PICTURE ID  |
//! M:   | EXTENDED PID  |
//! L:   |  TID  |U| SID |D|
//!      |   TL0PICIDX   | (non-flexible mode)
//! P,F: | P_DIFF      |N| (up to 3 times)
//! V:   | SS            |
//! ```

use super::{DepacketizeError, Depacketizer, PacketizeError, Packetizer, append};

/// A spatial and temporal layer position (the L byte, section 4.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Layer {
    /// TID: the temporal layer.
    pub temporal: u8,
    /// U: a switching-up point.
    pub switching_up: bool,
    /// SID: the spatial layer.
    pub spatial: u8,
    /// D: depends on the spatial layer below in the same picture.
    pub inter_layer_dependency: bool,
    /// TL0PICIDX (non-flexible mode).
    pub tl0_pic_idx: Option<u8>,
}

/// The scalability structure (section 4.2.1): the spatial layers' resolutions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scalability {
    /// N_S + 1: how many spatial layers.
    pub spatial_layers: u8,
    /// Each layer's width and height, when Y was set (at most 8).
    pub resolutions: [Option<(u16, u16)>; 8],
    /// N_G: pictures in the group of pictures description, when G was set.
    pub pictures_in_group: Option<u8>,
}

/// A payload descriptor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Descriptor {
    /// P: inter-picture predicted (not a keyframe of its layer).
    pub inter_picture: bool,
    /// F: flexible mode.
    pub flexible: bool,
    /// B: the first payload of a layer frame.
    pub begins_frame: bool,
    /// E: the last payload of a layer frame.
    pub ends_frame: bool,
    /// Z: not used for inter-layer prediction.
    pub not_reference_for_upper: bool,
    /// The PictureID (7 or 15 bits).
    pub picture_id: Option<u16>,
    /// The layer, when L was set.
    pub layer: Option<Layer>,
    /// Flexible mode's reference picture differences (P_DIFF), up to three.
    pub reference_diffs: [Option<u8>; 3],
    /// The scalability structure, when V was set.
    pub scalability: Option<Scalability>,
    /// The descriptor's length: the VP9 frame data follows it.
    pub len: usize,
}

/// Reads bytes in order, refusing to run past the end.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self, what: &'static str) -> Result<u8, DepacketizeError> {
        let b = *self
            .data
            .get(self.at)
            .ok_or(DepacketizeError::Truncated(what))?;
        self.at += 1;
        Ok(b)
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, DepacketizeError> {
        Ok(u16::from(self.byte(what)?) << 8 | u16::from(self.byte(what)?))
    }
}

impl Descriptor {
    /// Reads the descriptor at the front of `payload`.
    ///
    /// # Errors
    ///
    /// [`DepacketizeError::Truncated`] when the payload ends inside it or has no frame
    /// data after it; [`DepacketizeError::Malformed`] for flexible mode with P but no
    /// reference.
    pub fn parse(payload: &[u8]) -> Result<Descriptor, DepacketizeError> {
        let mut r = Reader {
            data: payload,
            at: 0,
        };
        let b0 = r.byte("VP9 payload descriptor")?;
        let mut d = Descriptor {
            inter_picture: b0 & 0x40 != 0,
            flexible: b0 & 0x10 != 0,
            begins_frame: b0 & 0x08 != 0,
            ends_frame: b0 & 0x04 != 0,
            not_reference_for_upper: b0 & 0x01 != 0,
            ..Descriptor::default()
        };
        if b0 & 0x80 != 0 {
            let m = r.byte("VP9 PictureID")?;
            d.picture_id = Some(if m & 0x80 != 0 {
                u16::from(m & 0x7f) << 8 | u16::from(r.byte("VP9 extended PictureID")?)
            } else {
                u16::from(m)
            });
        }
        if b0 & 0x20 != 0 {
            let l = r.byte("VP9 layer indices")?;
            let mut layer = Layer {
                temporal: l >> 5,
                switching_up: l & 0x10 != 0,
                spatial: (l >> 1) & 0x07,
                inter_layer_dependency: l & 0x01 != 0,
                tl0_pic_idx: None,
            };
            if !d.flexible {
                layer.tl0_pic_idx = Some(r.byte("VP9 TL0PICIDX")?);
            }
            d.layer = Some(layer);
        }
        if d.flexible && d.inter_picture {
            for slot in 0..3 {
                let p = r.byte("VP9 P_DIFF")?;
                d.reference_diffs[slot] = Some(p >> 1);
                if p & 1 == 0 {
                    break;
                }
                if slot == 2 {
                    return Err(DepacketizeError::Malformed("more than three VP9 P_DIFFs"));
                }
            }
        }
        if b0 & 0x02 != 0 {
            d.scalability = Some(parse_ss(&mut r)?);
        }
        d.len = r.at;
        if payload.len() <= d.len {
            return Err(DepacketizeError::Truncated(
                "VP9 frame data after the descriptor",
            ));
        }
        Ok(d)
    }

    /// Whether this payload begins a keyframe: B set, not inter-picture predicted, and
    /// the lowest spatial layer (or no layer information).
    #[must_use]
    pub fn is_keyframe(&self) -> bool {
        self.begins_frame && !self.inter_picture && self.layer.is_none_or(|l| l.spatial == 0)
    }
}

/// The scalability structure (section 4.2.1).
fn parse_ss(r: &mut Reader<'_>) -> Result<Scalability, DepacketizeError> {
    let b = r.byte("VP9 scalability structure")?;
    let mut ss = Scalability {
        spatial_layers: (b >> 5) + 1,
        ..Scalability::default()
    };
    if b & 0x10 != 0 {
        for i in 0..usize::from(ss.spatial_layers) {
            let w = r.u16("VP9 SS width")?;
            let h = r.u16("VP9 SS height")?;
            ss.resolutions[i] = Some((w, h));
        }
    }
    if b & 0x08 != 0 {
        let n = r.byte("VP9 SS N_G")?;
        ss.pictures_in_group = Some(n);
        for _ in 0..n {
            let g = r.byte("VP9 SS picture")?;
            for _ in 0..((g >> 2) & 0x03) {
                r.byte("VP9 SS P_DIFF")?;
            }
        }
    }
    Ok(ss)
}

/// Whether a VP9 frame is a keyframe, from its uncompressed header (VP9 bitstream
/// section 6.2): frame_marker, profile, show_existing_frame, frame_type 0.
#[must_use]
pub fn frame_is_keyframe(frame: &[u8]) -> bool {
    let Some(&b) = frame.first() else {
        return false;
    };
    if b >> 6 != 0b10 {
        return false;
    }
    let profile = ((b >> 5) & 1) | (((b >> 4) & 1) << 1);
    // After the profile: (profile 3 only) a reserved zero bit, then show_existing_frame,
    // then frame_type.
    let next = if profile == 3 { 2 } else { 3 };
    let show_existing = (b >> next) & 1;
    let frame_type = (b >> (next - 1)) & 1;
    show_existing == 0 && frame_type == 0
}

/// Whether `payload` begins a keyframe (as [`Descriptor::is_keyframe`] says of its
/// descriptor, read without the parts that do not matter to it).
#[must_use]
pub fn is_keyframe(payload: &[u8]) -> bool {
    Framing::read(payload).is_ok_and(|f| f.keyframe)
}

/// What depacketizing needs of a payload descriptor: where the frame data starts, B and E,
/// and whether it begins a keyframe. Read in one pass that steps over the PictureID,
/// TL0PICIDX, P_DIFFs and the scalability structure instead of keeping them (a
/// [`Descriptor`] is about 100 bytes to fill and move per payload); it refuses exactly
/// the payloads [`Descriptor::parse`] refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Framing {
    /// B.
    begins_frame: bool,
    /// E.
    ends_frame: bool,
    /// [`Descriptor::is_keyframe`].
    keyframe: bool,
    /// The descriptor's length.
    len: usize,
}

impl Framing {
    fn read(payload: &[u8]) -> Result<Framing, DepacketizeError> {
        let byte = |at: usize, what| {
            payload
                .get(at)
                .copied()
                .ok_or(DepacketizeError::Truncated(what))
        };
        let b0 = byte(0, "VP9 payload descriptor")?;
        let mut at = 1;
        if b0 & 0x80 != 0 {
            // I: a 7-bit PictureID, or 15 bits when M is set.
            at += 1 + usize::from(byte(at, "VP9 PictureID")? >> 7);
        }
        let mut lowest_spatial = true;
        if b0 & 0x20 != 0 {
            // L: the layer indices, then TL0PICIDX in non-flexible mode.
            lowest_spatial = byte(at, "VP9 layer indices")? & 0x0e == 0;
            at += if b0 & 0x10 != 0 { 1 } else { 2 };
        }
        if b0 & 0x50 == 0x50 {
            // F and P: up to three P_DIFFs, N set on all but the last.
            let mut n = 0;
            while byte(at + n, "VP9 P_DIFF")? & 1 != 0 {
                n += 1;
                if n == 3 {
                    return Err(DepacketizeError::Malformed("more than three VP9 P_DIFFs"));
                }
            }
            at += n + 1;
        }
        if b0 & 0x02 != 0 {
            at = skip_ss(payload, at)?;
        }
        if payload.len() <= at {
            return Err(DepacketizeError::Truncated(
                "VP9 frame data after the descriptor",
            ));
        }
        let begins_frame = b0 & 0x08 != 0;
        Ok(Framing {
            begins_frame,
            ends_frame: b0 & 0x04 != 0,
            keyframe: begins_frame && b0 & 0x40 == 0 && lowest_spatial,
            len: at,
        })
    }
}

/// Steps over the scalability structure at `at` (section 4.2.1): where it ends.
fn skip_ss(payload: &[u8], mut at: usize) -> Result<usize, DepacketizeError> {
    let byte = |at: usize, what| {
        payload
            .get(at)
            .copied()
            .ok_or(DepacketizeError::Truncated(what))
    };
    let b = byte(at, "VP9 scalability structure")?;
    at += 1;
    if b & 0x10 != 0 {
        // Y: a width and a height (16 bits each) per spatial layer.
        at += 4 * (usize::from(b >> 5) + 1);
    }
    if b & 0x08 != 0 {
        // G: N_G pictures, each a byte and R P_DIFFs.
        let n = byte(at, "VP9 SS N_G")?;
        at += 1;
        for _ in 0..n {
            let g = byte(at, "VP9 SS picture")?;
            at += 1 + usize::from((g >> 2) & 0x03);
        }
    }
    Ok(at)
}

/// Cuts VP9 frames (one spatial layer) into payloads.
#[derive(Debug, Clone, Default)]
pub struct Vp9Packetizer {
    picture_id: u16,
    resolution: Option<(u16, u16)>,
    buf: Vec<u8>,
}

impl Vp9Packetizer {
    /// A packetizer whose first PictureID is 0.
    #[must_use]
    pub fn new() -> Vp9Packetizer {
        Vp9Packetizer::default()
    }

    /// Keyframes carry a scalability structure with this resolution.
    #[must_use]
    pub fn with_resolution(mut self, width: u16, height: u16) -> Vp9Packetizer {
        self.resolution = Some((width, height));
        self
    }
}

impl Packetizer for Vp9Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        max_payload: usize,
        emit: &mut dyn FnMut(&[u8], bool),
    ) -> Result<(), PacketizeError> {
        if frame.is_empty() {
            return Err(PacketizeError::Empty);
        }
        let key = frame_is_keyframe(frame);
        // The first payload's descriptor: 3 bytes, and the SS on a keyframe (1, or 5
        // with one resolution).
        let ss = match (key, self.resolution) {
            (false, _) => 0,
            (true, None) => 1,
            (true, Some(_)) => 5,
        };
        let room_first = max_payload.checked_sub(3 + ss).filter(|r| *r > 0);
        let room = max_payload.checked_sub(3).filter(|r| *r > 0);
        let (Some(room_first), Some(room)) = (room_first, room) else {
            return Err(PacketizeError::PayloadTooSmall(max_payload));
        };
        let id = self.picture_id;
        self.picture_id = (self.picture_id + 1) & 0x7fff;
        let mut rest = frame;
        let mut first = true;
        while !rest.is_empty() {
            let take = rest.len().min(if first { room_first } else { room });
            let (chunk, after) = rest.split_at(take);
            rest = after;
            let last = rest.is_empty();
            let mut b0 = 0x80;
            if !key {
                b0 |= 0x40;
            }
            if first {
                b0 |= 0x08;
            }
            if last {
                b0 |= 0x04;
            }
            if first && key {
                b0 |= 0x02;
            }
            self.buf.clear();
            self.buf
                .extend_from_slice(&[b0, 0x80 | (id >> 8) as u8, id as u8]);
            if first && key {
                match self.resolution {
                    // N_S = 0 (one layer), Y = 1, G = 0.
                    Some((w, h)) => {
                        self.buf.push(0x10);
                        self.buf.extend_from_slice(&w.to_be_bytes());
                        self.buf.extend_from_slice(&h.to_be_bytes());
                    }
                    None => self.buf.push(0x00),
                }
            }
            self.buf.extend_from_slice(chunk);
            emit(&self.buf, last);
            first = false;
        }
        Ok(())
    }
}

/// Puts VP9 frames back together. It reads of each descriptor only what that needs; a
/// caller that decides on layers reads the payload's whole descriptor with
/// [`Descriptor::parse`].
#[derive(Debug, Clone, Default)]
pub struct Vp9Depacketizer {
    in_frame: bool,
}

impl Depacketizer for Vp9Depacketizer {
    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), DepacketizeError> {
        let f = Framing::read(payload)?;
        if f.begins_frame {
            self.in_frame = true;
        } else if !self.in_frame {
            return Err(DepacketizeError::MissingStart);
        }
        append(frame, payload.get(f.len..).unwrap_or_default())?;
        if f.ends_frame {
            self.in_frame = false;
        }
        Ok(())
    }

    fn reset(&mut self) {
        self.in_frame = false;
    }

    fn is_frame_start(&self, payload: &[u8]) -> bool {
        Framing::read(payload).is_ok_and(|f| f.begins_frame)
    }

    fn is_keyframe(&self, payload: &[u8]) -> bool {
        is_keyframe(payload)
    }
}

#[cfg(test)]
mod tests {
    /// A non-flexible keyframe descriptor with TL0PICIDX and a scalability structure of
    /// two layers with resolutions and a group of one picture with one reference.
    const WITH_SS: [u8; 17] = [
        0xaa,
        0x05,
        0x00,
        0x09,
        0b0011_1000,
        0x01,
        0x40,
        0x00,
        0xb4,
        0x02,
        0x80,
        0x01,
        0x68,
        0x01,
        0x04,
        0x01,
        0xbb,
    ];

    use super::*;

    #[test]
    fn rfc_9628_descriptors_parse_with_layers_references_and_scalability() {
        // Flexible mode, P, L (TID 2, U, SID 1, D), two P_DIFFs (1, then 3), B.
        let p = [0xf8, 0x81, 0x02, 0b0101_0011, 0x03, 0x06, 0xaa];
        let d = Descriptor::parse(&p).unwrap();
        assert_eq!(d.picture_id, Some(0x0102));
        assert_eq!(
            d.layer,
            Some(Layer {
                temporal: 2,
                switching_up: true,
                spatial: 1,
                inter_layer_dependency: true,
                tl0_pic_idx: None
            })
        );
        assert_eq!(d.reference_diffs, [Some(1), Some(3), None]);
        assert!(d.begins_frame && d.inter_picture && !d.is_keyframe());
        assert_eq!(d.len, 6);
        // Non-flexible keyframe with TL0PICIDX and an SS of two layers with resolutions
        // and a group of one picture with one reference.
        let p = WITH_SS;
        let d = Descriptor::parse(&p).unwrap();
        let ss = d.scalability.unwrap();
        assert_eq!(ss.spatial_layers, 2);
        assert_eq!(ss.resolutions[..2], [Some((320, 180)), Some((640, 360))]);
        assert_eq!(ss.pictures_in_group, Some(1));
        assert_eq!(d.layer.unwrap().tl0_pic_idx, Some(9));
        assert!(d.is_keyframe());
        assert_eq!(d.len, 16);
        for cut in 1..p.len() {
            assert!(Descriptor::parse(&p[..cut]).is_err(), "cut at {cut}");
        }
        // Four P_DIFFs.
        assert!(matches!(
            Descriptor::parse(&[0x50, 0x03, 0x03, 0x03, 0x03, 1]),
            Err(DepacketizeError::Malformed(_))
        ));
    }

    /// What [`Descriptor::parse`] says of `payload`, in [`Framing`]'s terms.
    fn oracle(payload: &[u8]) -> Result<Framing, DepacketizeError> {
        Descriptor::parse(payload).map(|d| Framing {
            begins_frame: d.begins_frame,
            ends_frame: d.ends_frame,
            keyframe: d.is_keyframe(),
            len: d.len,
        })
    }

    /// Error kinds only: the two readers may name a different field of a cut payload.
    fn kind(r: Result<Framing, DepacketizeError>) -> Result<Framing, &'static str> {
        r.map_err(|e| match e {
            DepacketizeError::Truncated(_) => "truncated",
            DepacketizeError::Malformed(_) => "malformed",
            _ => "other",
        })
    }

    #[test]
    fn framing_agrees_with_the_full_parse_on_the_rfc_descriptors_and_every_cut() {
        let flexible = [0xf8, 0x81, 0x02, 0b0101_0011, 0x03, 0x06, 0xaa];
        let with_ss = WITH_SS;
        let four_diffs = [0x50, 0x03, 0x03, 0x03, 0x03, 1];
        for p in [&flexible[..], &with_ss[..], &four_diffs[..]] {
            for cut in 0..=p.len() {
                assert_eq!(
                    kind(Framing::read(&p[..cut])),
                    kind(oracle(&p[..cut])),
                    "{p:x?} cut at {cut}"
                );
            }
        }
        assert_eq!(
            Framing::read(&with_ss).map(|f| (f.len, f.keyframe)),
            Ok((16, true))
        );
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn framing_agrees_with_the_full_parse_on_any_bytes(
                payload in proptest::collection::vec(any::<u8>(), 0..48),
            ) {
                prop_assert_eq!(kind(Framing::read(&payload)), kind(oracle(&payload)));
                prop_assert_eq!(is_keyframe(&payload), Descriptor::parse(&payload).is_ok_and(|d| d.is_keyframe()));
            }
        }
    }

    #[test]
    fn keyframes_are_read_from_the_uncompressed_header() {
        // frame_marker 10, profile 0, show_existing 0, frame_type 0 (key).
        assert!(frame_is_keyframe(&[0b1000_0000]));
        // frame_type 1 (inter).
        assert!(!frame_is_keyframe(&[0b1000_0100]));
        // show_existing_frame.
        assert!(!frame_is_keyframe(&[0b1000_1000]));
        // Profile 3 (both bits), reserved 0, show_existing 0, frame_type 0.
        assert!(frame_is_keyframe(&[0b1011_0000]));
        assert!(!frame_is_keyframe(&[0b1011_0010]));
        // Not a frame marker.
        assert!(!frame_is_keyframe(&[0b0000_0000]));
    }

    #[test]
    fn a_keyframe_carries_the_scalability_structure_and_later_frames_p() {
        let mut p = Vp9Packetizer::new().with_resolution(640, 360);
        let mut key = vec![0x80u8; 2000];
        key[0] = 0b1000_0000;
        let mut got = Vec::new();
        p.packetize(&key, 1200, &mut |pl, last| {
            got.push((Descriptor::parse(pl).unwrap(), last))
        })
        .unwrap();
        assert_eq!(got.len(), 2);
        assert!(got[0].0.is_keyframe());
        assert_eq!(
            got[0].0.scalability.unwrap().resolutions[0],
            Some((640, 360))
        );
        assert!(got[1].0.ends_frame && got[1].1 && !got[1].0.begins_frame);
        let mut inter = vec![0u8; 10];
        inter[0] = 0b1000_0100;
        got.clear();
        p.packetize(&inter, 1200, &mut |pl, last| {
            got.push((Descriptor::parse(pl).unwrap(), last))
        })
        .unwrap();
        assert!(got[0].0.inter_picture && got[0].0.scalability.is_none());
        assert_eq!(got[0].0.picture_id, Some(1));
    }
}
