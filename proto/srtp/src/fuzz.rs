//! Entry points for the fuzz targets in `fuzz/` (not a public API).

use crate::{Config, Error, Inbound, MasterKey, Outbound, Profile};

fn contexts(selector: u8) -> (Outbound, Inbound) {
    let profile = Profile::ALL[usize::from(selector) % Profile::ALL.len()];
    let key: Vec<u8> = (0..profile.key_len() as u8).collect();
    let salt: Vec<u8> = (0..profile.salt_len() as u8).map(|b| b ^ 0x5a).collect();
    let master = MasterKey::new(profile, &key, &salt).expect("lengths of the profile");
    let config = Config {
        max_ssrcs: 4,
        ..Config::default()
    };
    (
        Outbound::new(&master, &config).expect("valid config"),
        Inbound::new(&master, &config).expect("valid config"),
    )
}

/// The packets in `data`: after a first byte that picks the profile, split at 0xa5 bytes.
fn packets(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.get(1..).unwrap_or(&[]).split(|&b| b == 0xa5)
}

/// Unprotects every packet of `data` as SRTP, then protects each as RTP and checks that it
/// unprotects back to itself. Must never panic.
pub fn srtp_unprotect(data: &[u8]) {
    let (mut tx, mut rx) = contexts(data.first().copied().unwrap_or(0));
    let mut buf = Vec::with_capacity(2048);
    for p in packets(data) {
        buf.clear();
        buf.extend_from_slice(p);
        let _ = rx.unprotect_rtp(&mut buf);
        buf.clear();
        buf.extend_from_slice(p);
        buf.resize(p.len() + 16, 0);
        if let Ok(n) = tx.protect_rtp(&mut buf, p.len()) {
            // A fresh index unprotects; a sequence number sent before is a replay.
            match rx.unprotect_rtp(&mut buf[..n]) {
                Ok(len) => assert_eq!(&buf[..len], p, "round trip changed the packet"),
                Err(Error::Replayed { .. } | Error::TooOld { .. }) => {}
                Err(e) => panic!("our own packet refused: {e}"),
            }
        }
    }
}

/// Unprotects every packet of `data` as SRTCP, then protects each as RTCP and checks that
/// it unprotects back to itself. Must never panic.
pub fn srtcp_unprotect(data: &[u8]) {
    let (mut tx, mut rx) = contexts(data.first().copied().unwrap_or(0));
    let mut buf = Vec::with_capacity(2048);
    for p in packets(data) {
        buf.clear();
        buf.extend_from_slice(p);
        let _ = rx.unprotect_rtcp(&mut buf);
        buf.clear();
        buf.extend_from_slice(p);
        buf.resize(p.len() + 20, 0);
        if let Ok(n) = tx.protect_rtcp(&mut buf, p.len()) {
            // A fresh SRTCP index, and no forged packet can have taken it.
            let len = rx.unprotect_rtcp(&mut buf[..n]).expect("our own packet");
            assert_eq!(&buf[..len], p, "round trip changed the packet");
        }
    }
}
