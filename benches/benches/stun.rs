//! STUN decode + verify, encode and roundtrip: Wren beside peer crates on RFC 5769's
//! sample request. Run with `cargo bench -p wren-benches --bench stun`; see
//! `benches/README.md`.

use criterion::{BenchmarkGroup, Criterion, criterion_main, measurement::WallTime};
use std::hint::black_box;
use wren_benches::peers::{
    rtc_stun::RtcStun, str0m::Str0m, stun_codec::StunCodec, stun_rs::StunRs,
    webrtc_stun::WebrtcStun, wren_stun::WrenStun,
};
use wren_benches::{Fields, PASSWORD, Peer, RFC5769_REQUEST};

/// Decode the vector, check MESSAGE-INTEGRITY and FINGERPRINT (where the peer can), and
/// read the four plain attribute values.
fn decode_verify<P: Peer>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let mut p = P::new(PASSWORD);
    g.bench_function(P::NAME, |b| {
        b.iter(|| {
            let msg = p.decode_verify(black_box(&RFC5769_REQUEST)).unwrap();
            black_box(P::fields(&msg).unwrap());
        })
    });
}

/// Encode SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY and FINGERPRINT
/// with the vector's values and transaction ID.
fn encode<P: Peer>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let mut p = P::new(PASSWORD);
    // Some peers cannot make a transaction ID from bytes (str0m): take the vector's.
    let tid = P::transaction_id(&p.decode_verify(&RFC5769_REQUEST).unwrap());
    let fields = Fields::rfc5769();
    g.bench_function(P::NAME, |b| {
        b.iter(|| {
            black_box(p.encode(black_box(tid), black_box(&fields)).unwrap().len());
        })
    });
}

/// Decode + verify the vector, then encode a message from what was decoded.
fn roundtrip<P: Peer>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let mut p = P::new(PASSWORD);
    g.bench_function(P::NAME, |b| {
        b.iter(|| {
            let msg = p.decode_verify(black_box(&RFC5769_REQUEST)).unwrap();
            let tid = P::transaction_id(&msg);
            let fields = P::fields(&msg).unwrap();
            black_box(p.encode(tid, &fields).unwrap().len());
        })
    });
}

/// Runs `$f::<Peer>` for every peer, in the order of the report table.
macro_rules! each_peer {
    ($f:ident, $g:expr) => {{
        $f::<WrenStun>($g);
        $f::<RtcStun>($g);
        $f::<Str0m>($g);
        $f::<StunRs>($g);
        $f::<StunCodec>($g);
        $f::<WebrtcStun>($g);
    }};
}

fn stun(c: &mut Criterion) {
    let mut g = c.benchmark_group("stun_decode_verify");
    each_peer!(decode_verify, &mut g);
    g.finish();

    let mut g = c.benchmark_group("stun_encode");
    each_peer!(encode, &mut g);
    g.finish();

    let mut g = c.benchmark_group("stun_roundtrip");
    each_peer!(roundtrip, &mut g);
    g.finish();
}

/// `criterion_group!` generates an undocumented `pub fn`.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::stun);
}
criterion_main!(group::benches);
