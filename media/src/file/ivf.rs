//! IVF, the plain container libvpx and libaom write: a 32-byte file header (`DKIF`, the
//! codec's FourCC, the frame size, the time base, the frame count) and frames each behind a
//! 12-byte header (size, 64-bit timestamp), all little-endian.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::FileError;

/// The codecs IVF carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IvfCodec {
    /// `VP80`.
    Vp8,
    /// `VP90`.
    Vp9,
    /// `AV01`.
    Av1,
}

impl IvfCodec {
    /// The FourCC.
    #[must_use]
    pub fn fourcc(self) -> [u8; 4] {
        match self {
            IvfCodec::Vp8 => *b"VP80",
            IvfCodec::Vp9 => *b"VP90",
            IvfCodec::Av1 => *b"AV01",
        }
    }

    fn from_fourcc(f: [u8; 4]) -> Option<IvfCodec> {
        match &f {
            b"VP80" => Some(IvfCodec::Vp8),
            b"VP90" => Some(IvfCodec::Vp9),
            b"AV01" => Some(IvfCodec::Av1),
            _ => None,
        }
    }
}

/// The file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IvfHeader {
    /// The codec.
    pub codec: IvfCodec,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Time base: timestamps count `timebase_num / timebase_den` seconds (1/90,000 for
    /// RTP video clocks, 1/30 for a 30 fps file).
    pub timebase_den: u32,
    /// See `timebase_den`.
    pub timebase_num: u32,
    /// Frames in the file, as the header says (writers that cannot seek leave 0).
    pub frames: u32,
}

/// Reads an IVF file's frames into the caller's buffer.
#[derive(Debug)]
pub struct IvfReader<R> {
    inner: R,
    header: IvfHeader,
}

/// The largest frame read (a guard against a corrupt size field).
pub const MAX_IVF_FRAME: u32 = 64 << 20;

