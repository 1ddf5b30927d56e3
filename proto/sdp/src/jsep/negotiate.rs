//! Codec negotiation of one m= section (RFC 3264 s6.1, RFC 9429 s5.3.1): which offered codecs
//! an answer keeps, with what parameters and feedback, and why the others were refused.
//!
//! The answer keeps the offerer's payload types and its order (RFC 3264 s6.1 recommends it),
//! and states our receive parameters in fmtp (the parameters that decide a match are the
//! offer's: they must be equal anyway). Feedback is the intersection of both sides'.
//! Repair and redundancy formats follow their codecs: RTX is kept when the codec its `apt`
//! names is kept (RFC 4588 s8.6), audio RED when every codec it carries is kept, video RED
//! and FEC when at least one video codec is kept and we support them.

use std::fmt;

use super::codec::{Codec, CodecKind};
use super::h264::{self, Profile, ProfileLevelId};

/// Why one offered codec is not in the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// We support no codec of that name, clock rate and channel count.
    Unsupported,
    /// H.264 of another profile than any we support.
    H264Profile {
        /// The offered profile (`None`: its `profile-level-id` did not parse).
        offered: Option<Profile>,
        /// The profiles we support.
        supported: Vec<Profile>,
    },
    /// H.264 in a packetization mode we do not support.
    H264PacketizationMode {
        /// The offered mode.
        offered: String,
        /// The modes we support.
        supported: Vec<String>,
    },
    /// VP9 of another profile (`profile-id`) than any we support.
    Vp9Profile {
        /// The offered profile id.
        offered: String,
        /// The profile ids we support.
        supported: Vec<String>,
    },
    /// AV1 of another profile (`profile`) than any we support.
    Av1Profile {
        /// The offered profile.
        offered: String,
        /// The profiles we support.
        supported: Vec<String>,
    },
    /// RTX (or FEC) whose `apt` names a payload type the answer does not keep, or none.
    RepairWithoutCodec {
        /// The payload type `apt` names, if any.
        apt: Option<u8>,
    },
    /// Audio RED carrying a payload type the answer does not keep.
    RedWithoutCodec,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[String]| v.join(", ");
        match self {
            Refusal::Unsupported => f.write_str("not supported"),
            Refusal::H264Profile { offered, supported } => {
                let offered = offered.map_or("an unreadable profile".to_owned(), |p| p.to_string());
                let supported: Vec<String> = supported.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "H.264 {offered} offered, we support {}",
                    list(&supported)
                )
            }
            Refusal::H264PacketizationMode { offered, supported } => write!(
                f,
                "H.264 packetization-mode {offered} offered, we support {}",
                list(supported)
            ),
            Refusal::Vp9Profile { offered, supported } => write!(
                f,
                "VP9 profile-id {offered} offered, we support {}",
                list(supported)
            ),
            Refusal::Av1Profile { offered, supported } => write!(
                f,
                "AV1 profile {offered} offered, we support {}",
                list(supported)
            ),
            Refusal::RepairWithoutCodec { apt: Some(pt) } => {
                write!(f, "repairs payload type {pt}, which is not kept")
            }
            Refusal::RepairWithoutCodec { apt: None } => f.write_str("names no codec (no apt)"),
            Refusal::RedWithoutCodec => f.write_str("carries a codec that is not kept"),
        }
    }
}

/// An offered codec and why it is not in the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The codec as offered.
    pub codec: Codec,
    /// Why.
    pub why: Refusal,
}

/// No offered codec can be kept: the section is rejected (port 0, RFC 3264 s6), and this says
/// what each side had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no common codec: offered {}; we support {}",
    names(offered),
    names(supported)
)]
pub struct NoCommonCodec {
    /// The codecs offered, each with why it was refused.
    pub offered: Vec<Refused>,
    /// The codecs we support for this kind of media.
    pub supported: Vec<Codec>,
}

fn names<T: AsCodec>(codecs: &[T]) -> String {
    let shown: Vec<String> = codecs
        .iter()
        .map(AsCodec::as_codec)
        .filter(|c| c.kind().is_primary())
        .map(ToString::to_string)
        .collect();
    if shown.is_empty() {
        "nothing".to_owned()
    } else {
        shown.join(", ")
    }
}

trait AsCodec {
    fn as_codec(&self) -> &Codec;
}

impl AsCodec for Codec {
    fn as_codec(&self) -> &Codec {
        self
    }
}

