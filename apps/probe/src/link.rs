//! One connection to one server, driving one sans-IO machine: UDP datagrams, or a TCP or
//! TLS stream framed as RFC 8489 section 6.2.2 and RFC 8656 section 12.5 say (with
//! [`wren_core::stream`]).
//!
//! The loop is the one of every Wren adapter: [`Link::flush`] drains what the machine
//! wants to send, the caller drains its events, and [`Link::wait`] sleeps until input or
//! the machine's next deadline and feeds it.

use std::future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio_rustls::TlsConnector;
use wren_core::framing::Framing;
use wren_core::stream::{StreamReader, StreamWriter};
use wren_core::{Datagram, Machine, Transport};

use crate::failure::Failure;
use crate::uri::UriTransport;

/// The most bytes of a partial message kept from a stream (a STUN message is at most
/// 64 KiB plus its header).
const READ_LIMIT: usize = 65_536 + 20;
/// The most bytes waiting to be written on a stream.
const WRITE_LIMIT: usize = 256 * 1024;

/// A byte stream: TCP, or TLS over TCP.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// The socket under a [`Link`].
enum Socket {
    Udp(UdpSocket),
    Stream {
        io: Box<dyn Stream>,
        reader: StreamReader,
        writer: StreamWriter,
    },
}

/// TLS settings for a stream: the client configuration and the name to verify.
pub struct TlsTarget {
    /// The rustls configuration (roots, or no verification with `--insecure`).
    pub config: Arc<rustls::ClientConfig>,
    /// The server's name or IP address, as the certificate must carry it.
    pub name: rustls::pki_types::ServerName<'static>,
}

/// One connection to a server and the buffers to drive a machine over it.
pub struct Link {
    socket: Socket,
    local: SocketAddr,
    server: SocketAddr,
    rx: Vec<u8>,
    tx: Vec<u8>,
}

impl Link {
    /// Opens a connection to `server`: binds a UDP socket of the server's family, or
    /// connects over TCP and, for [`UriTransport::Tls`], makes the TLS handshake with `tls`.
    pub async fn open(
        transport: UriTransport,
        server: SocketAddr,
        tls: Option<TlsTarget>,
    ) -> Result<Link, Failure> {
        let (socket, local) = match transport {
            UriTransport::Udp => {
                let any = match server.ip() {
                    IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                    IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                };
                let udp = UdpSocket::bind((any, 0)).await.map_err(Failure::Io)?;
                let local = udp.local_addr().map_err(Failure::Io)?;
                (Socket::Udp(udp), local)
            }
            UriTransport::Tcp | UriTransport::Tls => {
                let tcp =
                    TcpStream::connect(server)
                        .await
                        .map_err(|e| match Failure::from_io(e) {
                            Failure::Io(e) => Failure::Connect(e),
                            other => other,
                        })?;
                let _ = tcp.set_nodelay(true);
                let local = tcp.local_addr().map_err(Failure::Io)?;
                let io: Box<dyn Stream> = match (transport, tls) {
                    (UriTransport::Tls, Some(tls)) => {
                        let connector = TlsConnector::from(tls.config);
                        let stream = connector
                            .connect(tls.name, tcp)
                            .await
                            .map_err(Failure::from_io)?;
                        Box::new(stream)
                    }
                    (UriTransport::Tls, None) => {
                        return Err(Failure::Local("no TLS configuration".into()));
                    }
                    _ => Box::new(tcp),
                };
                let socket = Socket::Stream {
                    io,
                    reader: StreamReader::default(),
                    writer: StreamWriter::new(),
                };
                (socket, local)
            }
        };
        Ok(Link {
            socket,
            local,
            server,
            rx: vec![0; 65_536],
            tx: Vec::with_capacity(1500),
        })
    }

    /// The transport the machines speak on this link: UDP, or TCP for a TCP or TLS stream
    /// (TLS is taken off below them).
    #[must_use]
    pub fn proto(&self) -> Transport {
        match self.socket {
            Socket::Udp(_) => Transport::Udp,
            Socket::Stream { .. } => Transport::Tcp,
        }
    }

    /// The local address: the base of the candidates gathered over this link.
    #[must_use]
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// The server's address.
    #[must_use]
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// Sends everything `m` wants to send now.
    pub async fn flush<M: Machine>(&mut self, m: &mut M) -> Result<(), Failure> {
        let now = Instant::now();
        loop {
            self.tx.clear();
            let Some(t) = m.poll_transmit(now, &mut self.tx) else {
                break;
            };
            match &mut self.socket {
                Socket::Udp(udp) => {
                    // A lost datagram is the machine's to retransmit; only say why when
                    // the socket itself is broken.
                    if let Err(e) = udp.send_to(&self.tx, t.destination).await {
                        if e.kind() != std::io::ErrorKind::WouldBlock {
                            return Err(Failure::from_io(e));
                        }
                    }
                }
                Socket::Stream { writer, .. } => writer
                    .queue(Framing::StunChannelData, &self.tx, WRITE_LIMIT)
                    .map_err(|e| Failure::Local(e.to_string()))?,
            }
        }
        if let Socket::Stream { io, writer, .. } = &mut self.socket {
            if !writer.is_empty() {
                io.write_all(writer.pending())
                    .await
                    .map_err(Failure::from_io)?;
                io.flush().await.map_err(Failure::from_io)?;
                let n = writer.pending().len();
                writer.advance(n);
            }
        }
        Ok(())
    }

    /// Waits for input from the server or for `m`'s next deadline, and feeds it to `m`.
    pub async fn wait<M: Machine>(&mut self, m: &mut M) -> Result<(), Failure> {
        let deadline = m.poll_timeout();
        let sleep = async move {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => future::pending().await,
            }
        };
        let (local, server) = (self.local, self.server);
        match &mut self.socket {
            Socket::Udp(udp) => {
                tokio::select! {
                    r = udp.recv_from(&mut self.rx) => {
                        let (n, from) = r.map_err(Failure::from_io)?;
                        let d = Datagram::udp(from, local, &self.rx[..n]);
                        // Network garbage is the machine's to count and drop.
                        m.handle_datagram(Instant::now(), d);
                    }
                    () = sleep => m.handle_timeout(Instant::now()),
                }
            }
            Socket::Stream { io, reader, .. } => {
                tokio::select! {
                    r = io.read(&mut self.rx) => {
                        let n = r.map_err(Failure::from_io)?;
                        if n == 0 {
                            return Err(Failure::Closed);
                        }
                        let now = Instant::now();
                        reader
                            .feed(&self.rx[..n], Framing::StunChannelData, READ_LIMIT, |msg| {
                                m.handle_datagram(now, Datagram::tcp(server, local, msg));
                            })
                            .map_err(Failure::Garbage)?;
                    }
                    () = sleep => m.handle_timeout(Instant::now()),
                }
            }
        }
        Ok(())
    }
}
