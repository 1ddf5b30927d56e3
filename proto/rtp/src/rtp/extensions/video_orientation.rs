//! Coordination of video orientation, CVO (3GPP TS 26.114 s7.4.5): camera, flip and
//! rotation of the frame, one byte `0 0 0 0 C F R1 R0`.

use crate::error::{Error, room};
use crate::rtp::extensions::{Extension, ExtensionKind, length};

/// How the receiver should turn the video (3GPP TS 26.114 s7.4.5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VideoOrientation {
    /// C: the back-facing camera (false: front-facing or unknown).
    pub back_camera: bool,
    /// F: flip horizontally.
    pub flip: bool,
    /// R1 R0: rotation in steps of 90 degrees counter-clockwise, 0 to 3.
    pub rotation: u8,
}

impl Extension<'_> for VideoOrientation {
    const KIND: ExtensionKind = ExtensionKind::VideoOrientation;

    fn parse(data: &[u8]) -> Result<Self, Error> {
        length("video-orientation extension", data, &[1])?;
        let b = data[0];
        if b & 0xf0 != 0 {
            return Err(Error::InvalidValue {
                what: "video-orientation extension reserved bits",
                value: u64::from(b),
            });
        }
        Ok(VideoOrientation {
            back_camera: b & 0x08 != 0,
            flip: b & 0x04 != 0,
            rotation: b & 0x03,
        })
    }

    fn encoded_len(&self) -> usize {
        1
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        if self.rotation > 3 {
            return Err(Error::InvalidValue {
                what: "video-orientation extension rotation",
                value: u64::from(self.rotation),
            });
        }
        room("video-orientation extension", out, 1)?[0] =
            u8::from(self.back_camera) << 3 | u8::from(self.flip) << 2 | self.rotation;
        Ok(1)
    }
}
