//! TCP connections, accepted or opened on demand, plain or TLS. Their framing and buffers
//! are [`wren_core::stream`]'s (STUN/ChannelData, RFC 8489 section 6.2.2 and RFC 8656
//! section 12.5, or RFC 4571 length prefixes); here is only the socket, and for a TLS
//! connection the rustls session between the two (`tls.rs`).

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use mio::net::{TcpListener, TcpStream};
use rustls::{ServerConfig, ServerConnection};
use wren_core::Transport;
use wren_core::framing::Framing;
use wren_core::stream::{Connections, StreamReader, WriteError};
pub(crate) use wren_io::Close;
use wren_io::{Backoff, Disposition, Outbox, disposition};

use crate::tls;

/// A listener, and the TLS configuration of the connections it accepts (`None`: plain TCP).
#[derive(Debug)]
pub(crate) struct Listener {
    pub(crate) sock: TcpListener,
    pub(crate) tls: Option<Arc<ServerConfig>>,
    /// Whether accepting is paused after an accept error, and until when.
    pub(crate) backoff: Backoff,
}

/// One TCP connection: its stream, the partial frame read so far, bytes not yet written,
/// and its TLS session when it was accepted on a TLS listener.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
    pub(crate) remote: SocketAddr,
    /// The local address, known once connected.
    pub(crate) local: Option<SocketAddr>,
    connecting: bool,
    /// The partial message read so far.
    pub(crate) reader: StreamReader,
    /// The framed bytes to write, and the frames queued while connecting.
    pub(crate) out: Outbox,
    /// The TLS session: what is read is decrypted before framing, what is framed is
    /// encrypted before writing.
    tls: Option<Box<ServerConnection>>,
    /// Told apart from a later connection in the same slot (its deadlines' keys).
    pub(crate) serial: u64,
    /// Accepted and admitted ([`wren_io::Admission`]): released when it closes.
    pub(crate) admitted: bool,
    /// Whether it has delivered a message to the machine: then its close is reported
    /// ([`wren_core::SocketResult::Disconnected`]).
    pub(crate) delivered: bool,
    /// The bytes it buffers, as last added to the driver's total.
    pub(crate) accounted: usize,
}

impl Conn {
    /// An established connection (accepted or handed in).
    pub(crate) fn open(stream: TcpStream, remote: SocketAddr, local: SocketAddr) -> Conn {
        let _ = stream.set_nodelay(true);
        Conn::new(stream, remote, Some(local), false)
    }

    /// An accepted connection on a TLS listener, whose handshake is still to come.
    pub(crate) fn open_tls(
        stream: TcpStream,
        remote: SocketAddr,
        local: SocketAddr,
        mut session: ServerConnection,
    ) -> Conn {
        session.set_buffer_limit(Some(tls::SEND_BUFFER));
        Conn {
            tls: Some(Box::new(session)),
            ..Conn::open(stream, remote, local)
        }
    }

    /// A connection whose non-blocking connect to `remote` is in progress.
    pub(crate) fn connecting(stream: TcpStream, remote: SocketAddr) -> Conn {
        Conn::new(stream, remote, None, true)
    }

    fn new(
        stream: TcpStream,
        remote: SocketAddr,
        local: Option<SocketAddr>,
        connecting: bool,
    ) -> Conn {
        Conn {
            stream,
            remote,
            local,
            connecting,
            reader: StreamReader::new(),
            out: Outbox::default(),
            tls: None,
            serial: 0,
            admitted: false,
            delivered: false,
            accounted: 0,
        }
    }

    /// The bytes it buffers: the partial message read, the framed bytes not yet written
    /// (for TLS: not yet encrypted).
    pub(crate) fn buffered(&self) -> usize {
        self.reader.buffered() + self.out.writer.pending().len()
    }

    /// What its messages arrive and leave on: [`Transport::Tls`] or [`Transport::Tcp`].
    pub(crate) fn transport(&self) -> Transport {
        if self.tls.is_some() {
            Transport::Tls
        } else {
            Transport::Tcp
        }
    }

