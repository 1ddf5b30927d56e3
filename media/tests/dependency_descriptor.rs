//! The Dependency Descriptor (the AV1 RTP specification, Appendix A) as Chromium sends it:
//! headless Chromium sends its fake camera in AV1 with `scalabilityMode` L1T3 and L3T3 to
//! a wren-rtc peer that negotiates the extension ([`URI`]); every video packet's
//! descriptor is read, in sequence order, by one [`DescriptorReader`], and what it says is
//! held to the specification's rules and to the RTP stream: the first packet brings the
//! structure; a frame's packets share its frame number and template, the first says
//! start of frame and the last end of frame (the RTP marker only ever on a frame's last
//! packet); frame numbers count frames in decode order one by one; every frame diff names
//! an earlier frame of the stream no higher in spatial or temporal layer; the layers seen
//! are the mode's.
//!
//! With `WREN_CAPTURE_FIXTURES=DIR` the video packets are also written there as
//! `chromium-av1-<mode>.rtp` (tests/fixtures/README.md says where those there came from);
//! `captured_descriptors_*` read the fixtures the same way without a browser.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use wren_browser::Kind;
use wren_media::codec::dependency_descriptor::{DescriptorReader, Dti, URI};
use wren_rtp::rtp::RtpPacket;

use common::call::CallEvent;
use common::capture::Capture;

/// The id Chromium 148 offered the extension with, in the fixtures' calls.
const FIXTURE_EXTENSION_ID: u8 = 13;

fn page(mode: &str, width: u32, height: u32) -> String {
    format!(
        r#"<!doctype html><meta charset="utf-8"><script>
async function main() {{
  const report = (o) => fetch('/result', {{method: 'POST', body: JSON.stringify(o)}});
  try {{
    const pc = new RTCPeerConnection();
    const stream = await navigator.mediaDevices.getUserMedia({{video: {{width: {width}, height: {height}}}}});
    const [track] = stream.getVideoTracks();
    const tr = pc.addTransceiver(track, {{direction: 'sendonly', streams: [stream],
      sendEncodings: [{{scalabilityMode: '{mode}'}}]}});
    const codecs = RTCRtpSender.getCapabilities('video').codecs
      .filter((c) => c.mimeType.toLowerCase() === 'video/av1');
    if (codecs.length === 0) {{ report({{error: 'no AV1 encoder'}}); return; }}
    tr.setCodecPreferences(codecs);
    pc.onconnectionstatechange = () => report({{state: pc.connectionState}});
    await pc.setLocalDescription(await pc.createOffer());
    const r = await fetch('/offer', {{method: 'POST', body: pc.localDescription.sdp}});
    await pc.setRemoteDescription({{type: 'answer', sdp: await r.text()}});
  }} catch (e) {{ report({{error: String(e)}}); }}
}}
main();
</script>"#
    )
}

/// What one stream's descriptors said.
#[derive(Debug, Default)]
struct Summary {
    packets: usize,
    frames: usize,
    structures: usize,
    spatial: BTreeSet<u8>,
    temporal: BTreeSet<u8>,
    decode_targets: usize,
    max_spatial_id: u8,
}

