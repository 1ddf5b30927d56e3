//! An [`Explanation`] as text: the session, each section indented under its heading, then
//! the warnings, one line each beginning `warning:`.
//!
//! ```text
//! session: offer (every section says a=setup:actpass)
//!   origin: - 4961278466701402534 version 2
//!   BUNDLE: 0 1 2 (one transport for these sections)
//! section 0: audio, mid 0, port 42505, UDP/TLS/RTP/SAVPF
//!   direction: sends and receives (sendrecv)
//!   codecs:
//!     111 opus/48000/2: packets of at least 10 ms (minptime=10); in-band FEC on (useinbandfec=1)
//!         feedback: transport-cc = transport-wide congestion control
//! warning: every address is private or local: 127.0.0.1 (loopback); ...
//! ```

use std::fmt::Write as _;

use wren_sdp::attribute::RidDirection;

use super::codec::CodecFacts;
use super::explain::{
    self, CandidateFacts, DescriptionKind, Explanation, KindEvidence, Layer, SectionFacts,
    SectionState, SessionFacts, TransportFacts,
};
use super::words;

/// The text of `e`: lines ending in `\n`.
#[must_use]
pub fn text(e: &Explanation) -> String {
    let mut out = String::new();
    session(&mut out, &e.session);
    for s in &e.sections {
        section(&mut out, s);
    }
    for w in &e.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

fn kind(s: &SessionFacts) -> String {
    let what = match s.kind {
        DescriptionKind::Offer => "offer",
        DescriptionKind::Answer => "answer",
        DescriptionKind::Unknown => "offer or answer",
    };
    let why = match s.evidence {
        KindEvidence::Stated => "as stated",
        KindEvidence::ActPass => "a=setup:actpass, which only an offer says",
        KindEvidence::ActiveOrPassive => "a=setup:active or passive, as an answer says",
        KindEvidence::Mixed => "a=setup:actpass beside active or passive",
        KindEvidence::NoSetup => "no a=setup to tell",
    };
    format!("{what} ({why})")
}

fn session(out: &mut String, s: &SessionFacts) {
    let _ = writeln!(out, "session: {}", kind(s));
    if let Some(o) = &s.origin {
        let _ = writeln!(
            out,
            "  origin: {} {} version {} (address {})",
            o.username, o.session_id, o.version, o.address
        );
    }
    for g in &s.groups {
        if g.semantics.eq_ignore_ascii_case("BUNDLE") {
            let _ = writeln!(
                out,
                "  BUNDLE: {} (one transport for these sections, RFC 9143)",
                g.mids.join(" ")
            );
        } else {
            let _ = writeln!(out, "  group {}: {}", g.semantics, g.mids.join(" "));
        }
    }
    if s.ice_lite {
        let _ = writeln!(
            out,
            "  ICE lite: the writer only answers checks (a server, RFC 8445 s2.5)"
        );
    }
    if let Some(c) = &s.connection {
        let _ = writeln!(out, "  c=: {} ({})", c.address, c.reach);
    }
    if s.extmap_allow_mixed {
        let _ = writeln!(
            out,
            "  extmap-allow-mixed: one- and two-byte header extensions may be mixed (RFC 8285)"
        );
    }
    if let Some(m) = &s.msid_semantic {
        let _ = writeln!(out, "  msid-semantic: {}", m.trim());
    }
    transport(out, &s.transport, "  ");
}

fn transport(out: &mut String, t: &TransportFacts, indent: &str) {
    if t.ufrag.is_some() || t.pwd_len.is_some() || !t.ice_options.is_empty() {
        let mut line = format!("{indent}ICE:");
        if let Some(u) = &t.ufrag {
            let _ = write!(line, " ufrag {u}");
        }
        if let Some(n) = t.pwd_len {
            let _ = write!(
                line,
                "{} pwd of {n} characters",
                if t.ufrag.is_some() { "," } else { "" }
            );
        }
        for o in &t.ice_options {
            let words = match o.as_str() {
                "trickle" => "trickle (candidates may follow the description, RFC 8840)",
                "ice2" => "ice2 (RFC 8445)",
                other => other,
            };
            let _ = write!(line, ", option {words}");
        }
        let _ = writeln!(out, "{}", line.replacen(":,", ":", 1));
    }
    if !t.fingerprints.is_empty() || t.setup.is_some() {
        let mut line = format!("{indent}DTLS:");
        for h in &t.fingerprints {
            let _ = write!(line, " fingerprint {},", h.as_str());
        }
        match t.setup {
            Some(s) => {
                let _ = write!(line, " setup {s}: {}", words::setup(s));
            }
            None => {
                line.pop();
            }
        }
        let _ = writeln!(out, "{line}");
    }
}

fn section(out: &mut String, s: &SectionFacts) {
    let mut head = format!("section {}: {}", s.index, s.kind);
    if let Some(mid) = &s.mid {
        let _ = write!(head, ", mid {mid}");
    }
    let port = match (s.state, s.port) {
        (SectionState::Rejected, _) => "port 0 (rejected or stopped)".to_owned(),
        (SectionState::BundleOnly, _) => {
            "port 0 with a=bundle-only (carried on the BUNDLE transport)".to_owned()
        }
        (SectionState::Active, 9) => "port 9 (a placeholder: candidates give addresses)".to_owned(),
        (SectionState::Active, p) => format!("port {p}"),
    };
    let _ = writeln!(out, "{head}, {port}, {}", s.proto);
    if s.bundled {
        let _ = writeln!(out, "  bundled");
    }
    if s.data.is_none() {
        let _ = writeln!(
            out,
            "  direction: {} ({})",
            words::direction(s.direction),
            s.direction
        );
    }
    if let Some(c) = &s.connection {
        let _ = writeln!(out, "  c=: {} ({})", c.address, c.reach);
    }
    transport(out, &s.transport, "  ");
    let mut rtcp = Vec::new();
    if s.rtcp_mux {
        rtcp.push("multiplexed with RTP (rtcp-mux)");
    }
    if s.rtcp_mux_only {
        rtcp.push("only multiplexed (rtcp-mux-only)");
    }
    if s.rtcp_rsize {
        rtcp.push("reduced-size (rtcp-rsize)");
    }
    if !rtcp.is_empty() {
        let _ = writeln!(out, "  RTCP: {}", rtcp.join(", "));
    }
    if let Some(d) = &s.data {
        let port = d
            .sctp_port
            .map_or("no a=sctp-port".to_owned(), |p| format!("SCTP port {p}"));
        let size = d.max_message_size.map_or(
            "no a=max-message-size (64 KiB assumed, RFC 8841 s6.1)".to_owned(),
            |m| format!("max message size {m} bytes"),
        );
        let _ = writeln!(out, "  data channel: {port}, {size}");
    }
    if let Some(map) = &s.sctpmap {
        let _ = writeln!(
            out,
            "  sctpmap: {map} (the format of the drafts before RFC 8841, which uses \
             UDP/DTLS/SCTP and a=sctp-port)"
        );
    }
    if !s.codecs.is_empty() {
        let _ = writeln!(out, "  codecs:");
        for c in &s.codecs {
            codec(out, c);
        }
    }
    if !s.extensions.is_empty() {
        let _ = writeln!(out, "  header extensions:");
        for e in &s.extensions {
            let dir = e.direction.map_or(String::new(), |d| format!(" ({d})"));
            match e.meaning {
                Some(m) => {
                    let _ = writeln!(out, "    {}{dir} {m}: {}", e.id, e.uri);
                }
                None => {
                    let _ = writeln!(out, "    {}{dir} {}", e.id, e.uri);
                }
            }
        }
    }
    candidates(out, s);
    simulcast(out, s);
    for m in &s.msids {
        let _ = writeln!(out, "  msid: {m}");
    }
    for src in &s.sources {
        match &src.cname {
            Some(c) => {
                let _ = writeln!(out, "  source: ssrc {} (cname {c})", src.ssrc);
            }
            None => {
                let _ = writeln!(out, "  source: ssrc {}", src.ssrc);
            }
        }
    }
    for g in &s.ssrc_groups {
        let what = match g.semantics.as_str() {
            "FID" => " (a source and its retransmissions)",
            "SIM" => " (simulcast layers)",
            "FEC-FR" => " (a source and its FEC)",
            _ => "",
        };
        let ssrcs: Vec<String> = g.ssrcs.iter().map(u32::to_string).collect();
        let _ = writeln!(
            out,
            "  ssrc-group {}: {}{what}",
            g.semantics,
            ssrcs.join(" ")
        );
    }
}

fn codec(out: &mut String, c: &CodecFacts) {
    let mut line = format!("    {} {}", c.payload_type, c.rtpmap());
    if let Some(role) = c.role {
        let _ = write!(line, " [{role}]");
    }
    let params: Vec<String> = c
        .params
        .iter()
        .map(|p| {
            let raw = if p.key.is_empty() {
                p.value.clone()
            } else {
                format!("{}={}", p.key, p.value)
            };
            match &p.meaning {
                Some(m) => format!("{m} ({raw})"),
                None => raw,
            }
        })
        .collect();
    if !params.is_empty() {
        let _ = write!(line, ": {}", params.join("; "));
    }
    let _ = writeln!(out, "{line}");
    if !c.feedback.is_empty() {
        let fb: Vec<String> = c
            .feedback
            .iter()
            .map(|f| match f.meaning {
                Some(m) => format!("{} = {m}", f.value),
                None => f.value.clone(),
            })
            .collect();
        let _ = writeln!(out, "        feedback: {}", fb.join(", "));
    }
}

fn candidates(out: &mut String, s: &SectionFacts) {
    if s.candidates.is_empty() && !s.end_of_candidates {
        return;
    }
    let _ = writeln!(out, "  candidates:");
    for c in &s.candidates {
        match c {
            CandidateFacts::Read(c) => {
                let reach = super::address::of_text(&c.address.to_string());
                let mut line = format!(
                    "    {} {} {} ({reach}), component {}, priority {}",
                    explain::candidate_type(c.kind),
                    explain::candidate_transport(c),
                    socket(&c.address.to_string(), c.port),
                    c.component,
                    c.priority
                );
                if let Some((addr, port)) = &c.related {
                    let _ = write!(line, ", from {}", socket(&addr.to_string(), *port));
                }
                let _ = writeln!(out, "{line}");
            }
            CandidateFacts::Unreadable { text, .. } => {
                let _ = writeln!(out, "    unreadable: {text}");
            }
        }
    }
    if s.end_of_candidates {
        let _ = writeln!(out, "    end of candidates (no more will follow)");
    }
}

/// `address:port`, with an IPv6 address in brackets (RFC 3986 s3.2.2).
fn socket(address: &str, port: u16) -> String {
    if address.contains(':') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    }
}