    /// Whether this is a TLS connection whose handshake has not completed.
    pub(crate) fn is_handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.is_handshaking())
    }

    /// Whether the connect is still in progress.
    pub(crate) fn is_connecting(&self) -> bool {
        self.connecting
    }

    /// After an event on a connecting stream: `Ok(true)` once it is established (the way
    /// mio documents it: `take_error`, then `peer_addr`).
    pub(crate) fn finish_connect(&mut self) -> Result<bool, Close> {
        match self.stream.take_error() {
            Ok(Some(e)) | Err(e) => return Err(Close::Connect(e)),
            Ok(None) => {}
        }
        match self.stream.peer_addr() {
            Ok(_) => {
                self.local = Some(self.stream.local_addr().map_err(Close::Io)?);
                let _ = self.stream.set_nodelay(true);
                self.connecting = false;
                self.out.connected();
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(Close::Connect(e)),
        }
    }

    /// Writes queued bytes until none are left or the socket would block (through the TLS
    /// session when there is one).
    pub(crate) fn flush(&mut self) -> Result<(), Close> {
        if let Some(session) = &mut self.tls {
            return tls::flush(session, &mut self.stream, &mut self.out.writer);
        }
        while !self.out.writer.is_empty() && !self.connecting {
            match self.stream.write(self.out.writer.pending()) {
                Ok(0) => return Err(Close::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => self.out.writer.advance(n),
                Err(e) if disposition(&e) == Disposition::Wait => break,
                Err(e) if disposition(&e) == Disposition::Retry => {}
                Err(e) => return Err(Close::Io(e)),
            }
        }
        Ok(())
    }

    /// Reads once from the socket (through the TLS session when there is one) and hands
    /// every complete message to `deliver`, in order. `Ok(true)` when something was read
    /// (more may be waiting), `Ok(false)` when nothing was.
    pub(crate) fn read_messages(
        &mut self,
        rx: &mut [u8],
        framing: Framing,
        limit: usize,
        mut deliver: impl FnMut(&[u8]),
    ) -> Result<bool, Close> {
        let Some(session) = &mut self.tls else {
            let Some(n) = self.read(rx)? else {
                return Ok(false);
            };
            self.reader.feed(&rx[..n], framing, limit, deliver)?;
            return Ok(true);
        };
        let reader = &mut self.reader;
        tls::read(
            session,
            &mut self.stream,
            &mut self.out.writer,
            rx,
            |plain| {
                reader
                    .feed(plain, framing, limit, &mut deliver)
                    .map_err(Close::from)
            },
        )
    }

    /// Before a TLS connection is dropped: sends what rustls has for the peer (the alert of
    /// a TLS failure, or a `close_notify` when we close it), once, without waiting.
    pub(crate) fn goodbye(&mut self, why: &Close) {
        if let Some(session) = &mut self.tls {
            tls::goodbye(session, &mut self.stream, why);
        }
    }

    /// Reads once into `rx`: `Ok(Some(n))` bytes, `Ok(None)` if nothing is waiting.
    fn read(&mut self, rx: &mut [u8]) -> Result<Option<usize>, Close> {
        loop {
            return match self.stream.read(rx) {
                Ok(0) => Err(Close::Eof),
                Ok(n) => Ok(Some(n)),
                Err(e) if disposition(&e) == Disposition::Wait => Ok(None),
                Err(e) if disposition(&e) == Disposition::Retry => continue,
                Err(e) if self.connecting => Err(Close::Connect(e)),
                Err(e) => Err(Close::Io(e)),
            };
        }
    }

    /// Queues one message for sending, framed ([`Outbox::queue`]).
    pub(crate) fn queue(
        &mut self,
        framing: Framing,
        msg: &[u8],
        limit: usize,
    ) -> Result<(), WriteError> {
        self.out.queue(framing, msg, limit, self.connecting)
    }
}

/// The connections, in slots (a slot is part of the connection's mio token) and by remote.
pub(crate) type Conns = Connections<Conn>;