/// Reads the descriptor (extension `id`) of every packet of one stream, in sequence
/// order, and holds it to the rules in the file's docs.
fn read_stream(packets: &[Vec<u8>], id: u8) -> Summary {
    let mut rtp: Vec<RtpPacket<'_>> = packets
        .iter()
        .map(|p| RtpPacket::parse(p).expect("a captured packet parses as RTP"))
        .filter(|p| !p.payload().is_empty())
        .collect();
    let first = rtp.first().expect("video packets").sequence_number();
    rtp.sort_by_key(|p| p.sequence_number().wrapping_sub(first));
    let mut reader = DescriptorReader::new();
    let mut s = Summary::default();
    // Frame number -> (spatial id, temporal id) of the frames seen.
    let mut frames: HashMap<u16, (u8, u8)> = HashMap::new();
    // The frame in progress: its number, template, and whether its end came.
    let mut current: Option<(u16, u8, bool)> = None;
    let mut last_in_unit: Option<(u32, u8)> = None;
    for (i, p) in rtp.iter().enumerate() {
        let ext = p
            .extension(id)
            .unwrap_or_else(|| panic!("packet {i} has no dependency descriptor"));
        let d = reader
            .read(ext)
            .unwrap_or_else(|e| panic!("packet {i}: {e} ({ext:02x?})"));
        let m = d.mandatory;
        s.packets += 1;
        if i == 0 {
            assert!(
                d.structure_attached,
                "the first packet brings the structure"
            );
        }
        s.structures += usize::from(d.structure_attached);
        let structure = reader.structure().expect("a structure after a read");
        if let Some(active) = d.active_decode_targets {
            let all = (1u64 << structure.decode_targets()) - 1;
            assert_eq!(u64::from(active) & !all, 0, "packet {i}: {active:b}");
        }
        assert_eq!(d.frame.dtis.len(), structure.decode_targets());
        if m.start_of_frame {
            if let Some((number, _, ended)) = current {
                assert!(ended, "packet {i}: frame {number} did not end");
                assert_eq!(m.frame_number, number.wrapping_add(1), "packet {i}");
            }
            current = Some((m.frame_number, m.template_id, false));
            let layers = (d.frame.spatial_id, d.frame.temporal_id);
            for diff in d.frame.frame_diffs.as_slice() {
                let on = m.frame_number.wrapping_sub(*diff);
                let (rs, rt) = *frames
                    .get(&on)
                    .unwrap_or_else(|| panic!("packet {i}: depends on frame {on}, not seen"));
                assert!(
                    rs <= layers.0 && rt <= layers.1,
                    "packet {i}: {layers:?} on {on}"
                );
            }
            // Within a temporal unit (one RTP timestamp) spatial layers go up.
            if let Some((ts, spatial)) = last_in_unit
                && ts == p.timestamp()
            {
                assert!(d.frame.spatial_id > spatial, "packet {i}");
            }
            last_in_unit = Some((p.timestamp(), d.frame.spatial_id));
            frames.insert(m.frame_number, layers);
            s.frames += 1;
            s.spatial.insert(d.frame.spatial_id);
            s.temporal.insert(d.frame.temporal_id);
            // The frame is part of some decode target.
            assert!(
                d.frame.dtis.iter().any(|x| x != Dti::NotPresent),
                "packet {i}"
            );
        } else {
            let (number, template, ended) = current.expect("a frame begins the stream");
            assert!(!ended, "packet {i} after its frame's end");
            assert_eq!(
                (m.frame_number, m.template_id),
                (number, template),
                "packet {i}"
            );
        }
        if m.end_of_frame
            && let Some(c) = current.as_mut()
        {
            c.2 = true;
        }
        assert!(
            !p.marker() || m.end_of_frame,
            "packet {i}: marker inside a frame"
        );
    }
    let structure = reader.structure().expect("a structure");
    s.decode_targets = structure.decode_targets();
    s.max_spatial_id = structure.max_spatial_id();
    for sid in 1..=s.max_spatial_id {
        if let (Some(lo), Some(hi)) = (structure.resolution(sid - 1), structure.resolution(sid)) {
            assert!(
                lo.width < hi.width && lo.height < hi.height,
                "{lo:?} {hi:?}"
            );
        }
    }
    s
}

fn check_l1t3(s: &Summary) {
    assert_eq!(s.decode_targets, 3, "{s:?}");
    assert_eq!(s.max_spatial_id, 0, "{s:?}");
    assert_eq!(s.spatial, BTreeSet::from([0]), "{s:?}");
    assert_eq!(s.temporal, BTreeSet::from([0, 1, 2]), "{s:?}");
}

fn check_l3t3(s: &Summary) {
    assert_eq!(s.decode_targets, 9, "{s:?}");
    assert_eq!(s.max_spatial_id, 2, "{s:?}");
    assert!(
        s.spatial.len() > 1,
        "more than one spatial layer sent: {s:?}"
    );
    assert_eq!(s.temporal, BTreeSet::from([0, 1, 2]), "{s:?}");
}