impl AsCodec for Refused {
    fn as_codec(&self) -> &Codec {
        &self.codec
    }
}

/// The codecs of an answer, and the offered ones left out with their reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The codecs the answer states, with the offer's payload types, in the offer's order.
    pub codecs: Vec<Codec>,
    /// The offered codecs left out, and why.
    pub refused: Vec<Refused>,
}

/// Answers the codecs `offered` in one m= section with what we support (`local`, in our
/// order of preference, our payload types).
///
/// # Errors
///
/// [`NoCommonCodec`] when no offered media codec can be kept.
pub fn answer(offered: &[Codec], local: &[Codec]) -> Result<Negotiated, NoCommonCodec> {
    let mut kept: Vec<(usize, Codec)> = Vec::new();
    let mut refused: Vec<(usize, Refused)> = Vec::new();
    // Media codecs first: repair formats depend on which of them are kept.
    for (i, o) in offered
        .iter()
        .enumerate()
        .filter(|(_, o)| o.kind().is_primary())
    {
        match local
            .iter()
            .map(|l| matches(o, l).map(|()| l))
            .find(Result::is_ok)
        {
            Some(Ok(l)) => kept.push((i, answer_codec(o, l))),
            _ => refused.push((
                i,
                Refused {
                    codec: o.clone(),
                    why: refusal(o, local),
                },
            )),
        }
    }
    if kept.is_empty() {
        let mut offered_refused: Vec<Refused> = refused.into_iter().map(|(_, r)| r).collect();
        offered_refused.extend(offered.iter().filter(|o| !o.kind().is_primary()).map(|o| {
            Refused {
                codec: o.clone(),
                why: Refusal::RepairWithoutCodec { apt: o.apt() },
            }
        }));
        return Err(NoCommonCodec {
            offered: offered_refused,
            supported: local.to_vec(),
        });
    }
    let kept_pts: Vec<u8> = kept.iter().map(|(_, c)| c.payload_type).collect();
    for (i, o) in offered
        .iter()
        .enumerate()
        .filter(|(_, o)| !o.kind().is_primary())
    {
        match repair(o, local, &kept_pts) {
            Ok(c) => kept.push((i, c)),
            Err(why) => refused.push((
                i,
                Refused {
                    codec: o.clone(),
                    why,
                },
            )),
        }
    }
    kept.sort_by_key(|(i, _)| *i);
    refused.sort_by_key(|(i, _)| *i);
    Ok(Negotiated {
        codecs: kept.into_iter().map(|(_, c)| c).collect(),
        refused: refused.into_iter().map(|(_, r)| r).collect(),
    })
}

/// Whether offered media codec `o` matches our `l`: same name, clock rate and channels, and
/// the parameters that identify the format (RFC 6184 s8.2.2, RFC 9628 s6, AV1 s7.2).
fn matches(o: &Codec, l: &Codec) -> Result<(), Refusal> {
    if o.kind() != l.kind()
        || !o.name.eq_ignore_ascii_case(&l.name)
        || o.clock_rate != l.clock_rate
        || o.channel_count() != l.channel_count()
    {
        return Err(Refusal::Unsupported);
    }
    match o.kind() {
        CodecKind::H264 => {
            let offered = ProfileLevelId::of(o).ok();
            let ours = ProfileLevelId::of(l).ok();
            if offered.is_none() || offered.map(|p| p.profile) != ours.map(|p| p.profile) {
                return Err(Refusal::H264Profile {
                    offered: offered.map(|p| p.profile),
                    supported: Vec::new(),
                });
            }
            if h264::packetization_mode(o) != h264::packetization_mode(l) {
                return Err(Refusal::H264PacketizationMode {
                    offered: h264::packetization_mode(o).to_owned(),
                    supported: Vec::new(),
                });
            }
        }
        CodecKind::Vp9 if param_or(o, "profile-id", "0") != param_or(l, "profile-id", "0") => {
            return Err(Refusal::Vp9Profile {
                offered: param_or(o, "profile-id", "0").to_owned(),
                supported: Vec::new(),
            });
        }
        CodecKind::Av1 if param_or(o, "profile", "0") != param_or(l, "profile", "0") => {
            return Err(Refusal::Av1Profile {
                offered: param_or(o, "profile", "0").to_owned(),
                supported: Vec::new(),
            });
        }
        _ => {}
    }
    Ok(())
}

fn param_or<'a>(c: &'a Codec, key: &str, default: &'a str) -> &'a str {
    c.param(key).unwrap_or(default)
}

