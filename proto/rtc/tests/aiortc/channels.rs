//! The data channels of a call: what each side opens, the messages both send (the same
//! `message` as `peer.py`'s), and what our side received, checked message by message.

use std::collections::BTreeMap;
use std::time::Duration;

use wren_rtc::{ChannelId, ChannelOptions, Peer};

/// Our in-band channels and their options (aiortc opens `py-*` ones of the same kinds).
pub(crate) fn ours() -> Vec<(&'static str, ChannelOptions)> {
    vec![
        ("rs-reliable", ChannelOptions::reliable()),
        (
            "rs-unordered-rtx0",
            ChannelOptions {
                ordered: false,
                max_retransmits: Some(0),
                ..ChannelOptions::reliable()
            },
        ),
        (
            "rs-lifetime",
            ChannelOptions {
                max_packet_lifetime: Some(Duration::from_millis(LIFETIME_MS)),
                ..ChannelOptions::reliable()
            },
        ),
    ]
}

/// The lifetime of the `*-lifetime` channels' messages, in milliseconds (as `peer.py`).
pub(crate) const LIFETIME_MS: u64 = 3000;

/// The label of the channel both sides create with `negotiated`.
pub(crate) const NEGOTIATED: &str = "negotiated";

/// The channels whose every message must arrive, in order.
pub(crate) const RELIABLE: [&str; 3] = ["py-reliable", "rs-reliable", NEGOTIATED];

/// Every channel of a call.
pub(crate) const ALL: [&str; 7] = [
    "py-reliable",
    "py-unordered-rtx0",
    "py-lifetime",
    "rs-reliable",
    "rs-unordered-rtx0",
    "rs-lifetime",
    NEGOTIATED,
];

/// Message `i` of channel `label`: (binary, bytes). Even ones are strings, odd ones
/// binary; every 100th (from 99) is 64 KiB, the rest up to about 3 KB. `peer.py`'s
/// `message` makes the same bytes.
pub(crate) fn message(label: &str, i: usize) -> (bool, Vec<u8>) {
    let mut bytes = format!("{label}:{i}:").into_bytes();
    if i % 2 == 0 {
        bytes.extend(std::iter::repeat_n(b'x', i * 7 % 1000));
        return (false, bytes);
    }
    let size = if i % 100 == 99 { 65536 } else { i * 13 % 3000 };
    bytes.extend((0..size).map(|k| ((i + k) % 256) as u8));
    (true, bytes)
}

/// What one channel received.
#[derive(Debug, Default)]
pub(crate) struct Received {
    pub(crate) indices: Vec<usize>,
    pub(crate) strings: usize,
    pub(crate) binary: usize,
    /// Messages that were not exactly `message(label, i)` (or not of its kind).
    pub(crate) damaged: usize,
}

impl Received {
    /// Takes one message of channel `label`.
    pub(crate) fn take(&mut self, label: &str, binary: bool, data: &[u8]) {
        let index = data
            .splitn(3, |&b| b == b':')
            .nth(1)
            .and_then(|i| std::str::from_utf8(i).ok()?.parse::<usize>().ok());
        let Some(i) = index else {
            self.damaged += 1;
            return;
        };
        if message(label, i) != (binary, data.to_vec()) {
            self.damaged += 1;
        }
        self.indices.push(i);
        if binary {
            self.binary += 1;
        } else {
            self.strings += 1;
        }
    }

    /// Whether each message came after every message sent before it (some may be
    /// missing).
    pub(crate) fn increasing(&self) -> bool {
        self.indices.windows(2).all(|w| w[0] < w[1])
    }

    /// Whether the messages came as 0, 1, 2, ... with none missing or repeated.
    pub(crate) fn in_order(&self) -> bool {
        self.indices.iter().enumerate().all(|(k, &i)| k == i)
    }
}

/// Our sending on every open channel: `count` messages each, while SCTP holds less than
/// `BUDGET` bytes of all of them together, as an application watching `bufferedAmount`
/// would. Short buffers keep a message's time in our queue well under the lifetime of
/// the partially reliable channels.
#[derive(Debug, Default)]
pub(crate) struct Sender {
    /// Per open channel: its label and the next message to send.
    next: BTreeMap<ChannelId, (String, usize)>,
}

/// Bytes all channels together may have waiting in SCTP before we hold back.
const BUDGET: usize = 64 * 1024;

impl Sender {
    /// Starts sending on a channel that opened.
    pub(crate) fn open(&mut self, id: ChannelId, label: &str) {
        self.next.insert(id, (label.to_owned(), 0));
    }

    /// Sends what fits now, one message per channel in turn.
    pub(crate) fn pump(&mut self, peer: &mut Peer, now: std::time::Instant, count: usize) {
        let mut buffered: usize = self
            .next
            .iter()
            .map(|(&id, (label, _))| {
                peer.buffered_amount(id)
                    .unwrap_or_else(|e| panic!("{label}: {e}"))
            })
            .sum();
        let mut progress = true;
        while buffered < BUDGET && progress {
            progress = false;
            for (&id, (label, next)) in &mut self.next {
                if *next == count || buffered >= BUDGET {
                    continue;
                }
                let (binary, data) = message(label, *next);
                peer.send_channel(now, id, &data, binary)
                    .unwrap_or_else(|e| panic!("send {label} #{next}: {e}"));
                buffered += data.len();
                *next += 1;
                progress = true;
            }
        }
    }

    /// Messages sent so far on `label`.
    pub(crate) fn sent(&self, label: &str) -> usize {
        self.next
            .values()
            .find(|(l, _)| l == label)
            .map_or(0, |(_, n)| *n)
    }
}
