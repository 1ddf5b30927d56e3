//! One module per STUN implementation, each implementing [`crate::Peer`].
//!
//! | module | crate | decode + verify | encode |
//! | --- | --- | --- | --- |
//! | [`wren_stun`] | `wren-stun` (this workspace) | MI + FINGERPRINT | all six attributes |
//! | [`rtc_stun`] | `rtc-stun` 0.21 | MI + FINGERPRINT | all six attributes |
//! | [`str0m`] | `is` 0.12 (`str0m::ice::StunMessage`) | MI only (no FINGERPRINT check API); SOFTWARE not read | no SOFTWARE |
//! | [`stun_rs`] | `stun-rs` 0.1 | MI + FINGERPRINT | all six attributes |
//! | [`stun_codec`] | `stun_codec` 0.4 | MI + FINGERPRINT | all six attributes |
//! | [`webrtc_stun`] | `stun` 0.17 (webrtc-rs) | MI + FINGERPRINT | all six attributes |

pub mod rtc_stun;
pub mod str0m;
pub mod stun_codec;
pub mod stun_rs;
pub mod webrtc_stun;
pub mod wren_stun;
