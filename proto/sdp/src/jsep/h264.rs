//! H.264's `profile-level-id` (RFC 6184 s8.1): which profile and level a codec means, whether
//! an offered H.264 format matches ours, and the level an answer states (RFC 6184 s8.2.2).
//!
//! Two H.264 formats match when they are the same profile and the same
//! `packetization-mode` (absent means 0); the level does not decide a match. The answer
//! keeps the offer's profile. Its level is ours when both sides allow level asymmetry
//! (`level-asymmetry-allowed=1`) and the lower of the two otherwise, which is what
//! browsers do.

use std::fmt;

use super::codec::Codec;

/// The `profile-level-id` RFC 6184 s8.1 implies when a format has none: Baseline, level 1.
pub const DEFAULT_PROFILE_LEVEL_ID: &str = "42000a";

/// An H.264 profile, as `profile_idc` and the constraint flags of `profile-iop` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Constrained Baseline: what every WebRTC endpoint must decode.
    ConstrainedBaseline,
    /// Baseline.
    Baseline,
    /// Main.
    Main,
    /// Extended.
    Extended,
    /// High.
    High,
    /// Constrained High.
    ConstrainedHigh,
    /// High 10.
    High10,
    /// High 4:2:2.
    High422,
    /// High 4:4:4 Predictive.
    PredictiveHigh444,
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::ConstrainedBaseline => "Constrained Baseline",
            Profile::Baseline => "Baseline",
            Profile::Main => "Main",
            Profile::Extended => "Extended",
            Profile::High => "High",
            Profile::ConstrainedHigh => "Constrained High",
            Profile::High10 => "High 10",
            Profile::High422 => "High 4:2:2",
            Profile::PredictiveHigh444 => "High 4:4:4 Predictive",
        })
    }
}

/// `profile_idc`, a mask of the `profile-iop` bits that matter and their values, and the
/// profile they mean; the first row that fits wins (constraint_set1 makes Baseline
/// Constrained Baseline, and so on: RFC 6184 s8.1, Table 5).
const PROFILES: [(u8, u8, u8, Profile); 12] = [
    (0x42, 0x4f, 0x40, Profile::ConstrainedBaseline), // x1xx0000
    (0x4d, 0x8f, 0x80, Profile::ConstrainedBaseline), // 1xxx0000
    (0x58, 0xcf, 0xc0, Profile::ConstrainedBaseline), // 11xx0000
    (0x42, 0x4f, 0x00, Profile::Baseline),            // x0xx0000
    (0x58, 0xcf, 0x80, Profile::Baseline),            // 10xx0000
    (0x4d, 0xaf, 0x00, Profile::Main),                // 0x0x0000
    (0x58, 0xcf, 0x00, Profile::Extended),            // 00xx0000
    (0x64, 0xff, 0x00, Profile::High),                // 00000000
    (0x64, 0xff, 0x0c, Profile::ConstrainedHigh),     // 00001100
    (0x6e, 0xff, 0x00, Profile::High10),              // 00000000
    (0x7a, 0xff, 0x00, Profile::High422),             // 00000000
    (0xf4, 0xff, 0x00, Profile::PredictiveHigh444),   // 00000000
];

/// The `level_idc` values H.264 defines (Annex A), with 9 for level 1b in the High
/// profiles.
const LEVELS: [u8; 20] = [
    9, 10, 11, 12, 13, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 52, 60, 61, 62,
];

/// A parsed `profile-level-id`: the three bytes as written, and what they mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileLevelId {
    /// `profile_idc`.
    pub profile_idc: u8,
    /// `profile-iop`: the constraint flags.
    pub profile_iop: u8,
    /// `level_idc`.
    pub level_idc: u8,
    /// The profile these name.
    pub profile: Profile,
}

/// Why a `profile-level-id` was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileLevelIdError {
    /// Not six hexadecimal digits.
    #[error("profile-level-id {0:?} is not six hexadecimal digits")]
    Syntax(String),
    /// `profile_idc` and `profile-iop` name no profile we know.
    #[error("profile-level-id {0:?} names no known H.264 profile")]
    UnknownProfile(String),
    /// `level_idc` is no H.264 level.
    #[error("profile-level-id {0:?} names no H.264 level")]
    UnknownLevel(String),
}

