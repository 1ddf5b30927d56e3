//! `wren-probe sdp explain` and `wren-probe sdp answer`, run as a person would: every file
//! of wren-sdp's corpus explained, standard input, a broken description, the warnings
//! (a mangled ufrag, private-only candidates, a missing fingerprint, a Kurento-style
//! codec-mismatch answer), the answer to a Chromium offer parsed back, and an offer with no
//! common video codec answered with `m=video 0` and why.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use wren_sdp::Session;

/// What a run printed and how it ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    fn warnings(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .chain(self.stderr.lines())
            .filter(|l| l.starts_with("warning: "))
            .collect()
    }
}

fn probe(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wren-probe"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wren-probe");
    let mut input = child.stdin.take().expect("piped stdin");
    if let Some(bytes) = stdin {
        // A child that stops reading early closes the pipe: that is its business.
        let _ = input.write_all(bytes);
    }
    drop(input);
    let out = child.wait_with_output().expect("wren-probe runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn corpus(name: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto/sdp/tests/corpus");
    dir.join(name).to_string_lossy().into_owned()
}

fn fixture(name: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    dir.join(name).to_string_lossy().into_owned()
}

const FP: &str = "sha-256 1F:35:F2:FE:E7:99:2F:2D:CD:CF:55:55:32:72:69:94:B7:DB:2D:BF:B8:A0:92:CB:F4:EE:FA:D9:89:74:8B:B2";

/// An offer with one audio section: `ufrag`, `fingerprint` (or none) and `candidates`.
fn audio_offer(ufrag: &str, fingerprint: bool, candidates: &[&str]) -> String {
    let mut s = String::from(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
         m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n",
    );
    for c in candidates {
        s.push_str(&format!("a=candidate:{c}\r\n"));
    }
    s.push_str(&format!(
        "a=ice-ufrag:{ufrag}\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\na=ice-options:trickle\r\n"
    ));
    if fingerprint {
        s.push_str(&format!("a=fingerprint:{FP}\r\n"));
    }
    s.push_str(
        "a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n",
    );
    s
}

#[test]
fn every_corpus_file_is_explained() {
    let dir = PathBuf::from(corpus(""));
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("corpus") {
        let path = e.expect("entry").path();
        if path.extension().is_none_or(|x| x != "sdp") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let sections = Session::parse(&text).expect("corpus parses").media().len();
        let p = probe(&["sdp", "explain", &path.to_string_lossy()], None);
        assert_eq!(p.code, Some(0), "{}: {p}", path.display());
        assert!(p.stdout.starts_with("session: "), "{p}");
        for i in 0..sections {
            assert!(p.stdout.contains(&format!("\nsection {i}: ")), "{p}");
        }
        assert!(!p.stdout.contains("unreadable"), "{p}");
        assert!(p.stderr.is_empty(), "{p}");
        n += 1;
    }
    assert!(n >= 14, "{n} corpus files");
}

#[test]
fn chromium_offer_names_its_codecs_and_data_channel() {
    let p = probe(&["sdp", "explain", &corpus("chromium-156-offer.sdp")], None);
    assert_eq!(p.code, Some(0), "{p}");
    let out = &p.stdout;
    assert!(out.starts_with("session: offer (a=setup:actpass"), "{p}");
    assert!(out.contains("  BUNDLE: 0 1 2 "), "{p}");
    for line in [
        "section 0: audio, mid 0, port 42505, UDP/TLS/RTP/SAVPF",
        "section 1: video, mid 1, port 56835, UDP/TLS/RTP/SAVPF",
        "section 2: application, mid 2, port 54049, UDP/DTLS/SCTP",
        "  direction: sends and receives (sendrecv)",
        "    111 opus/48000/2: packets of at least 10 ms (minptime=10); in-band FEC on (useinbandfec=1)",
        "    96 VP8/90000",
        "    97 rtx/90000 [retransmission (RFC 4588)]: retransmissions for PT 96 (VP8/90000) (apt=96)",
        "    98 VP9/90000: profile 0: 8-bit 4:2:0 (profile-id=0)",
        "    45 AV1/90000: level 3.1 (level-idx=5); Main profile (profile=0); Main tier (tier=0)",
        "    63 red/48000/2 [redundant coding (RFC 2198)]: redundant copies of PT 111 (opus/48000/2), PT 111 (opus/48000/2) (111/111)",
        "    120 ulpfec/90000 [forward error correction (RFC 5109)]",
        "  data channel: SCTP port 5000, max message size 262144 bytes",
        "  ICE: ufrag D3dH, pwd of 24 characters, option trickle",
        "  DTLS: fingerprint sha-256, setup actpass: either role, the answerer chooses",
        "    host udp 127.0.0.1:42505 (loopback), component 1, priority 2122260223",
        "  ssrc-group FID: 2103970485 2591854670 (a source and its retransmissions)",
        "    3 transport-wide sequence number (for transport-cc): http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    ] {
        assert!(out.contains(line), "missing {line:?}\n{p}");
    }
    // H.264: the profile-level-id decoded, and the packetization mode in words.
    assert!(
        out.contains("102 H264/90000: each direction may use its own level (level-asymmetry-allowed=1); non-interleaved mode (FU-A fragments, STAP-A aggregates) (packetization-mode=1); Baseline, level 3.1 (profile-level-id=42001f)"),
        "{p}"
    );
    assert!(
        out.contains("Constrained Baseline, level 3.1 (profile-level-id=42e01f)"),
        "{p}"
    );
    assert!(
        out.contains("Main, level 3.1 (profile-level-id=4d001f)"),
        "{p}"
    );
    assert!(out.contains("nack pli = picture loss indication"), "{p}");
    // The password itself is never printed.
    assert!(!out.contains("zXRwp00geZWm6uKrxX"), "{p}");
    // Loopback candidates only.
    assert_eq!(
        p.warnings(),
        [
            "warning: every address is private or local: 127.0.0.1 (loopback); a peer on another network cannot reach them: it needs a srflx or relay candidate (a STUN or TURN server)"
        ],
        "{p}"
    );
}