/// Why `o` matched none of `local`: the most specific reason among ours of its name, with
/// what we support filled in.
fn refusal(o: &Codec, local: &[Codec]) -> Refusal {
    let same_name: Vec<&Codec> = local
        .iter()
        .filter(|l| l.name.eq_ignore_ascii_case(&o.name) && l.clock_rate == o.clock_rate)
        .collect();
    let mut why = same_name
        .iter()
        .filter_map(|l| matches(o, l).err())
        .find(|r| *r != Refusal::Unsupported)
        .unwrap_or(Refusal::Unsupported);
    match &mut why {
        Refusal::H264Profile { supported, .. } => {
            *supported = same_name
                .iter()
                .filter_map(|l| ProfileLevelId::of(l).ok().map(|p| p.profile))
                .collect();
            supported.dedup();
        }
        Refusal::H264PacketizationMode { supported, .. } => {
            *supported = same_name
                .iter()
                .map(|l| h264::packetization_mode(l).to_owned())
                .collect();
            supported.dedup();
        }
        Refusal::Vp9Profile { supported, .. } => {
            *supported = same_name
                .iter()
                .map(|l| param_or(l, "profile-id", "0").to_owned())
                .collect();
            supported.dedup();
        }
        Refusal::Av1Profile { supported, .. } => {
            *supported = same_name
                .iter()
                .map(|l| param_or(l, "profile", "0").to_owned())
                .collect();
            supported.dedup();
        }
        _ => {}
    }
    why
}

/// The answer's line for offered `o` that matched our `l`: the offer's payload type and
/// name, our fmtp (with the identifying parameters the offer's, and H.264's level per RFC
/// 6184 s8.2.2), and the feedback both support.
fn answer_codec(o: &Codec, l: &Codec) -> Codec {
    let mut c = Codec {
        payload_type: o.payload_type,
        name: o.name.clone(),
        clock_rate: o.clock_rate,
        channels: o.channels,
        params: l.params.clone(),
        feedback: o
            .feedback
            .iter()
            .filter(|f| l.feedback.contains(f))
            .cloned()
            .collect(),
    };
    if o.kind() == CodecKind::H264 {
        if let (Ok(offered), Ok(ours)) = (ProfileLevelId::of(o), ProfileLevelId::of(l)) {
            let level = h264::answer_profile_level_id(
                &offered,
                h264::level_asymmetry_allowed(o),
                &ours,
                h264::level_asymmetry_allowed(l),
            );
            c.set_param("profile-level-id", &level.to_string());
        }
    }
    c
}

