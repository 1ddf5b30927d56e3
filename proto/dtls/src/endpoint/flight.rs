//! Our last flight (RFC 6347 section 4.2.4): the messages sent together, kept to be sent
//! again when the retransmission timer fires (1 s at first, doubling, capped) or when the
//! peer's retransmission shows ours was lost. Written out each time with fresh record
//! sequence numbers, cut to the MTU and packed into datagrams.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::records::RecordLayer;
use crate::codes::{ContentType, HandshakeType};
use crate::handshake::{self, write_fragments};
use crate::protection::OVERHEAD;
use crate::record;

/// One item of a flight.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// A handshake message, sent in `epoch`.
    Handshake {
        msg_type: HandshakeType,
        message_seq: u16,
        body: Vec<u8>,
        epoch: u16,
    },
    /// ChangeCipherSpec (epoch 0): what follows goes in epoch 1.
    ChangeCipherSpec,
}

/// The flight and its retransmission timer.
#[derive(Debug, Default)]
pub(crate) struct Flight {
    items: Vec<Item>,
    /// When it goes again, if it is retransmitted on a timer.
    due: Option<Instant>,
    rto: Duration,
    /// Times written out.
    pub(crate) sends: u32,
}

impl Flight {
    /// A new flight replaces the last one; `timed`: retransmitted on a timer (every flight
    /// but the last of a handshake), starting at `rto`.
    pub(crate) fn start(&mut self, items: Vec<Item>, now: Instant, rto: Duration, timed: bool) {
        self.items = items;
        self.rto = rto;
        self.sends = 0;
        self.due = timed.then_some(now);
    }

    /// Stops the timer (the peer answered).
    pub(crate) fn stop_timer(&mut self) {
        self.due = None;
    }

    /// Forgets the flight (the handshake is over for good).
    pub(crate) fn clear(&mut self) {
        self.items.clear();
        self.due = None;
    }

    /// When the timer fires.
    pub(crate) fn due(&self) -> Option<Instant> {
        self.due
    }

    /// Whether there is a flight to send again.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The timer fired at `now`: the next one after the doubled timeout (capped at `max`).
    pub(crate) fn backoff(&mut self, now: Instant, max: Duration) {
        if self.due.is_some() {
            self.rto = (self.rto * 2).min(max);
            self.due = Some(now + self.rto);
        }
    }

    /// Writes the flight out as datagrams of at most `mtu` bytes into `out`, each item in
    /// its own epoch.
    pub(crate) fn write(
        &mut self,
        records: &mut RecordLayer,
        mtu: usize,
        out: &mut VecDeque<Vec<u8>>,
    ) {
        self.sends += 1;
        if self.sends == 1 && self.due.is_some() {
            self.due = self.due.map(|d| d + self.rto);
        }
        let mut datagram = Vec::new();
        let mut push = |record: Vec<u8>, out: &mut VecDeque<Vec<u8>>| {
            if !datagram.is_empty() && datagram.len() + record.len() > mtu {
                out.push_back(std::mem::take(&mut datagram));
            }
            datagram.extend_from_slice(&record);
        };
        for item in &self.items {
            match item {
                Item::ChangeCipherSpec => {
                    let mut r = Vec::new();
                    // Epoch 0 writes cannot fail.
                    let _ = records.write(&mut r, ContentType::CHANGE_CIPHER_SPEC, 0, &[1]);
                    push(r, out);
                }
                Item::Handshake {
                    msg_type,
                    message_seq,
                    body,
                    epoch,
                } => {
                    let overhead = record::HEADER_LEN
                        + handshake::HEADER_LEN
                        + if *epoch == 0 { 0 } else { OVERHEAD };
                    let max = mtu.saturating_sub(overhead).max(16);
                    let mut fragments = Vec::new();
                    write_fragments(*msg_type, *message_seq, body, max, |f| {
                        fragments.push(f.to_vec())
                    });
                    for f in fragments {
                        let mut r = Vec::new();
                        if records
                            .write(&mut r, ContentType::HANDSHAKE, *epoch, &f)
                            .is_ok()
                        {
                            push(r, out);
                        }
                    }
                }
            }
        }
        if !datagram.is_empty() {
            out.push_back(datagram);
        }
    }
}