impl<R: Read> IvfReader<R> {
    /// Reads the file header.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`], or [`FileError::Format`] when it is not an IVF file of a codec
    /// we know.
    pub fn new(mut inner: R) -> Result<IvfReader<R>, FileError> {
        let mut h = [0u8; 32];
        inner.read_exact(&mut h)?;
        if &h[..4] != b"DKIF" {
            return Err(FileError::Format("no DKIF signature"));
        }
        let header_len = u16::from_le_bytes([h[6], h[7]]);
        if header_len < 32 {
            return Err(FileError::Format("an IVF header shorter than 32 bytes"));
        }
        let codec = IvfCodec::from_fourcc([h[8], h[9], h[10], h[11]]).ok_or(FileError::Format(
            "an IVF FourCC other than VP80, VP90, AV01",
        ))?;
        // Skip what a longer header adds.
        io::copy(
            &mut (&mut inner).take(u64::from(header_len) - 32),
            &mut io::sink(),
        )?;
        let u16_at = |i: usize| u16::from_le_bytes([h[i], h[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let header = IvfHeader {
            codec,
            width: u16_at(12),
            height: u16_at(14),
            timebase_den: u32_at(16),
            timebase_num: u32_at(20),
            frames: u32_at(24),
        };
        Ok(IvfReader { inner, header })
    }

    /// The file header.
    #[must_use]
    pub fn header(&self) -> &IvfHeader {
        &self.header
    }

    /// The next frame into `frame` (replacing what it held) and its timestamp; `None` at
    /// the end of the file.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`], or [`FileError::Format`] for a frame cut short or larger than
    /// [`MAX_IVF_FRAME`].
    pub fn next_frame(&mut self, frame: &mut Vec<u8>) -> Result<Option<u64>, FileError> {
        let mut h = [0u8; 12];
        match read_full(&mut self.inner, &mut h)? {
            0 => return Ok(None),
            12 => {}
            _ => return Err(FileError::Format("an IVF frame header cut short")),
        }
        let size = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        if size > MAX_IVF_FRAME {
            return Err(FileError::Format("an IVF frame larger than 64 MiB"));
        }
        let ts = u64::from_le_bytes([h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11]]);
        frame.clear();
        frame.resize(size as usize, 0);
        if read_full(&mut self.inner, frame)? != frame.len() {
            return Err(FileError::Format("an IVF frame cut short"));
        }
        Ok(Some(ts))
    }
}

/// Reads until `buf` is full or the input ends; how much was read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Writes an IVF file; [`IvfWriter::finish`] puts the frame count into the header.
#[derive(Debug)]
pub struct IvfWriter<W: Write + Seek> {
    inner: W,
    header: IvfHeader,
    frames: u32,
}

impl<W: Write + Seek> IvfWriter<W> {
    /// Writes the file header.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`].
    pub fn new(mut inner: W, header: IvfHeader) -> Result<IvfWriter<W>, FileError> {
        let mut h = [0u8; 32];
        h[..4].copy_from_slice(b"DKIF");
        h[6..8].copy_from_slice(&32u16.to_le_bytes());
        h[8..12].copy_from_slice(&header.codec.fourcc());
        h[12..14].copy_from_slice(&header.width.to_le_bytes());
        h[14..16].copy_from_slice(&header.height.to_le_bytes());
        h[16..20].copy_from_slice(&header.timebase_den.to_le_bytes());
        h[20..24].copy_from_slice(&header.timebase_num.to_le_bytes());
        h[24..28].copy_from_slice(&header.frames.to_le_bytes());
        inner.write_all(&h)?;
        Ok(IvfWriter {
            inner,
            header,
            frames: 0,
        })
    }

    /// Appends a frame with its timestamp (in the header's time base).
    ///
    /// # Errors
    ///
    /// [`FileError::Io`]; [`FileError::Format`] for a frame over [`MAX_IVF_FRAME`].
    pub fn write_frame(&mut self, timestamp: u64, frame: &[u8]) -> Result<(), FileError> {
        let size = u32::try_from(frame.len())
            .ok()
            .filter(|s| *s <= MAX_IVF_FRAME)
            .ok_or(FileError::Format("an IVF frame larger than 64 MiB"))?;
        let mut h = [0u8; 12];
        h[..4].copy_from_slice(&size.to_le_bytes());
        h[4..].copy_from_slice(&timestamp.to_le_bytes());
        self.inner.write_all(&h)?;
        self.inner.write_all(frame)?;
        self.frames += 1;
        Ok(())
    }

    /// Writes the frame count into the header and hands the writer back.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`].
    pub fn finish(mut self) -> Result<W, FileError> {
        let end = self.inner.stream_position()?;
        self.inner.seek(SeekFrom::Start(24))?;
        self.inner.write_all(&self.frames.to_le_bytes())?;
        self.inner.seek(SeekFrom::Start(end))?;
        self.inner.flush()?;
        self.header.frames = self.frames;
        Ok(self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn frames_written_are_read_back_with_the_count_in_the_header() {
        let header = IvfHeader {
            codec: IvfCodec::Vp9,
            width: 640,
            height: 360,
            timebase_den: 90_000,
            timebase_num: 1,
            frames: 0,
        };
        let mut w = IvfWriter::new(Cursor::new(Vec::new()), header).unwrap();
        for i in 0..5u64 {
            w.write_frame(i * 3000, &vec![i as u8; 100 + i as usize])
                .unwrap();
        }
        let bytes = w.finish().unwrap().into_inner();
        assert_eq!(bytes.len(), 32 + 5 * 12 + (100 + 101 + 102 + 103 + 104));
        let mut r = IvfReader::new(bytes.as_slice()).unwrap();
        assert_eq!(
            *r.header(),
            IvfHeader {
                frames: 5,
                ..header
            }
        );
        let mut f = Vec::new();
        for i in 0..5u64 {
            assert_eq!(r.next_frame(&mut f).unwrap(), Some(i * 3000));
            assert_eq!(f, vec![i as u8; 100 + i as usize]);
        }
        assert_eq!(r.next_frame(&mut f).unwrap(), None);
        // Cut inside a frame.
        let mut r = IvfReader::new(&bytes[..32 + 12 + 50]).unwrap();
        assert!(matches!(r.next_frame(&mut f), Err(FileError::Format(_))));
        assert!(matches!(
            IvfReader::new(&b"RIFF"[..]),
            Err(FileError::Io(_))
        ));
        let mut not = bytes.clone();
        not[..4].copy_from_slice(b"RIFF");
        assert!(matches!(
            IvfReader::new(not.as_slice()),
            Err(FileError::Format(_))
        ));
    }
}
