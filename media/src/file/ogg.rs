//! Ogg (RFC 3533) carrying Opus (RFC 7845): pages with their CRC, lacing and granule
//! positions; the `OpusHead` and `OpusTags` header packets; audio packets whose granule
//! position counts 48 kHz samples (section 4), read from each packet's TOC byte (RFC 6716
//! section 3.1).

use std::io::{Read, Write};

use super::FileError;

/// The Ogg CRC-32 (polynomial 0x04c11db7, not reflected, initial value 0; RFC 3533
/// section 6).
const CRC: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut r = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            r = if r & 0x8000_0000 != 0 {
                (r << 1) ^ 0x04c1_1db7
            } else {
                r << 1
            };
            k += 1;
        }
        t[i] = r;
        i += 1;
    }
    t
};

fn crc(data: &[u8], mut c: u32) -> u32 {
    for &b in data {
        c = (c << 8) ^ CRC[((c >> 24) as u8 ^ b) as usize];
    }
    c
}

/// The `OpusHead` identification header (RFC 7845 section 5.1), channel mapping family 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusHead {
    /// 1 or 2.
    pub channels: u8,
    /// Samples (at 48 kHz) to drop from the start of the decoded output.
    pub pre_skip: u16,
    /// The original input's sample rate (informational).
    pub input_sample_rate: u32,
    /// The output gain, Q7.8 dB.
    pub output_gain: i16,
}

impl Default for OpusHead {
    fn default() -> Self {
        OpusHead {
            channels: 2,
            pre_skip: 312,
            input_sample_rate: 48_000,
            output_gain: 0,
        }
    }
}

impl OpusHead {
    /// The header packet's 19 bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 19] {
        let mut b = [0u8; 19];
        b[..8].copy_from_slice(b"OpusHead");
        b[8] = 1;
        b[9] = self.channels;
        b[10..12].copy_from_slice(&self.pre_skip.to_le_bytes());
        b[12..16].copy_from_slice(&self.input_sample_rate.to_le_bytes());
        b[16..18].copy_from_slice(&self.output_gain.to_le_bytes());
        b[18] = 0;
        b
    }

    /// Reads the header packet.
    ///
    /// # Errors
    ///
    /// [`FileError::Format`] when it is not an `OpusHead` of version 1.
    pub fn parse(p: &[u8]) -> Result<OpusHead, FileError> {
        if p.len() < 19 || &p[..8] != b"OpusHead" {
            return Err(FileError::Format("no OpusHead packet"));
        }
        if p[8] >> 4 != 0 {
            return Err(FileError::Format("an OpusHead of an unknown major version"));
        }
        if p[9] == 0 {
            return Err(FileError::Format("an OpusHead with no channels"));
        }
        Ok(OpusHead {
            channels: p[9],
            pre_skip: u16::from_le_bytes([p[10], p[11]]),
            input_sample_rate: u32::from_le_bytes([p[12], p[13], p[14], p[15]]),
            output_gain: i16::from_le_bytes([p[16], p[17]]),
        })
    }
}

/// The samples (at 48 kHz) one Opus packet decodes to, from its TOC byte and frame count
/// (RFC 6716 section 3.1); `None` for an empty packet or a code 3 packet without its
/// count.
#[must_use]
pub fn opus_packet_samples(packet: &[u8]) -> Option<u32> {
    let toc = *packet.first()?;
    let config = toc >> 3;
    let per_frame = match config {
        0..=11 => [480, 960, 1920, 2880][usize::from(config % 4)],
        12..=15 => [480, 960][usize::from(config % 2)],
        _ => [120, 240, 480, 960][usize::from(config % 4)],
    };
    let frames = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => u32::from(*packet.get(1)? & 0x3f),
    };
    Some(per_frame * frames)
}

/// Header type flags (RFC 3533 section 6).
const CONTINUED: u8 = 0x01;
const BOS: u8 = 0x02;
const EOS: u8 = 0x04;

