//! The data channel commands (RFC 8831, RFC 8832) of a [`Peer`], and how SCTP's packets
//! leave: each one DTLS application data record (RFC 8261 section 3), framed by ICE.

use std::time::Instant;

use super::Peer;
use crate::{ChannelId, ChannelOptions, DataStats, Error};

impl Peer {
    /// Creates a data channel. In band (no `options.negotiated`): its id is the next free
    /// one of our parity (even for the DTLS client, odd for the server: RFC 8832 section
    /// 6), and DATA_CHANNEL_OPEN goes once SCTP is up; [`crate::Event::ChannelOpen`] comes
    /// with the peer's ACK. Negotiated: the peer creates it too, with the same id, and it
    /// opens with SCTP. Channels may be created before DTLS connects.
    ///
    /// # Errors
    ///
    /// [`Error::Channel`]: an id in use or reserved, both reliability limits, a label too
    /// long, no free id, or the association gone; [`Error::Closed`].
    pub fn create_channel(
        &mut self,
        now: Instant,
        label: &str,
        options: ChannelOptions,
    ) -> Result<ChannelId, Error> {
        let _ = now;
        if self.closed {
            return Err(Error::Closed);
        }
        Ok(self.data.create(label, options)?)
    }

    /// Sends one message on an open channel: binary, or a UTF-8 string (the bytes are sent
    /// as given; PPID 51 tells the peer they are text).
    ///
    /// # Errors
    ///
    /// [`Error::Channel`]: an unknown or not yet open channel, a message larger than the
    /// peer's max-message-size ([`crate::ChannelError::TooLarge`]), SCTP's refusal;
    /// [`Error::Closed`].
    pub fn send_channel(
        &mut self,
        now: Instant,
        id: ChannelId,
        data: &[u8],
        binary: bool,
    ) -> Result<(), Error> {
        let _ = now;
        if self.closed {
            return Err(Error::Closed);
        }
        Ok(self.data.send(id, data, binary)?)
    }

    /// Closes a channel: its stream is reset (RFC 8831 section 6.7); each side sees
    /// [`crate::Event::ChannelClosed`].
    ///
    /// # Errors
    ///
    /// [`Error::Channel`] for an unknown channel.
    pub fn close_channel(&mut self, now: Instant, id: ChannelId) -> Result<(), Error> {
        let _ = now;
        Ok(self.data.close(id)?)
    }

    /// The bytes sent on a channel that SCTP holds still (W3C `bufferedAmount`).
    ///
    /// # Errors
    ///
    /// [`Error::Channel`] for an unknown channel.
    pub fn buffered_amount(&mut self, id: ChannelId) -> Result<usize, Error> {
        Ok(self.data.buffered_amount(id)?)
    }

    /// Sets a channel's low-water mark: [`crate::Event::ChannelBufferedLow`] comes when its
    /// buffered amount falls to it (W3C `bufferedAmountLowThreshold`; default 0).
    ///
    /// # Errors
    ///
    /// [`Error::Channel`] for an unknown channel.
    pub fn set_buffered_low_threshold(&mut self, id: ChannelId, bytes: usize) -> Result<(), Error> {
        Ok(self.data.set_buffered_low_threshold(id, bytes)?)
    }

    /// The data channels' counters.
    #[must_use]
    pub fn data_stats(&self) -> DataStats {
        self.data.stats()
    }

    /// The next SCTP packet sealed as a DTLS record into the peer's scratch buffer.
    pub(super) fn seal_sctp(&mut self, now: Instant) -> bool {
        while let Some(packet) = self.data.poll_transmit(now) {
            if self.security.seal(&packet, &mut self.scratch) {
                return true;
            }
        }
        false
    }
}

#[cfg(feature = "fuzzing")]
impl Peer {
    /// Feeds `packet` to the data channels as if a DTLS application data record brought
    /// it (for fuzz/ and hostile-input tests; not a stable API).
    #[doc(hidden)]
    pub fn fuzz_sctp_packet(&mut self, now: Instant, packet: &[u8]) {
        self.data.fuzz_packet(now, packet);
    }

    /// Sends `bytes` as one SCTP user message with PPID `ppi` on stream `stream`, past
    /// every check (for fuzz/ and hostile-input tests; not a stable API).
    #[doc(hidden)]
    pub fn fuzz_send_raw(&mut self, stream: u16, ppi: u32, bytes: &[u8]) -> bool {
        self.data.fuzz_send_raw(stream, ppi, bytes)
    }
}