/// The answer's line for offered repair or redundancy format `o`, given the payload types
/// the answer keeps.
fn repair(o: &Codec, local: &[Codec], kept: &[u8]) -> Result<Codec, Refusal> {
    let ours = local
        .iter()
        .find(|l| l.kind() == o.kind() && l.clock_rate == o.clock_rate)
        .ok_or(Refusal::Unsupported)?;
    let mut c = Codec {
        payload_type: o.payload_type,
        name: o.name.clone(),
        clock_rate: o.clock_rate,
        channels: o.channels,
        params: o.params.clone(),
        feedback: o
            .feedback
            .iter()
            .filter(|f| ours.feedback.contains(f))
            .cloned()
            .collect(),
    };
    match o.kind() {
        CodecKind::Rtx => {
            let apt = o.apt();
            if !apt.is_some_and(|pt| kept.contains(&pt)) {
                return Err(Refusal::RepairWithoutCodec { apt });
            }
            // Our rtx-time (how long we keep packets to ask for), else none.
            c.params.retain(|(k, _)| k.eq_ignore_ascii_case("apt"));
            if let Some(t) = ours.param("rtx-time") {
                c.set_param("rtx-time", t);
            }
        }
        CodecKind::Red => {
            if let Some(pts) = o.red_payload_types() {
                if !pts.iter().all(|pt| kept.contains(pt)) {
                    return Err(Refusal::RedWithoutCodec);
                }
            }
        }
        // ulpfec, flexfec: kept along with the media they protect.
        _ => {}
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vp8(pt: u8) -> Codec {
        Codec::new(pt, "VP8", 90000, None)
            .with_feedback("nack", None)
            .with_feedback("nack", Some("pli"))
            .with_feedback("transport-cc", None)
    }

    fn h264(pt: u8, plid: &str, mode: &str) -> Codec {
        Codec::new(pt, "H264", 90000, None)
            .with_param("level-asymmetry-allowed", "1")
            .with_param("packetization-mode", mode)
            .with_param("profile-level-id", plid)
    }

    fn rtx(pt: u8, apt: u8) -> Codec {
        Codec::new(pt, "rtx", 90000, None).with_param("apt", &apt.to_string())
    }

    fn opus(pt: u8) -> Codec {
        Codec::new(pt, "opus", 48000, Some(2))
            .with_param("minptime", "10")
            .with_param("useinbandfec", "1")
    }

    #[test]
    fn the_answer_keeps_the_offers_payload_types_and_order() {
        let offered = [
            vp8(96),
            rtx(97, 96),
            h264(102, "42e01f", "1"),
            rtx(103, 102),
        ];
        let local = [h264(120, "42e01f", "1"), vp8(100), rtx(101, 100)];
        let n = answer(&offered, &local).unwrap();
        let pts: Vec<u8> = n.codecs.iter().map(|c| c.payload_type).collect();
        assert_eq!(pts, [96, 97, 102, 103]);
        assert!(n.refused.is_empty());
        assert_eq!(n.codecs[3].param("apt"), Some("102"));
    }

    #[test]
    fn feedback_is_the_intersection() {
        let offered = [vp8(96)
            .with_feedback("ccm", Some("fir"))
            .with_feedback("goog-remb", None)];
        let local = [Codec::new(100, "VP8", 90000, None)
            .with_feedback("nack", None)
            .with_feedback("ccm", Some("fir"))
            .with_feedback("transport-cc", None)];
        let n = answer(&offered, &local).unwrap();
        let fb: Vec<String> = n.codecs[0]
            .feedback
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(fb, ["nack", "transport-cc", "ccm fir"]);
    }

    #[test]
    fn no_common_video_codec_names_both_sides() {
        let offered = [
            Codec::new(98, "VP9", 90000, None).with_param("profile-id", "2"),
            rtx(99, 98),
        ];
        let local = [vp8(96), h264(102, "42e01f", "1")];
        let err = answer(&offered, &local).unwrap_err();
        assert_eq!(err.offered.len(), 2);
        assert_eq!(err.offered[0].why, Refusal::Unsupported);
        assert_eq!(
            err.offered[1].why,
            Refusal::RepairWithoutCodec { apt: Some(98) }
        );
        assert_eq!(
            err.to_string(),
            "no common codec: offered VP9/90000 (profile-id=2); we support VP8/90000, \
             H264/90000 (packetization-mode=1, profile-level-id=42e01f)"
        );
    }

    #[test]
    fn h264_of_another_profile_is_refused_with_both_profiles() {
        let offered = [h264(102, "640032", "1")];
        let local = [h264(102, "42e01f", "1"), h264(104, "4d001f", "1")];
        let err = answer(&offered, &local).unwrap_err();
        assert_eq!(
            err.offered[0].why,
            Refusal::H264Profile {
                offered: Some(Profile::High),
                supported: vec![Profile::ConstrainedBaseline, Profile::Main],
            }
        );
        assert_eq!(
            err.offered[0].why.to_string(),
            "H.264 High offered, we support Constrained Baseline, Main"
        );
    }

    #[test]
    fn h264_in_another_packetization_mode_is_refused() {
        let offered = [h264(102, "42e01f", "0"), vp8(96)];
        let local = [h264(102, "42e01f", "1"), vp8(100)];
        let n = answer(&offered, &local).unwrap();
        assert_eq!(n.codecs.len(), 1);
        assert_eq!(
            n.refused[0].why,
            Refusal::H264PacketizationMode {
                offered: "0".into(),
                supported: vec!["1".into()]
            }
        );
    }

    #[test]
    fn h264_is_answered_at_the_level_rfc_6184_gives() {
        // Both allow asymmetry: our level (5.2) is stated.
        let n = answer(&[h264(102, "42e01f", "1")], &[h264(96, "42e034", "1")]).unwrap();
        assert_eq!(n.codecs[0].param("profile-level-id"), Some("42e034"));
        // The offer does not: the lower of the two (3.1).
        let mut strict = h264(102, "42e01f", "1");
        strict
            .params
            .retain(|(k, _)| k != "level-asymmetry-allowed");
        let n = answer(&[strict], &[h264(96, "42e034", "1")]).unwrap();
        assert_eq!(n.codecs[0].param("profile-level-id"), Some("42e01f"));
    }

    #[test]
    fn an_h264_without_profile_level_id_is_baseline() {
        let offered = [Codec::new(102, "H264", 90000, None)];
        let local = [Codec::new(96, "H264", 90000, None).with_param("profile-level-id", "42001f")];
        let n = answer(&offered, &local).unwrap();
        assert_eq!(n.codecs[0].payload_type, 102);
        // Not Constrained Baseline, which is another profile.
        assert!(answer(&offered, &[h264(96, "42e01f", "0")]).is_err());
    }

    #[test]
    fn vp9_and_av1_match_on_profile() {
        let vp9 = |pt, id: &str| Codec::new(pt, "VP9", 90000, None).with_param("profile-id", id);
        let offered = [vp9(98, "0"), vp9(100, "2")];
        let n = answer(&offered, &[vp9(96, "2")]).unwrap();
        assert_eq!(
            n.codecs.iter().map(|c| c.payload_type).collect::<Vec<_>>(),
            [100]
        );
        assert_eq!(
            n.refused[0].why,
            Refusal::Vp9Profile {
                offered: "0".into(),
                supported: vec!["2".into()]
            }
        );
        // Absent profile-id is profile 0.
        assert!(answer(&[Codec::new(98, "VP9", 90000, None)], &[vp9(96, "0")]).is_ok());
        let av1 = |pt, p: &str| Codec::new(pt, "AV1", 90000, None).with_param("profile", p);
        assert!(answer(&[av1(45, "1")], &[av1(45, "0")]).is_err());
        assert!(answer(&[Codec::new(45, "AV1", 90000, None)], &[av1(45, "0")]).is_ok());
    }

    #[test]
    fn rtx_without_its_codec_is_dropped_and_the_rest_kept() {
        let offered = [
            vp8(96),
            rtx(97, 96),
            rtx(99, 98),
            Codec::new(120, "rtx", 90000, None),
        ];
        let local = [vp8(100), rtx(101, 100)];
        let n = answer(&offered, &local).unwrap();
        assert_eq!(
            n.codecs.iter().map(|c| c.payload_type).collect::<Vec<_>>(),
            [96, 97]
        );
        assert_eq!(
            n.refused[0].why,
            Refusal::RepairWithoutCodec { apt: Some(98) }
        );
        assert_eq!(n.refused[1].why, Refusal::RepairWithoutCodec { apt: None });
        // Without RTX support on our side, no RTX at all.
        let n = answer(&offered[..2], &[vp8(100)]).unwrap();
        assert_eq!(n.codecs.len(), 1);
        assert_eq!(n.refused[0].why, Refusal::Unsupported);
    }

    #[test]
    fn opus_is_answered_with_our_receive_parameters() {
        let offered = [Codec::new(111, "opus", 48000, Some(2))
            .with_param("minptime", "10")
            .with_param("useinbandfec", "1")
            .with_param("stereo", "1")];
        let n = answer(&offered, &[opus(109)]).unwrap();
        assert_eq!(n.codecs[0].payload_type, 111);
        assert_eq!(n.codecs[0].params, opus(0).params);
        // Mono opus (no /2) is another format.
        assert!(answer(&[Codec::new(111, "opus", 48000, None)], &[opus(109)]).is_err());
    }

    #[test]
    fn audio_red_follows_the_codecs_it_carries() {
        let red = Codec::new(63, "red", 48000, Some(2)).with_param("", "111/111");
        let local = [opus(111), Codec::new(63, "red", 48000, Some(2))];
        let n = answer(&[opus(111), red.clone()], &local).unwrap();
        assert_eq!(n.codecs.len(), 2);
        assert_eq!(n.codecs[1].params, red.params);
        let other = Codec::new(63, "red", 48000, Some(2)).with_param("", "111/0");
        let n = answer(&[opus(111), other], &local).unwrap();
        assert_eq!(n.codecs.len(), 1);
        assert_eq!(n.refused[0].why, Refusal::RedWithoutCodec);
    }

    #[test]
    fn g711_matches_on_name_and_clock() {
        let offered = [
            Codec::new(0, "PCMU", 8000, None),
            Codec::new(8, "PCMA", 8000, None),
        ];
        let n = answer(&offered, &[Codec::new(8, "pcma", 8000, None)]).unwrap();
        assert_eq!(n.codecs.len(), 1);
        assert_eq!(n.codecs[0].name, "PCMA");
        assert_eq!(n.refused[0].why, Refusal::Unsupported);
    }
}