/// Writes an Ogg Opus file: the two header pages, then one page per audio packet; the
/// last one is marked end of stream by [`OggOpusWriter::finish`].
#[derive(Debug)]
pub struct OggOpusWriter<W: Write> {
    inner: W,
    serial: u32,
    sequence: u32,
    granule: u64,
    page: Vec<u8>,
    /// The last packet, held until the next shows it is not the last.
    pending: Vec<u8>,
    has_pending: bool,
}

impl<W: Write> OggOpusWriter<W> {
    /// Writes the `OpusHead` and `OpusTags` pages of a stream with this serial number.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`].
    pub fn new(inner: W, head: OpusHead, serial: u32) -> Result<OggOpusWriter<W>, FileError> {
        let mut w = OggOpusWriter {
            inner,
            serial,
            sequence: 0,
            granule: 0,
            page: Vec::with_capacity(64 * 1024),
            pending: Vec::with_capacity(4096),
            has_pending: false,
        };
        w.write_page(&head.to_bytes(), BOS, 0)?;
        let vendor = b"wren-media";
        let mut tags = Vec::with_capacity(8 + 4 + vendor.len() + 4);
        tags.extend_from_slice(b"OpusTags");
        tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        tags.extend_from_slice(vendor);
        tags.extend_from_slice(&0u32.to_le_bytes());
        w.write_page(&tags, 0, 0)?;
        // Granule positions count the samples decoded, pre-skip included (RFC 7845
        // section 4): they start at 0.
        Ok(w)
    }

    /// Appends one Opus packet.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`]; [`FileError::Format`] for a packet whose duration cannot be read.
    pub fn write_packet(&mut self, packet: &[u8]) -> Result<(), FileError> {
        let samples =
            opus_packet_samples(packet).ok_or(FileError::Format("an Opus packet without a TOC"))?;
        if self.has_pending {
            let pending = std::mem::take(&mut self.pending);
            let r = self.write_page(&pending, 0, self.granule);
            self.pending = pending;
            r?;
        }
        self.granule += u64::from(samples);
        self.pending.clear();
        self.pending.extend_from_slice(packet);
        self.has_pending = true;
        Ok(())
    }

    /// Writes the last packet's page marked end of stream, and hands the writer back.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`].
    pub fn finish(self) -> Result<W, FileError> {
        self.finish_trimmed(0)
    }