fn layers(list: &[Layer]) -> String {
    let shown: Vec<String> = list
        .iter()
        .map(|alts| {
            let alts: Vec<String> = alts
                .iter()
                .map(|(id, paused)| {
                    if *paused {
                        format!("{id} (paused)")
                    } else {
                        id.clone()
                    }
                })
                .collect();
            alts.join(" or ")
        })
        .collect();
    shown.join(", ")
}

fn simulcast(out: &mut String, s: &SectionFacts) {
    for r in &s.rids {
        let dir = match r.direction {
            RidDirection::Send => "sent",
            RidDirection::Recv => "received",
        };
        if r.params.is_empty() {
            let _ = writeln!(out, "  rid {}: {dir}", r.id);
        } else {
            let _ = writeln!(out, "  rid {}: {dir}, {}", r.id, r.params);
        }
    }
    if let Some(sim) = &s.simulcast {
        if !sim.send.is_empty() {
            let _ = writeln!(
                out,
                "  simulcast: sends {} layers: {}",
                sim.send.len(),
                layers(&sim.send)
            );
        }
        if !sim.recv.is_empty() {
            let _ = writeln!(
                out,
                "  simulcast: receives {} layers: {}",
                sim.recv.len(),
                layers(&sim.recv)
            );
        }
    }
}