impl ProfileLevelId {
    /// Parses the six hexadecimal digits of a `profile-level-id`.
    ///
    /// # Errors
    ///
    /// When the text is not six hex digits, or names no known profile or level.
    pub fn parse(text: &str) -> Result<ProfileLevelId, ProfileLevelIdError> {
        let bad = || ProfileLevelIdError::Syntax(text.to_owned());
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let byte = |i: usize| u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| bad());
        let (profile_idc, profile_iop, level_idc) = (byte(0)?, byte(2)?, byte(4)?);
        let profile = PROFILES
            .iter()
            .find(|(idc, mask, value, _)| *idc == profile_idc && profile_iop & mask == *value)
            .map(|row| row.3)
            .ok_or_else(|| ProfileLevelIdError::UnknownProfile(text.to_owned()))?;
        if !LEVELS.contains(&level_idc) {
            return Err(ProfileLevelIdError::UnknownLevel(text.to_owned()));
        }
        Ok(ProfileLevelId {
            profile_idc,
            profile_iop,
            level_idc,
            profile,
        })
    }

    /// The `profile-level-id` of `codec`, or the default when it has none.
    ///
    /// # Errors
    ///
    /// When the codec's value does not parse.
    pub fn of(codec: &Codec) -> Result<ProfileLevelId, ProfileLevelIdError> {
        ProfileLevelId::parse(
            codec
                .param("profile-level-id")
                .unwrap_or(DEFAULT_PROFILE_LEVEL_ID),
        )
    }

    /// Whether this is level 1b: `level_idc` 11 with constraint_set3 in the Baseline, Main
    /// and Extended profiles, or `level_idc` 9 (RFC 6184 s8.1).
    #[must_use]
    pub fn is_level_1b(&self) -> bool {
        self.level_idc == 9
            || (self.level_idc == 11 && self.profile_iop & 0x10 != 0 && self.low_profile())
    }

    /// The level in an order that puts 1b between 1 and 1.1.
    #[must_use]
    pub fn level_rank(&self) -> u16 {
        if self.is_level_1b() {
            21
        } else {
            u16::from(self.level_idc) * 2
        }
    }

    fn low_profile(&self) -> bool {
        matches!(self.profile_idc, 0x42 | 0x4d | 0x58)
    }

    /// This profile at the level of `other` (same profile family assumed), written the way
    /// this one is written.
    #[must_use]
    pub fn with_level_of(&self, other: &ProfileLevelId) -> ProfileLevelId {
        let mut out = *self;
        if other.is_level_1b() {
            if out.low_profile() {
                out.level_idc = 11;
                out.profile_iop |= 0x10;
            } else {
                out.level_idc = 9;
            }
        } else {
            out.level_idc = other.level_idc;
            if out.low_profile() && self.is_level_1b() {
                // constraint_set3 meant "1b" at level_idc 11: not at another level.
                out.profile_iop &= !0x10;
            }
        }
        out
    }
}

impl fmt::Display for ProfileLevelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02x}{:02x}{:02x}",
            self.profile_idc, self.profile_iop, self.level_idc
        )
    }
}

/// The `packetization-mode` of `codec` (RFC 6184 s8.1: absent means 0).
#[must_use]
pub fn packetization_mode(codec: &Codec) -> &str {
    codec.param("packetization-mode").unwrap_or("0")
}

/// Whether `codec` allows level asymmetry (`level-asymmetry-allowed=1`, RFC 6184 s8.1).
#[must_use]
pub fn level_asymmetry_allowed(codec: &Codec) -> bool {
    codec.param("level-asymmetry-allowed") == Some("1")
}

