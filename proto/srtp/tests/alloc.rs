//! Counting-allocator proof: after warm-up (the first packet of each SSRC adds its table
//! entry and replay window), protect and unprotect allocate nothing, for RTP and RTCP and
//! every profile: 10,000 packets each way, across a sequence number wrap.

use wren_alloc_count::allocations_during;
use wren_srtp::{Config, Inbound, MasterKey, Outbound, Profile};

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

const PACKETS: u16 = 10_000;

fn rtp(buf: &mut [u8], seq: u16) -> usize {
    buf[..12].copy_from_slice(&[0x80, 111, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]);
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[12..1200].fill(seq as u8);
    1200
}

fn rtcp(buf: &mut [u8]) -> usize {
    buf[..8].copy_from_slice(&[0x81, 201, 0, 7, 0x12, 0x34, 0x56, 0x78]);
    buf[8..32].fill(0x33);
    32
}

#[test]
fn protect_and_unprotect_allocate_nothing_per_packet() {
    for profile in Profile::ALL {
        let key: Vec<u8> = (0..profile.key_len() as u8).collect();
        let salt = vec![0x42; profile.salt_len()];
        let master = MasterKey::new(profile, &key, &salt).unwrap();
        let mut tx = Outbound::new(&master, &Config::default()).unwrap();
        let mut rx = Inbound::new(&master, &Config::default()).unwrap();
        let mut buf = vec![0u8; 1500];
        let start: u16 = 65535 - PACKETS / 2;
        // Warm-up: the SSRC's first RTP and RTCP packets create its state.
        let n = rtp(&mut buf, start - 1);
        let n = tx.protect_rtp(&mut buf, n).unwrap();
        rx.unprotect_rtp(&mut buf[..n]).unwrap();
        let n = rtcp(&mut buf);
        let n = tx.protect_rtcp(&mut buf, n).unwrap();
        rx.unprotect_rtcp(&mut buf[..n]).unwrap();

        let mut ok = 0u32;
        let allocations = allocations_during(|| {
            for i in 0..PACKETS {
                let n = rtp(&mut buf, start.wrapping_add(i));
                let n = tx.protect_rtp(&mut buf, n).unwrap();
                let len = rx.unprotect_rtp(&mut buf[..n]).unwrap();
                ok += u32::from(len == 1200 && buf[1199] == start.wrapping_add(i) as u8);
                let n = rtcp(&mut buf);
                let n = tx.protect_rtcp(&mut buf, n).unwrap();
                let len = rx.unprotect_rtcp(&mut buf[..n]).unwrap();
                ok += u32::from(len == 32 && buf[31] == 0x33);
            }
        });
        assert_eq!(
            ok,
            2 * u32::from(PACKETS),
            "{profile}: every packet round-tripped"
        );
        assert_eq!(
            allocations, 0,
            "{profile}: allocations in {PACKETS} packets each way"
        );
    }
}
