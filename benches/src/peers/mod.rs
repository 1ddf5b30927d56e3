//! One module per STUN implementation, each implementing [`crate::Peer`].
//!
//! | module | crate | decode + verify | encode |
//! | --- | --- | --- | --- |
//! | [`rtc_stun`] | `rtc-stun` 0.21 | MI + FINGERPRINT | all six attributes |
//! | [`str0m`] | `is` 0.12 (`str0m::ice::StunMessage`) | MI only: no FINGERPRINT check API | no SOFTWARE |
//! | [`stun_rs`] | `stun-rs` 0.1 | MI + FINGERPRINT | all six attributes |
//! | [`stun_codec`] | `stun_codec` 0.4 | MI + FINGERPRINT | all six attributes |
//! | [`webrtc_stun`] | `stun` 0.17 (webrtc-rs) | MI + FINGERPRINT | all six attributes |

pub mod rtc_stun;
pub mod str0m;
pub mod stun_codec;
pub mod stun_rs;
pub mod webrtc_stun;

// wren-stun: added when the crate's API lands.
// A `pub mod wren_stun;` here implementing `crate::Peer` with
// `wren_stun::Message::parse`, `Message::verify_integrity(&wren_stun::Key::short_term(..))`,
// `Message::verify_fingerprint` and `wren_stun::MessageWriter`; the benchmark and the tests
// then pick it up from the lists in `benches/stun.rs` and `tests/stun_peers.rs`.