/// A call in `mode`: the video packets and the extension's negotiated id.
fn call(mode: &str, width: u32, height: u32) -> (Vec<Vec<u8>>, u8) {
    let mut video_pt = None;
    let mut id = None;
    let mut packets = Vec::new();
    common::call::run(
        Kind::Chromium,
        page(mode, width, height),
        4,
        |config| {
            config
                .capabilities
                .extensions
                .push(wren_sdp::jsep::capabilities::Extension::new(
                    URI, false, true,
                ));
        },
        |e| match e {
            CallEvent::Negotiated { peer, answer } => {
                let c = Capture::new("chromium", peer);
                assert_eq!(c.video_codec, "AV1", "{answer}");
                video_pt = Some(c.video_pt);
                id = answer.lines().find_map(|l| {
                    let rest = l.strip_prefix("a=extmap:")?;
                    let (n, uri) = rest.split_once(' ')?;
                    (uri.trim() == URI).then(|| n.parse::<u8>().ok()).flatten()
                });
                assert!(id.is_some(), "the answer takes the extension:\n{answer}");
            }
            CallEvent::Rtp(rtp) => {
                if rtp.get(1).map(|b| b & 0x7f) == video_pt {
                    packets.push(rtp.to_vec());
                }
            }
        },
    );
    let id = id.expect("negotiated");
    if let Ok(dir) = std::env::var("WREN_CAPTURE_FIXTURES") {
        let name = format!("chromium-av1-{}.rtp", mode.to_lowercase());
        let mut out = Vec::new();
        for p in &packets {
            let Some(header) = header_only(p) else {
                continue;
            };
            out.extend_from_slice(&(header.len() as u32).to_be_bytes());
            out.extend_from_slice(&header);
        }
        std::fs::write(Path::new(&dir).join(name), out).unwrap();
        println!(
            "{}: extension id {id}, {} packets",
            Kind::Chromium.version().trim(),
            packets.len()
        );
    }
    (packets, id)
}

/// A packet with media cut to its header (with the extensions) and its payload's first
/// byte, the padding bit cleared; `None` for padding only. The descriptor is in the
/// header: the fixtures keep it and leave the AV1 payloads out.
fn header_only(packet: &[u8]) -> Option<Vec<u8>> {
    let rtp = RtpPacket::parse(packet).expect("a captured packet parses as RTP");
    let first = *rtp.payload().first()?;
    let mut out = rtp.header_bytes().to_vec();
    out[0] &= !0x20;
    out.push(first);
    Some(out)
}

fn fixture(name: &str) -> Vec<Vec<u8>> {
    Capture::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
}

#[test]
fn captured_descriptors_of_chromium_av1_l1t3_read_and_hold_to_the_rules() {
    let s = read_stream(&fixture("chromium-av1-l1t3.rtp"), FIXTURE_EXTENSION_ID);
    check_l1t3(&s);
    assert!(s.frames > 50, "{s:?}");
}

#[test]
fn captured_descriptors_of_chromium_av1_l3t3_read_and_hold_to_the_rules() {
    let s = read_stream(&fixture("chromium-av1-l3t3.rtp"), FIXTURE_EXTENSION_ID);
    check_l3t3(&s);
    assert_eq!(s.spatial, BTreeSet::from([0, 1, 2]), "{s:?}");
    assert!(s.frames > 50, "{s:?}");
}

#[test]
fn chromium_av1_l1t3_and_l3t3_dependency_descriptors_read_and_hold_to_the_rules() {
    let (packets, id) = call("L1T3", 640, 480);
    let s = read_stream(&packets, id);
    println!("L1T3: {s:?}");
    check_l1t3(&s);
    let (packets, id) = call("L3T3", 1280, 720);
    let s = read_stream(&packets, id);
    println!("L3T3: {s:?}");
    check_l3t3(&s);
}