#[test]
fn firefox_simulcast_offer_names_its_three_rids() {
    let p = probe(
        &[
            "sdp",
            "explain",
            &corpus("firefox-esr-140-offer-simulcast.sdp"),
        ],
        None,
    );
    assert_eq!(p.code, Some(0), "{p}");
    for line in [
        "  rid q: sent",
        "  rid h: sent",
        "  rid f: sent",
        "  simulcast: sends 3 layers: q, h, f",
        "  DTLS: fingerprint sha-256",
        "    end of candidates (no more will follow)",
        "    host tcp active 192.0.2.2:9 (public), component 1, priority 2105458943",
        "    host udp [fd00::2]:39639 (private), component 1, priority 2122252543",
    ] {
        assert!(p.stdout.contains(line), "missing {line:?}\n{p}");
    }
    // 192.0.2.2 is not a private address: no private-only warning.
    assert!(p.warnings().is_empty(), "{p}");
}

#[test]
fn relay_candidates_show_their_related_address() {
    let p = probe(
        &["sdp", "explain", &corpus("chromium-156-offer-relay.sdp")],
        None,
    );
    assert_eq!(p.code, Some(0), "{p}");
    assert!(
        p.stdout.lines().any(
            |l| l.starts_with("    relay (a TURN server's address) udp ") && l.contains(", from ")
        ),
        "{p}"
    );
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let text = std::fs::read(corpus("chromium-156-answer.sdp")).expect("corpus");
    let p = probe(&["sdp", "explain", "-"], Some(&text));
    assert_eq!(p.code, Some(0), "{p}");
    assert!(
        p.stdout
            .starts_with("session: answer (a=setup:active or passive"),
        "{p}"
    );
    assert!(
        p.stdout
            .contains("setup active: starts the DTLS handshake (DTLS client)"),
        "{p}"
    );
}

#[test]
fn an_m_line_with_too_few_fields_exits_2_with_its_line_number() {
    let text = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF\r\n";
    for cmd in ["explain", "answer"] {
        let p = probe(&["sdp", cmd, "-"], Some(text.as_bytes()));
        assert_eq!(p.code, Some(2), "{p}");
        assert!(p.stdout.is_empty(), "{p}");
        assert!(
            p.stderr.contains(
                "wren-probe: -:5: m=: expected <media> <port> <proto> <fmt> ..., found 3 fields"
            ),
            "{p}"
        );
        assert!(p.stderr.contains("  | m=video 9 UDP/TLS/RTP/SAVPF"), "{p}");
    }
}

#[test]
fn a_missing_file_and_an_oversized_one_exit_2() {
    let p = probe(&["sdp", "explain", "/nonexistent/offer.sdp"], None);
    assert_eq!(p.code, Some(2), "{p}");
    assert!(
        p.stderr.contains("/nonexistent/offer.sdp: cannot read"),
        "{p}"
    );
    let big = vec![b'a'; 200 * 1024];
    let p = probe(&["sdp", "answer", "-"], Some(&big));
    assert_eq!(p.code, Some(2), "{p}");
    assert!(
        p.stderr
            .contains("-: more than 131072 bytes, over wren-sdp's limit"),
        "{p}"
    );
    let p = probe(&["sdp", "explain", "-"], Some(b"v=0\r\n\xff\xfe\r\n"));
    assert_eq!(p.code, Some(2), "{p}");
    assert!(p.stderr.contains("-:2: not UTF-8"), "{p}");
}