    /// As [`OggOpusWriter::finish`], with the last `samples` (48 kHz) of the decoded
    /// stream marked for dropping (end trimming: the final granule position is that much
    /// below the packets' total, RFC 7845 section 4.4).
    ///
    /// # Errors
    ///
    /// [`FileError::Io`].
    pub fn finish_trimmed(mut self, samples: u64) -> Result<W, FileError> {
        let pending = std::mem::take(&mut self.pending);
        let last = self.granule.saturating_sub(samples);
        self.write_page(&pending, EOS, last)?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    /// One packet as one or more pages: its lacing values are 255 for each full 255
    /// bytes and then the rest (0 to 254), at most 255 of them to a page (RFC 3533
    /// section 5).
    fn write_page(&mut self, packet: &[u8], flags: u8, granule: u64) -> Result<(), FileError> {
        let laces = packet.len() / 255 + 1;
        let (mut lace, mut offset) = (0, 0);
        while lace < laces {
            let n = (laces - lace).min(255);
            let last_page = lace + n == laces;
            let mut hflags = flags & BOS;
            if lace > 0 {
                hflags = CONTINUED;
            }
            if last_page {
                hflags |= flags & EOS;
            }
            self.page.clear();
            self.page.extend_from_slice(b"OggS");
            self.page.push(0);
            self.page.push(hflags);
            // A page on which no packet ends has granule position -1.
            let g = if last_page { granule } else { u64::MAX };
            self.page.extend_from_slice(&g.to_le_bytes());
            self.page.extend_from_slice(&self.serial.to_le_bytes());
            self.page.extend_from_slice(&self.sequence.to_le_bytes());
            self.page.extend_from_slice(&[0; 4]);
            self.page.push(n as u8);
            let mut body = 0;
            for k in lace..lace + n {
                let v = if k + 1 == laces {
                    packet.len() % 255
                } else {
                    255
                };
                self.page.push(v as u8);
                body += v;
            }
            self.page.extend_from_slice(&packet[offset..offset + body]);
            let c = crc(&self.page, 0);
            self.page[22..26].copy_from_slice(&c.to_le_bytes());
            self.inner.write_all(&self.page)?;
            self.sequence += 1;
            lace += n;
            offset += body;
        }
        Ok(())
    }
}

/// Reads the packets of an Ogg Opus file's first logical stream.
#[derive(Debug)]
pub struct OggOpusReader<R: Read> {
    inner: R,
    serial: Option<u32>,
    head: OpusHead,
    /// The current page's data, and where its unread lacing values begin.
    data: Vec<u8>,
    laces: Vec<u8>,
    lace_at: usize,
    data_at: usize,
    granule: u64,
    eos: bool,
}

impl<R: Read> OggOpusReader<R> {
    /// Reads the header packets.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`]; [`FileError::Format`] for a bad page (signature, version, CRC)
    /// or a first packet other than `OpusHead`.
    pub fn new(inner: R) -> Result<OggOpusReader<R>, FileError> {
        let mut r = OggOpusReader {
            inner,
            serial: None,
            head: OpusHead::default(),
            data: Vec::new(),
            laces: Vec::new(),
            lace_at: 0,
            data_at: 0,
            granule: 0,
            eos: false,
        };
        let mut p = Vec::new();
        r.next_raw(&mut p)?
            .ok_or(FileError::Format("no OpusHead packet"))?;
        r.head = OpusHead::parse(&p)?;
        r.next_raw(&mut p)?
            .ok_or(FileError::Format("no OpusTags packet"))?;
        if !p.starts_with(b"OpusTags") {
            return Err(FileError::Format("no OpusTags packet"));
        }
        Ok(r)
    }

    /// The identification header.
    #[must_use]
    pub fn head(&self) -> &OpusHead {
        &self.head
    }

    /// The next audio packet into `packet`, with the granule position of the page it ended
    /// on; `None` at the end.
    ///
    /// # Errors
    ///
    /// As [`OggOpusReader::new`].
    pub fn next_packet(&mut self, packet: &mut Vec<u8>) -> Result<Option<u64>, FileError> {
        self.next_raw(packet)
    }

    fn next_raw(&mut self, packet: &mut Vec<u8>) -> Result<Option<u64>, FileError> {
        packet.clear();
        loop {
            while self.lace_at < self.laces.len() {
                let lace = usize::from(self.laces[self.lace_at]);
                self.lace_at += 1;
                let end = self.data_at + lace;
                let bytes = self
                    .data
                    .get(self.data_at..end)
                    .ok_or(FileError::Format("lacing past the page's data"))?;
                if packet.len() + bytes.len() > super::ivf::MAX_IVF_FRAME as usize {
                    return Err(FileError::Format("an Ogg packet larger than 64 MiB"));
                }
                packet.extend_from_slice(bytes);
                self.data_at = end;
                if lace < 255 {
                    return Ok(Some(self.granule));
                }
            }
            if self.eos || !self.read_page()? {
                return if packet.is_empty() {
                    Ok(None)
                } else {
                    Err(FileError::Format("the stream ends inside a packet"))
                };
            }
        }
    }

