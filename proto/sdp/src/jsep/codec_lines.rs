//! Codecs read from and written to a media section: `a=rtpmap` (RFC 8866 s6.6), `a=fmtp`
//! (s6.15) and `a=rtcp-fb` (RFC 4585 s4.2, `*` applying to every payload type), in the
//! order of the `m=` line's formats.

use std::borrow::Cow;

use super::codec::{Codec, Feedback};
use crate::attribute::{Fmtp, FmtpParam, RtcpFb, RtpMap};
use crate::{Attribute, Media};

/// At most this many feedback values are kept per codec: a hostile section can repeat
/// `a=rtcp-fb:*` lines, and nobody needs more.
pub const MAX_FEEDBACK: usize = 32;

/// The static payload types WebRTC meets without an `a=rtpmap` (RFC 3551 s6, Table 4).
fn static_payload_type(pt: u8) -> Option<Codec> {
    Some(match pt {
        0 => Codec::new(0, "PCMU", 8000, None),
        8 => Codec::new(8, "PCMA", 8000, None),
        9 => Codec::new(9, "G722", 8000, None),
        13 => Codec::new(13, "CN", 8000, None),
        _ => return None,
    })
}

fn push_feedback(codec: &mut Codec, fb: &RtcpFb<'_>) {
    let f = Feedback::new(&fb.kind, fb.param.as_deref());
    if codec.feedback.len() < MAX_FEEDBACK && !codec.feedback.contains(&f) {
        codec.feedback.push(f);
    }
}

/// The codecs of `media`, one per payload type of its `m=` line in that order (each once),
/// with their `a=fmtp` parameters and `a=rtcp-fb` values (those given for `*` too).
///
/// A payload type with no `a=rtpmap` is kept only if it is a static one (0 PCMU, 8 PCMA,
/// 9 G722, 13 CN); the first `a=rtpmap` and `a=fmtp` of a payload type count.
#[must_use]
pub fn codecs_of(media: &Media<'_>) -> Vec<Codec> {
    let mut seen = [false; 128];
    let mut codecs: Vec<Codec> = Vec::new();
    for pt in media.media_line().payload_types() {
        if std::mem::replace(&mut seen[usize::from(pt)], true) {
            continue;
        }
        let codec = match media.rtpmap(pt) {
            Some(map) => Codec::new(pt, &map.encoding, map.clock_rate, map.channels),
            None => match static_payload_type(pt) {
                Some(c) => c,
                None => continue,
            },
        };
        codecs.push(codec);
    }
    let mut index = [None::<usize>; 128];
    for (i, c) in codecs.iter().enumerate() {
        index[usize::from(c.payload_type)] = Some(i);
    }
    let mut has_fmtp = [false; 128];
    for attr in media.attributes() {
        match attr {
            Attribute::Fmtp(f) => {
                let Some(i) = index[usize::from(f.payload_type)] else {
                    continue;
                };
                if std::mem::replace(&mut has_fmtp[usize::from(f.payload_type)], true) {
                    continue;
                }
                codecs[i].params = f
                    .params()
                    .map(|p| (p.key.unwrap_or("").to_owned(), p.value.to_owned()))
                    .collect();
            }
            Attribute::RtcpFb(fb) => match fb.payload_type {
                Some(pt) => {
                    if let Some(i) = index[usize::from(pt)] {
                        push_feedback(&mut codecs[i], fb);
                    }
                }
                None => codecs.iter_mut().for_each(|c| push_feedback(c, fb)),
            },
            _ => {}
        }
    }
    codecs
}

/// The `m=` line's format list for `codecs`: their payload types in order.
#[must_use]
pub fn formats(codecs: &[Codec]) -> String {
    let pts: Vec<String> = codecs.iter().map(|c| c.payload_type.to_string()).collect();
    pts.join(" ")
}

/// Appends `a=rtpmap`, `a=rtcp-fb` and `a=fmtp` lines for each codec, in that order per
/// codec (as browsers write them).
pub fn push_codecs(media: &mut Media<'static>, codecs: &[Codec]) {
    for c in codecs {
        media.push(Attribute::RtpMap(RtpMap {
            payload_type: c.payload_type,
            encoding: Cow::Owned(c.name.clone()),
            clock_rate: c.clock_rate,
            channels: c.channels,
        }));
        for f in &c.feedback {
            media.push(Attribute::RtcpFb(RtcpFb {
                payload_type: Some(c.payload_type),
                kind: Cow::Owned(f.kind.clone()),
                param: f.param.clone().map(Cow::Owned),
            }));
        }
        if !c.params.is_empty() {
            let params = c.params.iter().map(|(k, v)| FmtpParam {
                key: (!k.is_empty()).then_some(k.as_str()),
                value: v.as_str(),
            });
            let fmtp = Fmtp::new(c.payload_type, params);
            media.push(Attribute::Fmtp(Fmtp {
                payload_type: fmtp.payload_type,
                params: Cow::Owned(fmtp.params.into_owned()),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MediaLine, Session};

    const SECTION: &str = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96 97 0 96 35\r\n\
        a=rtpmap:96 VP8/90000\r\n\
        a=rtcp-fb:* transport-cc\r\n\
        a=rtcp-fb:96 nack\r\n\
        a=rtcp-fb:96 nack\r\n\
        a=rtpmap:97 rtx/90000\r\n\
        a=fmtp:97 apt=96\r\n\
        a=fmtp:97 apt=1\r\n";

    #[test]
    fn codecs_follow_the_m_line_with_star_feedback_and_static_types() {
        let s = Session::parse(SECTION).unwrap();
        let codecs = codecs_of(&s.media()[0]);
        let pts: Vec<u8> = codecs.iter().map(|c| c.payload_type).collect();
        // 96 once; 35 has no rtpmap and is not static.
        assert_eq!(pts, [96, 97, 0]);
        assert_eq!(
            codecs[0].feedback,
            [
                Feedback::new("transport-cc", None),
                Feedback::new("nack", None)
            ]
        );
        assert_eq!(codecs[1].feedback, [Feedback::new("transport-cc", None)]);
        assert_eq!(codecs[1].apt(), Some(96));
        assert_eq!(codecs[2].name, "PCMU");
    }

    #[test]
    fn written_codecs_read_back_equal() {
        let s = Session::parse(SECTION).unwrap();
        let codecs = codecs_of(&s.media()[0]);
        let red = Codec::new(63, "red", 48000, Some(2)).with_param("", "111/111");
        let mut all = codecs.clone();
        all.push(red);
        let mut media = Media::new(MediaLine {
            kind: "video".into(),
            port: 9,
            port_count: None,
            proto: "UDP/TLS/RTP/SAVPF".into(),
            formats: formats(&all).into(),
        });
        push_codecs(&mut media, &all);
        assert_eq!(codecs_of(&media), all);
    }
}
