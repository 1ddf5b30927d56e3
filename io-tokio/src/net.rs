//! Every socket of the driver, polled together from one task.

use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use tokio::io::ReadBuf;
use tokio::net::{TcpListener, TcpStream};

use crate::tcp::{Conns, Step};
use crate::udp::Udp;

/// What one of the sockets had to say.
pub(crate) enum Io {
    /// A datagram is in the receive buffer.
    Udp {
        sock: usize,
        len: usize,
        source: SocketAddr,
    },
    /// Receiving on a UDP socket failed.
    UdpError { sock: usize, error: io::Error },
    /// A listener accepted a connection.
    Accepted {
        stream: TcpStream,
        remote: SocketAddr,
    },
    /// A listener failed to accept one.
    AcceptError { error: io::Error },
    /// A connection made progress.
    Tcp { slot: usize, step: Step },
}

/// The sockets: UDP, listeners, connections.
#[derive(Default)]
pub(crate) struct Net {
    pub(crate) udp: Vec<Udp>,
    pub(crate) listeners: Vec<TcpListener>,
    pub(crate) conns: Conns,
    /// Where the next poll starts, so that a busy socket cannot starve the others.
    cursor: usize,
}

impl Net {
    /// Polls the sockets in turn from the cursor; the first with something to say wins.
    ///
    /// Received bytes go into `rx`. Every socket that returns `Pending` has registered the
    /// task's waker, so nothing is missed until the next call.
    pub(crate) fn poll_io(&mut self, cx: &mut Context<'_>, rx: &mut [u8]) -> Poll<Io> {
        let (udp, listeners) = (self.udp.len(), self.listeners.len());
        let total = udp + listeners + self.conns.slots();
        for i in 0..total {
            let source = (self.cursor + i) % total;
            let io = if source < udp {
                self.poll_udp(cx, source, rx)
            } else if source < udp + listeners {
                match self.listeners[source - udp].poll_accept(cx) {
                    Poll::Ready(Ok((stream, remote))) => {
                        Poll::Ready(Io::Accepted { stream, remote })
                    }
                    Poll::Ready(Err(error)) => Poll::Ready(Io::AcceptError { error }),
                    Poll::Pending => Poll::Pending,
                }
            } else {
                let slot = source - udp - listeners;
                match self.conns.get_mut(slot) {
                    Some(conn) => conn.poll(cx, rx).map(|step| Io::Tcp { slot, step }),
                    None => Poll::Pending,
                }
            };
            if io.is_ready() {
                self.cursor = source + 1;
                return io;
            }
        }
        Poll::Pending
    }

    fn poll_udp(&mut self, cx: &mut Context<'_>, sock: usize, rx: &mut [u8]) -> Poll<Io> {
        let mut buf = ReadBuf::new(rx);
        self.udp[sock]
            .sock
            .poll_recv_from(cx, &mut buf)
            .map(|r| match r {
                Ok(source) => Io::Udp {
                    sock,
                    len: buf.filled().len(),
                    source,
                },
                Err(error) => Io::UdpError { sock, error },
            })
    }
}
