//! The real TURN setup of one load client, written with wren-stun's `MessageWriter`:
//! Allocate (401 challenge, then authenticated), then ChannelBind to the sink peer (which
//! also installs the permission). Blocking, with retransmissions, bounded in time.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use wren_stun::attr::{
    ChannelNumber, ErrorCode, Nonce, Realm, RequestedTransport, Username, XorPeerAddress,
    XorRelayedAddress,
};
use wren_stun::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};

/// The long-term credentials both TURN servers are started with.
pub(crate) const USER: &str = "test";
pub(crate) const PASSWORD: &str = "secret";
pub(crate) const REALM: &str = "example.org";

/// Transaction ids: a splitmix64 sequence, enough for a benchmark's few hundred requests.
pub(crate) struct Ids(u64);

impl Ids {
    pub(crate) fn new(seed: u64) -> Ids {
        Ids(seed)
    }

    fn next(&mut self) -> TransactionId {
        let mut id = [0u8; 12];
        for chunk in id.chunks_mut(8) {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_be_bytes()[..chunk.len()]);
        }
        TransactionId(id)
    }
}

/// The realm, nonce and key of an authenticated session.
struct Auth {
    realm: String,
    nonce: String,
    key: Key,
}

/// Sends `request` on connected `sock` until a response with its transaction id comes
/// (5 tries, 300 ms apart); returns the response's bytes.
fn transact(sock: &UdpSocket, request: &[u8], tid: TransactionId) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; 2048];
    sock.set_read_timeout(Some(Duration::from_millis(300)))
        .map_err(|e| e.to_string())?;
    for _ in 0..5 {
        sock.send(request).map_err(|e| format!("send: {e}"))?;
        // Skip anything else (a late answer to an earlier try) until the timeout.
        for _ in 0..16 {
            let Ok(n) = sock.recv(&mut buf) else { break };
            if let Ok(m) = Message::parse(&buf[..n])
                && m.transaction_id() == tid
                && m.class().is_response()
            {
                buf.truncate(n);
                return Ok(buf);
            }
        }
    }
    Err("no response after 5 tries".into())
}

fn error_code(m: &Message<'_>) -> u16 {
    m.get::<ErrorCode<'_>>()
        .ok()
        .flatten()
        .map_or(0, |e| e.code.code())
}

/// One authenticated request of `method`, its attributes written by `attrs`; retried once
/// with the new nonce on 438 (Stale Nonce).
fn request(
    sock: &UdpSocket,
    ids: &mut Ids,
    auth: &mut Auth,
    method: Method,
    attrs: &dyn Fn(&mut MessageWriter<'_>) -> Result<(), wren_stun::Error>,
) -> Result<Vec<u8>, String> {
    for _ in 0..2 {
        let tid = ids.next();
        let mut out = Vec::with_capacity(256);
        let mut w = MessageWriter::new(&mut out, MessageType::new(Class::Request, method), tid);
        let e = |e: wren_stun::Error| e.to_string();
        attrs(&mut w).map_err(e)?;
        w.add(&Username(USER)).map_err(e)?;
        w.add(&Realm(&auth.realm)).map_err(e)?;
        w.add(&Nonce(&auth.nonce)).map_err(e)?;
        w.add_message_integrity(&auth.key).map_err(e)?;
        w.add_fingerprint().map_err(e)?;
        w.finish();
        let resp = transact(sock, &out, tid)?;
        let m = Message::parse(&resp).map_err(|e| e.to_string())?;
        match (m.class(), error_code(&m)) {
            (Class::SuccessResponse, _) => return Ok(resp),
            (_, 438) => {
                auth.nonce = m
                    .require::<Nonce<'_>>()
                    .map_err(|e| e.to_string())?
                    .0
                    .to_owned();
            }
            (_, code) => return Err(format!("{method} refused with {code}")),
        }
    }
    Err(format!("{method}: stale nonce twice"))
}

/// Allocates on the server `sock` is connected to and binds `channel` to `peer`; returns
/// the relayed address.
pub(crate) fn allocate_channel(
    sock: &UdpSocket,
    ids: &mut Ids,
    peer: SocketAddr,
    channel: u16,
) -> Result<SocketAddr, String> {
    // 1. Allocate without credentials: the 401 brings realm and nonce.
    let tid = ids.next();
    let mut out = Vec::with_capacity(64);
    let mut w = MessageWriter::new(
        &mut out,
        MessageType::new(Class::Request, Method::ALLOCATE),
        tid,
    );
    w.add(&RequestedTransport::UDP).map_err(|e| e.to_string())?;
    w.add_fingerprint().map_err(|e| e.to_string())?;
    w.finish();
    let resp = transact(sock, &out, tid)?;
    let m = Message::parse(&resp).map_err(|e| e.to_string())?;
    if error_code(&m) != 401 {
        return Err(format!(
            "first Allocate: expected 401, got {:?} {}",
            m.class(),
            error_code(&m)
        ));
    }
    let realm = m.require::<Realm<'_>>().map_err(|e| e.to_string())?.0;
    if realm != REALM {
        return Err(format!("unexpected realm {realm:?}"));
    }
    let mut auth = Auth {
        realm: realm.to_owned(),
        nonce: m
            .require::<Nonce<'_>>()
            .map_err(|e| e.to_string())?
            .0
            .to_owned(),
        key: Key::long_term(USER, realm, PASSWORD).map_err(|e| e.to_string())?,
    };
    // 2. Allocate with credentials.
    let resp = request(sock, ids, &mut auth, Method::ALLOCATE, &|w| {
        w.add(&RequestedTransport::UDP)
    })?;
    let m = Message::parse(&resp).map_err(|e| e.to_string())?;
    let relayed = m
        .require::<XorRelayedAddress>()
        .map_err(|e| e.to_string())?
        .0;
    // 3. ChannelBind (installs the permission for the peer too).
    request(sock, ids, &mut auth, Method::CHANNEL_BIND, &|w| {
        w.add(&ChannelNumber(channel))?;
        w.add(&XorPeerAddress(peer))
    })?;
    Ok(relayed)
}

/// A ChannelData message: `channel`, then `payload_len` bytes (a multiple of 4 needs no
/// padding over UDP).
pub(crate) fn channel_data(channel: u16, payload_len: usize) -> Vec<u8> {
    let mut frame = Vec::with_capacity(4 + payload_len);
    frame.extend_from_slice(&channel.to_be_bytes());
    frame.extend_from_slice(&(payload_len as u16).to_be_bytes());
    frame.extend((0..payload_len).map(|i| (i % 251) as u8));
    frame
}
