//! TCP connections, accepted or opened on demand. Their framing and buffers are
//! [`wren_core::stream`]'s (STUN/ChannelData, RFC 8489 section 6.2.2 and RFC 8656
//! section 12.5, or RFC 4571 length prefixes); here is only the socket.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use wren_core::framing::Framing;
use wren_core::stream::{Connections, StreamReader, WriteError};
pub(crate) use wren_io::Close;
use wren_io::Outbox;

/// A connect in progress (one allocation per connection, none per packet).
pub(crate) type Connecting = Pin<Box<dyn Future<Output = io::Result<TcpStream>> + Send>>;

enum Link {
    Connecting(Connecting),
    Open(TcpStream),
}

/// What polling a connection gave.
pub(crate) enum Step {
    /// An outgoing connect completed.
    Connected,
    /// This many bytes were read into the receive buffer.
    Data(usize),
    /// The connection is finished and must be removed.
    Closed(Close),
}

/// One TCP connection: its stream, the partial frame read so far, bytes not yet written.
pub(crate) struct Conn {
    link: Link,
    pub(crate) remote: SocketAddr,
    /// The local address, known once connected.
    pub(crate) local: Option<SocketAddr>,
    /// The partial message read so far.
    pub(crate) reader: StreamReader,
    /// The framed bytes to write, and the frames queued while connecting.
    pub(crate) out: Outbox,
    /// Whether it has delivered a message to the machine: then its close is reported
    /// ([`wren_core::SocketResult::Disconnected`]).
    pub(crate) delivered: bool,
    /// Accepted and admitted ([`wren_io::Admission`]): released when it closes.
    pub(crate) admitted: bool,
    /// Told apart from a later connection in the same slot (its deadline's key).
    pub(crate) serial: u64,
}

impl Conn {
    /// An established connection (accepted or handed in).
    pub(crate) fn open(stream: TcpStream, remote: SocketAddr, local: SocketAddr) -> Conn {
        let _ = stream.set_nodelay(true);
        Conn::new(Link::Open(stream), remote, Some(local))
    }

    /// A connection being opened to `remote`.
    pub(crate) fn connecting(remote: SocketAddr) -> Conn {
        Conn::new(
            Link::Connecting(Box::pin(TcpStream::connect(remote))),
            remote,
            None,
        )
    }

    fn new(link: Link, remote: SocketAddr, local: Option<SocketAddr>) -> Conn {
        Conn {
            link,
            remote,
            local,
            reader: StreamReader::new(),
            out: Outbox::default(),
            delivered: false,
            admitted: false,
            serial: 0,
        }
    }

    /// Finishes a connect, writes queued bytes, then reads into `rx`.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>, rx: &mut [u8]) -> Poll<Step> {
        let stream = match &mut self.link {
            Link::Open(stream) => stream,
            Link::Connecting(fut) => {
                let step = match ready!(fut.as_mut().poll(cx)) {
                    Err(e) => Step::Closed(Close::Connect(e)),
                    Ok(stream) => match stream.local_addr() {
                        Err(e) => Step::Closed(Close::Io(e)),
                        Ok(local) => {
                            let _ = stream.set_nodelay(true);
                            self.local = Some(local);
                            self.link = Link::Open(stream);
                            self.out.connected();
                            Step::Connected
                        }
                    },
                };
                return Poll::Ready(step);
            }
        };
        while !self.out.writer.is_empty() {
            match Pin::new(&mut *stream).poll_write(cx, self.out.writer.pending()) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Step::Closed(Close::Io(io::ErrorKind::WriteZero.into())));
                }
                Poll::Ready(Ok(n)) => self.out.writer.advance(n),
                Poll::Ready(Err(e)) => return Poll::Ready(Step::Closed(Close::Io(e))),
                Poll::Pending => break,
            }
        }
        let mut buf = ReadBuf::new(rx);
        Poll::Ready(match ready!(Pin::new(stream).poll_read(cx, &mut buf)) {
            Ok(()) if buf.filled().is_empty() => Step::Closed(Close::Eof),
            Ok(()) => Step::Data(buf.filled().len()),
            Err(e) => Step::Closed(Close::Io(e)),
        })
    }

    /// Queues one message for sending, framed ([`Outbox::queue`]).
    pub(crate) fn queue(
        &mut self,
        framing: Framing,
        msg: &[u8],
        limit: usize,
    ) -> Result<(), WriteError> {
        let connecting = matches!(self.link, Link::Connecting(_));
        self.out.queue(framing, msg, limit, connecting)
    }
}

/// The connections, in slots (stable indices for polling) and by remote address.
pub(crate) type Conns = Connections<Conn>;
