//! The SRTP profile two str0m `Rtc`s negotiate in the `benches/rtc.rs` harness
//! (`src/rtc.rs`) is SRTP_AEAD_AES_256_GCM, the one the wren-rtc pair is configured with
//! ([`WREN_PROFILE`]; `tests/rtc_pairs.rs` checks the wren side). str0m has no API that
//! says which profile it keyed, but it logs it (`tracing`, debug level) as it keys SRTP;
//! this test reads that log line. Alone in its binary: a global subscriber sees every
//! thread's events.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wren_benches::rtc::{Str0mMode, Str0mPair, WREN_PROFILE};

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
fn start() -> Instant {
    Instant::now()
}

/// Collects the text of every tracing event (str0m logs with `tracing`).
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<String>>>);

struct Text<'a>(&'a mut String);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl Subscriber for Collect {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut s = String::new();
        event.record(&mut Text(&mut s));
        self.0.lock().expect("not poisoned").push(s);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn str0m_pair_negotiates_aes_256_gcm_as_the_wren_pair_is_configured() {
    let logs = Collect::default();
    tracing::subscriber::set_global_default(logs.clone()).expect("the only subscriber");
    let _pair = Str0mPair::connect(start(), Str0mMode::WithSctp).expect("the str0m peers connect");
    let logs = logs.0.lock().expect("not poisoned");
    let keyed: Vec<&String> = logs
        .iter()
        .filter(|l| l.contains("SRTP keying material and profile"))
        .collect();
    assert_eq!(keyed.len(), 2, "both sides keyed SRTP: {keyed:?}");
    for l in keyed {
        assert!(l.contains("SRTP_AEAD_AES_256_GCM"), "{l}");
    }
    assert_eq!(
        WREN_PROFILE.0, 0x0008,
        "RFC 7714: SRTP_AEAD_AES_256_GCM is 0x0008"
    );
}
