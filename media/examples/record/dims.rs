//! The picture size a VP8 or VP9 keyframe states, for the WebM track header
//! (`PixelWidth`, `PixelHeight`): VP8's frame header (RFC 6386 section 9.1), VP9's
//! uncompressed header (VP9 bitstream specification, section 6.2: `frame_marker` through
//! `frame_size`). `None` for a frame that is not a keyframe or is cut short.

/// Width and height in pixels.
pub type Size = (u16, u16);

/// A VP8 keyframe's size: the 3-byte frame tag (bit 0 clear for a keyframe), the start
/// code `9d 01 2a`, then 14-bit width and height, little-endian (the top 2 bits of each
/// are the scaling, not the size).
#[must_use]
pub fn vp8(frame: &[u8]) -> Option<Size> {
    let header = frame.get(..10)?;
    if header[0] & 1 != 0 || header[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let width = u16::from_le_bytes([header[6], header[7]]) & 0x3fff;
    let height = u16::from_le_bytes([header[8], header[9]]) & 0x3fff;
    Some((width, height))
}

/// Reads bits, most significant first.
struct Bits<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = self.data.get(self.at / 8)?;
        let bit = (byte >> (7 - self.at % 8)) & 1;
        self.at += 1;
        Some(u32::from(bit))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0, |v, _| Some((v << 1) | self.bit()?))
    }
}

/// VP9's color space that has no `color_range` bit and no subsampling bits of its own
/// in profiles 0 and 2 (section 7.2.2: `CS_RGB`).
const CS_RGB: u32 = 7;

/// A VP9 keyframe's size, from its uncompressed header (section 6.2): `frame_marker`,
/// the profile, `show_existing_frame`, `frame_type` (0: key), `show_frame`,
/// `error_resilient_mode`, the sync code `49 83 42`, `color_config` (section 6.2.2), then
/// `frame_width_minus_1` and `frame_height_minus_1`, 16 bits each. The first frame of a
/// superframe is the one read (its frames come in order, the first at the start).
#[must_use]
pub fn vp9(frame: &[u8]) -> Option<Size> {
    let mut b = Bits { data: frame, at: 0 };
    if b.bits(2)? != 2 {
        return None;
    }
    let low = b.bit()?;
    let high = b.bit()?;
    let profile = (high << 1) | low;
    if profile == 3 {
        b.bit()?; // reserved_zero
    }
    // show_existing_frame, then frame_type: 0 is KEY_FRAME.
    if b.bit()? == 1 || b.bit()? != 0 {
        return None;
    }
    b.bits(2)?; // show_frame, error_resilient_mode
    if b.bits(24)? != 0x49_83_42 {
        return None;
    }
    if profile >= 2 {
        b.bit()?; // ten_or_twelve_bit
    }
    let color_space = b.bits(3)?;
    let own_subsampling = profile == 1 || profile == 3;
    if color_space == CS_RGB {
        if own_subsampling {
            b.bit()?; // reserved_zero
        }
    } else {
        b.bit()?; // color_range
        if own_subsampling {
            b.bits(3)?; // subsampling_x, subsampling_y, reserved_zero
        }
    }
    let width = u16::try_from(b.bits(16)? + 1).ok()?;
    let height = u16::try_from(b.bits(16)? + 1).ok()?;
    Some((width, height))
}