/// The `profile-level-id` our answer to `offered` states, given that we support `local`
/// (same profile): the offer's profile, written as the offer wrote it, at our level when
/// both allow level asymmetry and at the lower level otherwise (RFC 6184 s8.2.2).
#[must_use]
pub fn answer_profile_level_id(
    offered: &ProfileLevelId,
    offered_asym: bool,
    local: &ProfileLevelId,
    local_asym: bool,
) -> ProfileLevelId {
    let level = if offered_asym && local_asym || local.level_rank() < offered.level_rank() {
        local
    } else {
        offered
    };
    offered.with_level_of(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(s: &str) -> Profile {
        ProfileLevelId::parse(s).unwrap().profile
    }

    /// The values browsers offer, and RFC 6184's examples.
    #[test]
    fn profiles_of_the_values_browsers_offer() {
        assert_eq!(profile("42e01f"), Profile::ConstrainedBaseline);
        assert_eq!(profile("42001f"), Profile::Baseline);
        assert_eq!(profile("4d001f"), Profile::Main);
        assert_eq!(profile("4d801f"), Profile::ConstrainedBaseline);
        assert_eq!(profile("640032"), Profile::High);
        assert_eq!(profile("640c1f"), Profile::ConstrainedHigh);
        assert_eq!(profile("f4001f"), Profile::PredictiveHigh444);
        assert_eq!(profile("58c01e"), Profile::ConstrainedBaseline);
        assert_eq!(profile("58801e"), Profile::Baseline);
        assert_eq!(profile("58001e"), Profile::Extended);
        assert_eq!(profile(DEFAULT_PROFILE_LEVEL_ID), Profile::Baseline);
        // Upper case hex is the same value.
        assert_eq!(profile("42E01F"), Profile::ConstrainedBaseline);
    }

    #[test]
    fn bad_values_are_refused_with_the_reason() {
        assert!(matches!(
            ProfileLevelId::parse("42e01"),
            Err(ProfileLevelIdError::Syntax(_))
        ));
        assert!(matches!(
            ProfileLevelId::parse("42e01g"),
            Err(ProfileLevelIdError::Syntax(_))
        ));
        assert!(matches!(
            ProfileLevelId::parse("+2e01f"),
            Err(ProfileLevelIdError::Syntax(_))
        ));
        assert!(matches!(
            ProfileLevelId::parse("ff001f"),
            Err(ProfileLevelIdError::UnknownProfile(_))
        ));
        assert!(matches!(
            ProfileLevelId::parse("640101"),
            Err(ProfileLevelIdError::UnknownProfile(_))
        ));
        assert!(matches!(
            ProfileLevelId::parse("42e0ff"),
            Err(ProfileLevelIdError::UnknownLevel(_))
        ));
    }

    #[test]
    fn level_1b_sorts_between_1_and_1_1() {
        let one = ProfileLevelId::parse("42e00a").unwrap();
        let one_b = ProfileLevelId::parse("42f00b").unwrap();
        let one_one = ProfileLevelId::parse("42e00b").unwrap();
        let high_1b = ProfileLevelId::parse("640009").unwrap();
        assert!(one_b.is_level_1b() && high_1b.is_level_1b() && !one_one.is_level_1b());
        assert!(one.level_rank() < one_b.level_rank());
        assert!(one_b.level_rank() < one_one.level_rank());
    }

    #[test]
    fn the_answer_takes_the_lower_level_without_asymmetry() {
        let offered = ProfileLevelId::parse("42e01f").unwrap(); // 3.1
        let ours = ProfileLevelId::parse("42e015").unwrap(); // 2.1
        assert_eq!(
            answer_profile_level_id(&offered, false, &ours, false).to_string(),
            "42e015"
        );
        assert_eq!(
            answer_profile_level_id(&offered, true, &ours, false).to_string(),
            "42e015"
        );
        let higher = ProfileLevelId::parse("42e034").unwrap(); // 5.2
        assert_eq!(
            answer_profile_level_id(&offered, false, &higher, false).to_string(),
            "42e01f"
        );
    }

    #[test]
    fn the_answer_takes_our_level_when_both_allow_asymmetry() {
        let offered = ProfileLevelId::parse("42e01f").unwrap();
        let ours = ProfileLevelId::parse("42e034").unwrap();
        assert_eq!(
            answer_profile_level_id(&offered, true, &ours, true).to_string(),
            "42e034"
        );
    }

    #[test]
    fn the_answer_keeps_the_offers_spelling_of_the_profile() {
        // Constrained Baseline written as Main with constraint_set0, answered at our level.
        let offered = ProfileLevelId::parse("4d801f").unwrap();
        let ours = ProfileLevelId::parse("42e015").unwrap();
        assert_eq!(
            answer_profile_level_id(&offered, false, &ours, false).to_string(),
            "4d8015"
        );
    }

    #[test]
    fn level_1b_is_written_as_each_profile_writes_it() {
        let one_b = ProfileLevelId::parse("42f00b").unwrap();
        let high = ProfileLevelId::parse("64001f").unwrap();
        let base = ProfileLevelId::parse("42e01f").unwrap();
        assert_eq!(high.with_level_of(&one_b).to_string(), "640009");
        assert_eq!(base.with_level_of(&one_b).to_string(), "42f00b");
        // From 1b to another level, constraint_set3 goes.
        assert_eq!(one_b.with_level_of(&base).to_string(), "42e01f");
    }
}