    /// Reads the next page of our stream; `false` at the end of the file.
    fn read_page(&mut self) -> Result<bool, FileError> {
        loop {
            let mut h = [0u8; 27];
            match read_some(&mut self.inner, &mut h)? {
                0 => return Ok(false),
                27 => {}
                _ => return Err(FileError::Format("an Ogg page header cut short")),
            }
            if &h[..4] != b"OggS" || h[4] != 0 {
                return Err(FileError::Format("no OggS capture pattern of version 0"));
            }
            let segments = usize::from(h[26]);
            self.laces.clear();
            self.laces.resize(segments, 0);
            if read_some(&mut self.inner, &mut self.laces)? != segments {
                return Err(FileError::Format("an Ogg lacing table cut short"));
            }
            let size: usize = self.laces.iter().map(|&l| usize::from(l)).sum();
            self.data.clear();
            self.data.resize(size, 0);
            if read_some(&mut self.inner, &mut self.data)? != size {
                return Err(FileError::Format("an Ogg page cut short"));
            }
            let stated = u32::from_le_bytes([h[22], h[23], h[24], h[25]]);
            let mut zeroed = h;
            zeroed[22..26].fill(0);
            let c = crc(&self.data, crc(&self.laces, crc(&zeroed, 0)));
            if c != stated {
                return Err(FileError::Format("an Ogg page whose CRC does not match"));
            }
            let serial = u32::from_le_bytes([h[14], h[15], h[16], h[17]]);
            if *self.serial.get_or_insert(serial) != serial {
                continue;
            }
            self.granule = u64::from_le_bytes([h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13]]);
            self.eos = h[5] & EOS != 0;
            self.lace_at = 0;
            self.data_at = 0;
            return Ok(true);
        }
    }
}

fn read_some(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crc_is_ogg_s() {
        // CRC-32/MPEG-2 without the final inversion and initial value 0 (the "check"
        // value of CRC-32/OGG on "123456789" is 0x89a1897f).
        assert_eq!(crc(b"123456789", 0), 0x89a1_897f);
    }

    #[test]
    fn packet_durations_come_from_the_toc() {
        // config 31 (CELT FB 20 ms), one frame.
        assert_eq!(opus_packet_samples(&[31 << 3]), Some(960));
        // config 1 (SILK NB 20 ms), two frames (code 1).
        assert_eq!(opus_packet_samples(&[(1 << 3) | 1]), Some(1920));
        // config 16 (CELT NB 2.5 ms), code 3 with 6 frames.
        assert_eq!(opus_packet_samples(&[(16 << 3) | 3, 6]), Some(720));
        assert_eq!(opus_packet_samples(&[]), None);
        assert_eq!(opus_packet_samples(&[3]), None);
    }

    #[test]
    fn packets_written_are_read_back_with_granules_and_a_large_one_spans_pages() {
        let head = OpusHead::default();
        let mut w = OggOpusWriter::new(Vec::new(), head, 0x1234).unwrap();
        let packets: Vec<Vec<u8>> = (0..50u32)
            .map(|i| {
                let len = if i == 7 {
                    70_000
                } else {
                    1 + (i as usize * 37) % 600
                };
                let mut p = vec![i as u8; len];
                p[0] = 31 << 3; // 20 ms
                p
            })
            .collect();
        for p in &packets {
            w.write_packet(p).unwrap();
        }
        let bytes = w.finish().unwrap();
        let mut r = OggOpusReader::new(bytes.as_slice()).unwrap();
        assert_eq!(*r.head(), head);
        let mut p = Vec::new();
        for (i, want) in packets.iter().enumerate() {
            let g = r.next_packet(&mut p).unwrap().expect("a packet");
            assert_eq!(&p, want, "packet {i}");
            assert_eq!(g, 960 * (i as u64 + 1));
        }
        assert_eq!(r.next_packet(&mut p).unwrap(), None);
        // A flipped byte breaks its page's CRC.
        let mut bad = bytes.clone();
        let at = bad.len() - 3;
        bad[at] ^= 1;
        let mut r = OggOpusReader::new(bad.as_slice()).unwrap();
        let mut err = None;
        while err.is_none() {
            match r.next_packet(&mut p) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => err = Some(e),
            }
        }
        assert!(matches!(err, Some(FileError::Format(_))));
    }
}
