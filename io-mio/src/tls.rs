//! TLS over accepted TCP connections (`turns:`, RFC 8656 section 3.1; RFC 7350 for STUN):
//! the rustls server session sits between the socket and the stream buffers of `tcp.rs`.
//!
//! Reading is one `read_tls` per step, then `process_new_packets`, then whatever the
//! handshake has to answer is written, then every byte of decrypted plaintext is taken out of
//! rustls into the driver's receive buffer and framed as TCP's would be. Writing moves framed
//! plaintext from the connection's [`StreamWriter`] into rustls, as much as its send buffer
//! ([`SEND_BUFFER`]) takes, and the records rustls made to the socket, until either is empty
//! or the socket would block. No protocol is looked at here: rustls decides everything about
//! TLS, and this file only moves bytes between it and the socket.

use std::io::{self, Read, Write};

use mio::net::TcpStream;
use rustls::ServerConnection;
use wren_core::stream::StreamWriter;
use wren_io::{Disposition, disposition};

use crate::tcp::Close;

/// The most bytes of TLS records rustls holds for one connection before it takes no more
/// plaintext (`ServerConnection::set_buffer_limit`): one full record. The framed plaintext
/// behind it waits in the connection's [`StreamWriter`], bounded by the driver's
/// `tcp_buffer_limit` as on plain TCP.
pub(crate) const SEND_BUFFER: usize = 16 * 1024;

/// Writes what can be written: framed plaintext into the session, records to the socket,
/// until nothing is left or the socket would block.
pub(crate) fn flush(
    session: &mut ServerConnection,
    stream: &mut TcpStream,
    writer: &mut StreamWriter,
) -> Result<(), Close> {
    loop {
        if !writer.is_empty() {
            // Takes what fits under SEND_BUFFER (buffered until the handshake completes).
            let n = session
                .writer()
                .write(writer.pending())
                .map_err(Close::Io)?;
            writer.advance(n);
        }
        if !session.wants_write() {
            return Ok(());
        }
        match session.write_tls(stream) {
            Ok(0) => return Err(Close::Io(io::ErrorKind::WriteZero.into())),
            Ok(_) => {}
            Err(e) if disposition(&e) == Disposition::Wait => return Ok(()),
            Err(e) if disposition(&e) == Disposition::Retry => {}
            Err(e) => return Err(Close::Io(e)),
        }
    }
}

/// Reads once from the socket into the session, processes the records, writes what the
/// session has to send, and hands the decrypted bytes to `deliver` in pieces of at most
/// `rx.len()`. `Ok(true)` when something was read, `Ok(false)` when the socket had nothing.
///
/// A TLS failure (a bad record or handshake, a fatal alert from the peer) is
/// [`Close::Tls`]; the alert rustls then queued for the peer is sent by [`goodbye`].
pub(crate) fn read(
    session: &mut ServerConnection,
    stream: &mut TcpStream,
    writer: &mut StreamWriter,
    rx: &mut [u8],
    mut deliver: impl FnMut(&[u8]) -> Result<(), Close>,
) -> Result<bool, Close> {
    loop {
        match session.read_tls(stream) {
            Ok(0) => return Err(Close::Eof),
            Ok(_) => break,
            Err(e) if disposition(&e) == Disposition::Wait => return Ok(false),
            Err(e) if disposition(&e) == Disposition::Retry => {}
            Err(e) => return Err(Close::Io(e)),
        }
    }
    session
        .process_new_packets()
        .map_err(|e| Close::Tls(Box::new(e)))?;
    flush(session, stream, writer)?;
    // All of it, every time: rustls stops reading once too much plaintext waits.
    loop {
        match session.reader().read(rx) {
            // The peer's close_notify, and nothing left to read.
            Ok(0) => return Err(Close::Eof),
            Ok(n) => deliver(&rx[..n])?,
            Err(e) if disposition(&e) == Disposition::Wait => return Ok(true),
            Err(e) if disposition(&e) == Disposition::Retry => {}
            Err(e) => return Err(Close::Io(e)),
        }
    }
}

/// One try, without waiting, at sending what the peer should hear before the connection is
/// dropped: the alert rustls queued for a TLS failure, or our `close_notify` when we close
/// for our own reasons (framing, a buffer limit, a deadline, the machine's request). Nothing after an EOF or I/O error.
pub(crate) fn goodbye(session: &mut ServerConnection, stream: &mut TcpStream, why: &Close) {
    match why {
        Close::Eof | Close::Io(_) | Close::Connect(_) => return,
        Close::Framing(_)
        | Close::Overflow
        | Close::TotalOverflow
        | Close::FirstMessageDeadline
        | Close::HandshakeDeadline
        | Close::Requested => session.send_close_notify(),
        Close::Tls(_) => {}
    }
    if session.wants_write() {
        let _ = session.write_tls(stream);
    }
}