#[test]
fn a_url_escaped_ufrag_warns() {
    let p = probe(
        &["sdp", "explain", "-"],
        Some(audio_offer("ab%2Bcd", true, &[]).as_bytes()),
    );
    assert_eq!(p.code, Some(0), "{p}");
    assert_eq!(
        p.warnings(),
        [
            "warning: a=ice-ufrag \"ab%2Bcd\" (section 0 (audio, mid 0)) has characters outside ice-char (RFC 8839 s5.4: letters, digits, + and /): '%'; it looks URL-escaped (%2B is +, %2F is /): the signalling layer changed it, and the peer's checks will fail"
        ],
        "{p}"
    );
    let p = probe(
        &["sdp", "explain", "-"],
        Some(audio_offer("ab&#43;cd", true, &[]).as_bytes()),
    );
    let w = p.warnings();
    assert_eq!(w.len(), 1, "{p}");
    assert!(w[0].contains("'&', '#', ';'; it looks HTML-escaped"), "{p}");
}

#[test]
fn private_and_mdns_candidates_only_warn() {
    let private = [
        "1 1 udp 2122260223 192.168.1.10 50000 typ host",
        "2 1 udp 2122262783 fd12:3456::1 50001 typ host",
        "3 1 udp 2122194687 3c2b2a1f-7a0e-4d5c-9f9b-0a1b2c3d4e5f.local 50002 typ host",
    ];
    let p = probe(
        &["sdp", "explain", "-"],
        Some(audio_offer("abcd", true, &private).as_bytes()),
    );
    assert_eq!(p.code, Some(0), "{p}");
    assert_eq!(
        p.warnings(),
        [
            "warning: every address is private or local: 192.168.1.10 (private), fd12:3456::1 (private), 3c2b2a1f-7a0e-4d5c-9f9b-0a1b2c3d4e5f.local (mDNS); a peer on another network cannot reach them: it needs a srflx or relay candidate (a STUN or TURN server)"
        ],
        "{p}"
    );
    // A server-reflexive candidate with a public address: nothing to warn about.
    let mut with_srflx = private.to_vec();
    with_srflx
        .push("4 1 udp 1686052607 203.0.113.7 50000 typ srflx raddr 192.168.1.10 rport 50000");
    let p = probe(
        &["sdp", "explain", "-"],
        Some(audio_offer("abcd", true, &with_srflx).as_bytes()),
    );
    assert!(p.warnings().is_empty(), "{p}");
    assert!(
        p.stdout.contains("    srflx (server-reflexive: the address a STUN server saw) udp 203.0.113.7:50000 (public), component 1, priority 1686052607, from 192.168.1.10:50000"),
        "{p}"
    );
}

#[test]
fn a_missing_fingerprint_warns() {
    let p = probe(
        &["sdp", "explain", "-"],
        Some(audio_offer("abcd", false, &[]).as_bytes()),
    );
    assert_eq!(p.code, Some(0), "{p}");
    assert_eq!(
        p.warnings(),
        [
            "warning: no a=fingerprint for section 0 (audio, mid 0): DTLS cannot check the peer's certificate, and browsers refuse the description (RFC 8122 s5, RFC 8842 s5)"
        ],
        "{p}"
    );
}

#[test]
fn a_kurento_codec_mismatch_answer_names_the_rejected_section_and_the_codecs() {
    let offer = fixture("kurento-codec-mismatch-offer.sdp");
    let answer = fixture("kurento-codec-mismatch-answer.sdp");
    // With the offer: the codecs on each side.
    let p = probe(&["sdp", "explain", "--offer", &offer, &answer], None);
    assert_eq!(p.code, Some(0), "{p}");
    assert!(p.stdout.starts_with("session: answer (as stated)"), "{p}");
    assert!(
        p.stdout
            .contains("section 1: video, mid 1, port 0 (rejected or stopped), UDP/TLS/RTP/SAVPF"),
        "{p}"
    );
    assert_eq!(
        p.warnings(),
        [
            "warning: section 1 (video, mid 1) has port 0: no codec in common: the offer has VP8/90000; the answer lists H264/90000 (packetization-mode=1, profile-level-id=42e01f)"
        ],
        "{p}"
    );
    // Alone: the answer's setup tells it is an answer; what it lists is named.
    let p = probe(&["sdp", "explain", &answer], None);
    assert_eq!(p.code, Some(0), "{p}");
    let w = p.warnings();
    assert_eq!(w.len(), 1, "{p}");
    assert!(
        w[0].starts_with("warning: section 1 (video, mid 1) has port 0: the answerer refused it, listing H264/90000 (packetization-mode=1, profile-level-id=42e01f)"),
        "{p}"
    );
    // The offer itself is fine.
    let p = probe(&["sdp", "explain", &offer], None);
    assert!(p.warnings().is_empty(), "{p}");
}

