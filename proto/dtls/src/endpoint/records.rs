//! One side's record layer state: the write epoch and its sequence numbers, the read epoch,
//! the ciphers of epoch 1 once the keys are known (each side switches when its
//! ChangeCipherSpec goes or arrives, RFC 5246 section 7.1), and a replay window per read
//! epoch.

use super::replay::ReplayWindow;
use crate::codes::{ContentType, ProtocolVersion};
use crate::protection::{ProtectionError, RecordCipher};
use crate::record::{self, MAX_SEQUENCE, Record};

/// The record layer.
#[derive(Debug, Default)]
pub(crate) struct RecordLayer {
    write_epoch: u16,
    /// The next sequence number to write, per epoch (0 and 1).
    write_seq: [u64; 2],
    write_cipher: Option<RecordCipher>,
    read_epoch: u16,
    read_cipher: Option<RecordCipher>,
    replay: [ReplayWindow; 2],
}

impl RecordLayer {
    /// The epoch 1 ciphers, derived from the key block: used once each side's
    /// ChangeCipherSpec passes.
    pub(crate) fn install(&mut self, write: RecordCipher, read: RecordCipher) {
        self.write_cipher = Some(write);
        self.read_cipher = Some(read);
    }

    /// Our ChangeCipherSpec went: what follows is written in epoch 1.
    pub(crate) fn start_writing_epoch1(&mut self) {
        self.write_epoch = 1;
    }

    /// The peer's ChangeCipherSpec arrived: its next records are epoch 1. `false` when the
    /// keys are not known yet (the peer's flight came out of order; it retransmits).
    pub(crate) fn start_reading_epoch1(&mut self) -> bool {
        if self.read_cipher.is_none() {
            return false;
        }
        self.read_epoch = 1;
        true
    }

    /// The epoch records are read in.
    pub(crate) fn read_epoch(&self) -> u16 {
        self.read_epoch
    }

    /// The epoch records are written in.
    pub(crate) fn write_epoch(&self) -> u16 {
        self.write_epoch
    }

    /// The next sequence number of `epoch`, taken.
    fn next_seq(&mut self, epoch: u16) -> u64 {
        let i = usize::from(epoch.min(1));
        let s = self.write_seq[i];
        self.write_seq[i] = (s + 1).min(MAX_SEQUENCE);
        s
    }

    /// Appends a record of `body` in `epoch` (sealed in epoch 1).
    pub(crate) fn write(
        &mut self,
        out: &mut Vec<u8>,
        ct: ContentType,
        epoch: u16,
        body: &[u8],
    ) -> Result<(), ProtectionError> {
        let seq = self.next_seq(epoch);
        if epoch == 0 {
            record::write_header(out, ct, ProtocolVersion::DTLS1_2, 0, seq, body.len() as u16);
            out.extend_from_slice(body);
            return Ok(());
        }
        match &self.write_cipher {
            Some(c) => c.seal(out, ct, epoch, seq, body),
            None => Err(ProtectionError::BadRecordMac),
        }
    }

    /// Reads a record: its plaintext into `plain` (epoch 0 copied, epoch 1 opened), after the
    /// replay check. `false` when the record is to be dropped: of an epoch not being read,
    /// replayed, or not authentic.
    pub(crate) fn read(&mut self, r: &Record<'_>, plain: &mut Vec<u8>) -> bool {
        let i = usize::from(r.epoch.min(1));
        // Epoch 0 is read until the handshake is over (a retransmitted flight of the peer's
        // can still arrive in epoch 0 after its ChangeCipherSpec); epoch 1 once switched.
        let readable = match r.epoch {
            0 => true,
            1 => self.read_epoch == 1,
            _ => false,
        };
        if !readable || !self.replay[i].fresh(r.sequence) {
            return false;
        }
        if r.epoch == 0 {
            plain.clear();
            plain.extend_from_slice(r.body);
        } else {
            let Some(c) = &self.read_cipher else {
                return false;
            };
            if c.open(r, plain).is_err() {
                return false;
            }
        }
        self.replay[i].mark(r.sequence);
        true
    }
}
