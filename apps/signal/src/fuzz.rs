//! Entry points for the fuzz targets in `fuzz/` (not a public API).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::channel_arn::ChannelArn;
use crate::client_id::ClientId;
use crate::core::{
    ClusterOutput, Config, ConnId, ForwardFailure, Output, Registry, Role, Signaling,
};
use crate::message::inbound::{self, Inbound};
use crate::message::outbound;

/// Any bytes as a client message: parsing never panics, and a message that parses is
/// delivered under the sender the server names, whatever fields it carried.
pub fn message(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = inbound::correlation_id_of(&text);
    if let Ok(m) = Inbound::parse(&text) {
        let sender = ClientId::new("fuzz-sender").unwrap_or_else(|_| unreachable!());
        let out: serde_json::Value = serde_json::from_str(&outbound::delivery(Some(&sender), &m))
            .unwrap_or_else(|_| unreachable!("the server writes JSON"));
        assert_eq!(out["senderClientId"], "fuzz-sender");
        assert_eq!(out["messageType"], m.action.as_str());
        let out: serde_json::Value = serde_json::from_str(&outbound::delivery(None, &m))
            .unwrap_or_else(|_| unreachable!("the server writes JSON"));
        assert!(
            out.get("senderClientId").is_none(),
            "no sender for the master"
        );
    }
}

/// Bytes read as a sequence of operations on one machine: connects (to one of three
/// channels, one of which does not exist, as master or one of four viewers), messages (the
/// following bytes as text), activity, disconnects, time passing, drains, channel deletes
/// and creates; clustered (when the first byte's high bit is set) also messages from other
/// nodes, evictions and failed forwards. Never panics, the machine only ever sends to
/// connections it accepted, it keeps no timer once no one is connected, and what it tells
/// the cluster is consistent: a leave only for a connection that joined, a forward only
/// from an accepted connection.
pub fn machine(data: &[u8]) {
    let config = Config {
        max_viewers: 3,
        clustered: data.first().is_some_and(|b| b & 0x80 != 0),
        ..Config::default()
    };
    let mut s = Signaling::new(config, Registry::new("us-west-2", "000000000000", 4));
    let mut arns = Vec::new();
    for name in ["a", "b"] {
        if let Ok(c) = s.create_channel(name, 1) {
            arns.push(c.arn);
        }
    }
    let ghost =
        ChannelArn::new("us-west-2", "000000000000", "ghost", 1).unwrap_or_else(|_| unreachable!());
    arns.push(ghost);
    let mut now = Instant::now();
    let mut accepted: HashSet<ConnId> = HashSet::new();
    let mut joined: HashSet<ConnId> = HashSet::new();
    let mut i = 0;
    let byte = |i: &mut usize| {
        let b = data.get(*i).copied().unwrap_or(0);
        *i += 1;
        b
    };
    while i < data.len() {
        let op = byte(&mut i);
        let conn = ConnId(u64::from(byte(&mut i) % 16));
        match op % 12 {
            0 => {
                let arn = &arns[usize::from(byte(&mut i)) % arns.len()];
                let role = role_of(byte(&mut i));
                if s.connect(now, conn, arn, role).is_ok() {
                    accepted.insert(conn);
                }
            }
            1 => {
                let len = usize::from(byte(&mut i));
                let end = (i + len).min(data.len());
                let text = String::from_utf8_lossy(&data[i.min(end)..end]).into_owned();
                i = end;
                s.handle_message(now, conn, &text);
            }
            2 => s.handle_activity(now, conn),
            3 => s.disconnect(conn),
            4 => {
                now += Duration::from_secs(u64::from(byte(&mut i)) * 30);
                s.handle_timeout(now);
            }
            5 => s.drain(now),
            6 => {
                let arn = arns[usize::from(byte(&mut i)) % arns.len()].clone();
                let _ = s.delete_channel(&arn);
            }
            7 => {
                let name = format!("c{}", byte(&mut i) % 4);
                if let Ok(c) = s.create_channel(&name, 2) {
                    arns.push(c.arn);
                }
            }
            8 => s.reconnect_ice_servers(),
            9 => {
                let arn = arns[usize::from(byte(&mut i)) % arns.len()].clone();
                let role = role_of(byte(&mut i));
                s.handle_remote_message(&arn, &role, "{}".to_owned());
            }
            10 => {
                let arn = arns[usize::from(byte(&mut i)) % arns.len()].clone();
                let role = role_of(byte(&mut i));
                s.handle_evict(&arn, &role, conn);
            }
            _ => {
                let why = if byte(&mut i) % 2 == 0 {
                    ForwardFailure::NotConnected
                } else {
                    ForwardFailure::Unavailable
                };
                let role = role_of(byte(&mut i));
                s.handle_forward_failed(conn, &role, Some("c".to_owned()), why);
            }
        }
        while let Some(out) = s.poll_cluster() {
            match out {
                ClusterOutput::Joined { conn, .. } => {
                    joined.insert(conn);
                }
                ClusterOutput::Left { conn, .. } => {
                    assert!(joined.remove(&conn), "{conn:?} left without joining");
                }
                ClusterOutput::Forward(f) => {
                    assert!(accepted.contains(&f.from), "forward from {:?}", f.from);
                }
            }
        }
        while let Some(out) = s.poll_output() {
            let to = match out {
                Output::Send { to, .. } => to,
                Output::Close { conn, .. } => conn,
            };
            assert!(accepted.contains(&to), "output for {to:?}, never accepted");
        }
        // Every timer belongs to a connection: none is left armed without one.
        if s.connections() == 0 {
            assert_eq!(s.poll_timeout(), None);
        }
    }
}

/// The master (0) or one of four viewers.
fn role_of(b: u8) -> Role {
    match b % 5 {
        0 => Role::Master,
        who => Role::Viewer(ClientId::new(&format!("v{who}")).unwrap_or_else(|_| unreachable!())),
    }
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn arbitrary_operations_never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            super::machine(&data);
            super::message(&data);
        }
    }
}