#[test]
fn the_answer_to_a_chromium_offer_parses_back_and_accepts_audio_video_and_data() {
    let p = probe(&["sdp", "answer", &corpus("chromium-156-offer.sdp")], None);
    assert_eq!(p.code, Some(0), "{p}");
    let answer = Session::parse(&p.stdout).expect("the answer parses");
    let kinds: Vec<(&str, u16)> = answer
        .media()
        .iter()
        .map(|m| (m.kind(), m.media_line().port))
        .collect();
    assert_eq!(
        kinds,
        [("audio", 9), ("video", 9), ("application", 9)],
        "{p}"
    );
    assert_eq!(answer.bundle_mids().collect::<Vec<_>>(), ["0", "1", "2"]);
    let video = &answer.media()[1];
    assert_eq!(video.rtpmap(96).map(|r| &*r.encoding), Some("VP8"));
    assert_eq!(answer.media()[2].sctp_port(), Some(5000));
    assert!(p.warnings().is_empty(), "{p}");
    // Codecs left out of accepted sections are notes, with why.
    assert!(
        p.stderr.lines().any(
            |l| l.starts_with("note: section 1 (mid 1): PT 116 H264/90000")
                && l.contains("H.264 Main offered")
        ),
        "{p}"
    );
    // And it says what it is, explained.
    let p = probe(
        &["sdp", "explain", "--type", "answer", "-"],
        Some(p.stdout.as_bytes()),
    );
    assert_eq!(p.code, Some(0), "{p}");
    assert!(p.warnings().is_empty(), "{p}");
}

#[test]
fn an_offer_with_no_common_video_codec_is_answered_with_port_0_and_why() {
    let mut offer = audio_offer("abcd", true, &[]).replace("BUNDLE 0", "BUNDLE 0 1");
    offer.push_str(&format!(
        "m=video 9 UDP/TLS/RTP/SAVPF 49\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\n\
         a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\na=fingerprint:{FP}\r\na=setup:actpass\r\n\
         a=mid:1\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:49 H265/90000\r\n"
    ));
    let p = probe(&["sdp", "answer", "-"], Some(offer.as_bytes()));
    assert_eq!(p.code, Some(0), "{p}");
    assert!(
        p.stdout.contains("\r\nm=video 0 UDP/TLS/RTP/SAVPF 49\r\n"),
        "{p}"
    );
    let w = p.warnings();
    assert_eq!(w.len(), 1, "{p}");
    assert!(
        w[0].starts_with("warning: section 1 (mid 1) rejected: no common codec: offered H265/90000; we support VP8/90000, VP9/90000 (profile-id=0)"),
        "{p}"
    );
    assert!(w[0].contains("AV1/90000"), "{p}");
    // The rejected section stays out of the answer's BUNDLE group.
    let answer = Session::parse(&p.stdout).expect("the answer parses");
    assert_eq!(answer.bundle_mids().collect::<Vec<_>>(), ["0"]);
}

#[test]
fn an_offer_with_h264_baseline_only_is_answered_with_it() {
    let mut offer = audio_offer("abcd", true, &[]).replace("BUNDLE 0", "BUNDLE 0 1");
    offer.push_str(&format!(
        "m=video 9 UDP/TLS/RTP/SAVPF 100 101\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\n\
         a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\na=fingerprint:{FP}\r\na=setup:actpass\r\n\
         a=mid:1\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:100 H264/90000\r\n\
         a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n\
         a=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n"
    ));
    let p = probe(&["sdp", "answer", "-"], Some(offer.as_bytes()));
    assert_eq!(p.code, Some(0), "{p}");
    assert!(p.stderr.is_empty(), "{p}");
    assert!(
        p.stdout
            .contains("\r\nm=video 9 UDP/TLS/RTP/SAVPF 100 101\r\n"),
        "{p}"
    );
    assert!(p.stdout.contains("profile-level-id=42001f"), "{p}");
}

#[test]
fn a_ufrag_with_a_space_exits_2_with_its_line_and_a_hint() {
    // A + read as a space by a URL-decoding signalling layer: not a valid attribute value.
    let text = audio_offer("ab cd", true, &[]);
    let p = probe(&["sdp", "explain", "-"], Some(text.as_bytes()));
    assert_eq!(p.code, Some(2), "{p}");
    assert!(
        p.stderr
            .contains("wren-probe: -:8: a=ice-ufrag: expected a non-empty value without spaces"),
        "{p}"
    );
    assert!(p.stderr.contains("  | a=ice-ufrag:ab cd"), "{p}");
    assert!(
        p.stderr
            .contains("  hint: a space in an ICE credential is often a +"),
        "{p}"
    );
}
