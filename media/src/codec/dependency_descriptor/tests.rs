//! Descriptors written bit by bit from Appendix A.8.2's syntax, field by field in the
//! order the syntax reads them.

use super::*;

/// Writes fields most significant bit first, as `f(n)` reads them; the last byte is
/// zero padded.
#[derive(Default)]
struct W {
    bytes: Vec<u8>,
    bits: usize,
}

impl W {
    fn put(&mut self, value: u32, n: u32) -> &mut W {
        for i in (0..n).rev() {
            if self.bits % 8 == 0 {
                self.bytes.push(0);
            }
            let bit = ((value >> i) & 1) as u8;
            let last = self.bytes.len() - 1;
            self.bytes[last] |= bit << (7 - self.bits % 8);
            self.bits += 1;
        }
        self
    }

    /// The mandatory fields.
    fn mandatory(s: bool, e: bool, template_id: u32, frame_number: u32) -> W {
        let mut w = W::default();
        w.put(u32::from(s), 1)
            .put(u32::from(e), 1)
            .put(template_id, 6)
            .put(frame_number, 16);
        w
    }

    /// The five extended flags: structure, active decode targets, custom dtis, fdiffs,
    /// chains.
    fn flags(&mut self, f: [bool; 5]) -> &mut W {
        for b in f {
            self.put(u32::from(b), 1);
        }
        self
    }
}

use Dti::{Discardable as D, NotPresent as N, Required as R, Switch as S};

/// An L1T3 key frame's first packet (the structure libwebrtc's L1T3 mode uses: three
/// decode targets, one chain, five templates), template ids from 60 (so they wrap to 0).
fn l1t3_key() -> Vec<u8> {
    let mut w = W::mandatory(true, false, 60, 100);
    w.flags([true, false, false, false, false]);
    // template_dependency_structure: template_id_offset, dt_cnt_minus_one.
    w.put(60, 6).put(2, 5);
    // template_layers: T0, T0 (same: 0), T1 (next temporal: 1), T2 (1), T2 (0), end (3).
    for idc in [0, 1, 1, 0, 3] {
        w.put(idc, 2);
    }
    // template_dtis, three per template: SSS, SSS, -DS, --D, --D.
    for dtis in [[S, S, S], [S, S, S], [N, D, S], [N, N, D], [N, N, D]] {
        for d in dtis {
            w.put(d as u32, 2);
        }
    }
    // template_fdiffs: none; 4; 2; 1; 1 (fdiff_follows_flag, fdiff_minus_one, ..., 0).
    w.put(0, 1);
    for fdiff in [4, 2, 1, 1] {
        w.put(1, 1).put(fdiff - 1, 4).put(0, 1);
    }
    // template_chains: chain_cnt = ns(4) = 1 ('01': w = 3, m = 4, f(2) = 1 < 4);
    // decode_target_protected_by = ns(1), no bits; one four-bit chain fdiff per template.
    w.put(0b01, 2);
    for chain in [0, 4, 2, 1, 3] {
        w.put(chain, 4);
    }
    // resolutions_present_flag, 320x240.
    w.put(1, 1).put(319, 16).put(239, 16);
    w.bytes
}

/// An L3T3 key frame's first (and last) packet: three spatial layers of three temporal
/// layers, nine decode targets (decode target `3 * s + t`), one chain per spatial layer,
/// twelve templates from id 5; frame number 65535.
fn l3t3_key() -> Vec<u8> {
    let mut w = W::mandatory(true, true, 5, 0xffff);
    w.flags([true, false, false, false, false]);
    w.put(5, 6).put(8, 5);
    // template_layers: S0T0 S0T0 S0T1 S0T2 | S1T0 S1T0 S1T1 S1T2 | S2T0 S2T0 S2T1 S2T2.
    for idc in [0, 1, 1, 2, 0, 1, 1, 2, 0, 1, 1, 3] {
        w.put(idc, 2);
    }
    for (s, t) in L3T3_LAYERS {
        for dt in 0..9 {
            w.put(l3t3_dti(s, t, dt) as u32, 2);
        }
    }
    for diffs in L3T3_FDIFFS {
        for d in diffs {
            w.put(1, 1).put(u32::from(*d) - 1, 4);
        }
        w.put(0, 1);
    }
    // chain_cnt = ns(10) = 3: w = 4, m = 6, f(3) = 3 < 6.
    w.put(0b011, 3);
    // decode_target_protected_by[dt] = dt / 3 as ns(3): '0', '10', '11'.
    for dt in 0..9 {
        match dt / 3 {
            0 => w.put(0b0, 1),
            1 => w.put(0b10, 2),
            _ => w.put(0b11, 2),
        };
    }
    for i in 0..12u8 {
        for c in 0..3u8 {
            w.put(u32::from(l3t3_chain(i, c)), 4);
        }
    }
    w.put(1, 1);
    for (width, height) in [(320, 180), (640, 360), (1280, 720)] {
        w.put(width - 1, 16).put(height - 1, 16);
    }
    w.bytes
}

const L3T3_LAYERS: [(u8, u8); 12] = [
    (0, 0),
    (0, 0),
    (0, 1),
    (0, 2),
    (1, 0),
    (1, 0),
    (1, 1),
    (1, 2),
    (2, 0),
    (2, 0),
    (2, 1),
    (2, 2),
];

/// Each template's frame diffs: the key pictures' layers refer to the layer below (1),
/// the others to the same layer 4, 2 or 1 pictures back (three frames a picture).
const L3T3_FDIFFS: [&[u16]; 12] = [
    &[],
    &[12],
    &[6],
    &[3],
    &[1],
    &[12, 1],
    &[6, 1],
    &[3, 1],
    &[1],
    &[12, 1],
    &[6, 1],
    &[3, 1],
];

/// Template `(s, t)` in decode target `dt`: present when its layers are at most the
/// target's; Switch on T0, Discardable on the target's top temporal layer, else Required.
fn l3t3_dti(s: u8, t: u8, dt: u8) -> Dti {
    let (ds, dtt) = (dt / 3, dt % 3);
    if s > ds || t > dtt {
        N
    } else if t == 0 {
        S
    } else if t == dtt {
        D
    } else {
        R
    }
}

fn l3t3_chain(template: u8, chain: u8) -> u8 {
    if template == 0 {
        0
    } else {
        (template + chain) % 16
    }
}

#[test]
fn mandatory_fields_are_the_first_three_bytes() {
    let m = MandatoryFields::parse(&[0xc5, 0x12, 0x34]).unwrap();
    assert_eq!(
        m,
        MandatoryFields {
            start_of_frame: true,
            end_of_frame: true,
            template_id: 5,
            frame_number: 0x1234
        }
    );
    let m = MandatoryFields::parse(&[0x3f, 0xff, 0x00, 0xaa]).unwrap();
    assert!(!m.start_of_frame && !m.end_of_frame);
    assert_eq!((m.template_id, m.frame_number), (63, 0xff00));
    for cut in 0..3 {
        assert!(MandatoryFields::parse(&[0xc5, 0x12, 0x34][..cut]).is_err());
    }
}

#[test]
fn an_l1t3_key_frame_structure_is_read_and_later_descriptors_resolve_to_its_templates() {
    let mut r = DescriptorReader::new();
    let d = r.read(&l1t3_key()).unwrap();
    assert!(d.structure_attached);
    assert!(d.mandatory.start_of_frame && !d.mandatory.end_of_frame);
    assert_eq!(d.mandatory.frame_number, 100);
    assert_eq!(
        d.active_decode_targets,
        Some(0b111),
        "a new structure: all active"
    );
    assert_eq!((d.frame.spatial_id, d.frame.temporal_id), (0, 0));
    assert_eq!(d.frame.dtis.iter().collect::<Vec<_>>(), [S, S, S]);
    assert_eq!(d.frame.frame_diffs.as_slice(), &[] as &[u16]);
    assert_eq!(d.frame.chain_diffs.as_slice(), [0]);
    assert_eq!(
        d.frame.resolution,
        Some(Resolution {
            width: 320,
            height: 240
        })
    );
    let s = r.structure().unwrap();
    assert_eq!(
        (s.template_id_offset(), s.decode_targets(), s.chains()),
        (60, 3, 1)
    );
    assert_eq!(s.templates().len(), 5);
    assert_eq!(
        (0..3).map(|dt| s.protected_by(dt)).collect::<Vec<_>>(),
        [Some(0); 3]
    );
    let layers: Vec<_> = (0..3)
        .map(|dt| s.decode_target_layer(dt).unwrap().temporal_id)
        .collect();
    assert_eq!(layers, [0, 1, 2], "decode_target_layers: T0, T0-T1, T0-T2");
    assert_eq!(s.decode_target_layer(3), None);

    // Three-byte descriptors: template 62 is the third (T1), template 0 the fifth (T2,
    // past the wrap), 59 none.
    let d = r.read(&[0x80 | 62, 0x00, 102]).unwrap();
    assert!(!d.structure_attached && d.active_decode_targets.is_none());
    assert_eq!((d.frame.spatial_id, d.frame.temporal_id), (0, 1));
    assert_eq!(d.frame.dtis.iter().collect::<Vec<_>>(), [N, D, S]);
    assert_eq!(d.frame.frame_diffs.as_slice(), [2]);
    assert_eq!(d.frame.chain_diffs.as_slice(), [2]);
    let d = r.read(&[0x40, 0x00, 103]).unwrap();
    assert!(!d.mandatory.start_of_frame && d.mandatory.end_of_frame);
    assert_eq!(d.frame.temporal_id, 2);
    assert_eq!(d.frame.chain_diffs.as_slice(), [3]);
    assert_eq!(
        r.read(&[0x80 | 59, 0x00, 104]),
        Err(DescriptorError::UnknownTemplate(59))
    );
    assert_eq!(r.active_decode_targets(), Some(0b111));
}

#[test]
fn custom_dtis_fdiffs_chains_and_the_active_decode_targets_override_the_template() {
    let mut r = DescriptorReader::new();
    r.read(&l1t3_key()).unwrap();
    let mut w = W::mandatory(true, true, 61, 101);
    w.flags([false, true, true, true, true]);
    // active_decode_targets_bitmask f(DtCnt = 3).
    w.put(0b011, 3);
    // frame_dtis: R R -.
    for d in [R, R, N] {
        w.put(d as u32, 2);
    }
    // frame_fdiffs: next_fdiff_size 1 with fdiff_minus_one 0 (1); size 2 with 16 (17);
    // size 3 with 4095 (4096); 0 ends.
    w.put(1, 2)
        .put(0, 4)
        .put(2, 2)
        .put(16, 8)
        .put(3, 2)
        .put(4095, 12)
        .put(0, 2);
    // frame_chains: one f(8).
    w.put(200, 8);
    let d = r.read(&w.bytes).unwrap();
    assert_eq!(d.active_decode_targets, Some(0b011));
    assert_eq!(r.active_decode_targets(), Some(0b011));
    assert_eq!((d.frame.spatial_id, d.frame.temporal_id), (0, 0));
    assert_eq!(d.frame.dtis.iter().collect::<Vec<_>>(), [R, R, N]);
    assert_eq!(d.frame.frame_diffs.as_slice(), [1, 17, 4096]);
    assert_eq!(d.frame.chain_diffs.as_slice(), [200]);
    // The template itself is untouched.
    let d = r.read(&[0xc0 | 61, 0, 102]).unwrap();
    assert_eq!(d.frame.frame_diffs.as_slice(), [4]);
    assert_eq!(d.frame.dtis.iter().collect::<Vec<_>>(), [S, S, S]);
    assert_eq!(r.active_decode_targets(), Some(0b011), "kept until changed");
}

#[test]
fn an_l3t3_key_frame_structure_gives_nine_decode_targets_three_chains_and_resolutions() {
    let mut r = DescriptorReader::new();
    let d = r.read(&l3t3_key()).unwrap();
    assert_eq!(d.mandatory.frame_number, 0xffff);
    assert_eq!(d.active_decode_targets, Some(0x1ff));
    assert_eq!((d.frame.spatial_id, d.frame.temporal_id), (0, 0));
    assert_eq!(
        d.frame.dtis.iter().collect::<Vec<_>>(),
        [S, S, S, S, S, S, S, S, S]
    );
    let s = r.structure().unwrap().clone();
    assert_eq!(
        (s.decode_targets(), s.chains(), s.max_spatial_id()),
        (9, 3, 2)
    );
    for dt in 0..9u8 {
        assert_eq!(s.protected_by(usize::from(dt)), Some(dt / 3));
        assert_eq!(
            s.decode_target_layer(usize::from(dt)),
            Some(DecodeTargetLayer {
                spatial_id: dt / 3,
                temporal_id: dt % 3
            })
        );
    }
    for (i, t) in s.templates().iter().enumerate() {
        assert_eq!((t.spatial_id, t.temporal_id), L3T3_LAYERS[i]);
        assert_eq!(t.frame_diffs.as_slice(), L3T3_FDIFFS[i], "template {i}");
        let want: Vec<_> = (0..9)
            .map(|dt| l3t3_dti(t.spatial_id, t.temporal_id, dt))
            .collect();
        assert_eq!(t.dtis.iter().collect::<Vec<_>>(), want, "template {i}");
        let chains: Vec<_> = (0..3).map(|c| l3t3_chain(i as u8, c)).collect();
        assert_eq!(t.chain_diffs.as_slice(), chains, "template {i}");
    }
    assert_eq!(
        [0, 1, 2, 3].map(|sid| s.resolution(sid).map(|r| (r.width, r.height))),
        [Some((320, 180)), Some((640, 360)), Some((1280, 720)), None]
    );
    // Template 12 is the eighth: S1T2, referring to S1 one picture back and to S0.
    let d = r.read(&[0x80 | 12, 0x00, 0x05]).unwrap();
    assert_eq!((d.frame.spatial_id, d.frame.temporal_id), (1, 2));
    assert_eq!(d.frame.frame_diffs.as_slice(), [3, 1]);
    assert_eq!(d.frame.resolution.map(|r| r.width), Some(640));
    assert_eq!(d.frame.dtis.get(5), Some(D));
    assert_eq!(d.frame.dtis.get(2), Some(N));
    assert_eq!(d.frame.dtis.get(9), None);
}

#[test]
fn a_descriptor_that_fails_keeps_the_structure_in_force() {
    let mut r = DescriptorReader::new();
    r.read(&l1t3_key()).unwrap();
    let before = r.structure().cloned();
    let l3t3 = l3t3_key();
    for cut in 0..l3t3.len() {
        assert!(r.read(&l3t3[..cut]).is_err(), "cut at {cut}");
        assert_eq!(r.structure().cloned(), before, "cut at {cut}");
        assert_eq!(r.active_decode_targets(), Some(0b111));
    }
    // A whole structure whose own template id is not in it.
    let mut bad = l1t3_key();
    bad[0] = 0x80 | 10;
    assert_eq!(r.read(&bad), Err(DescriptorError::UnknownTemplate(10)));
    assert_eq!(r.structure().cloned(), before);
    // And the L3T3 one, whole, replaces it.
    r.read(&l3t3).unwrap();
    assert_eq!(
        r.structure().map(TemplateStructure::decode_targets),
        Some(9)
    );
}

#[test]
fn a_descriptor_without_a_structure_before_it_is_refused() {
    let mut r = DescriptorReader::new();
    assert_eq!(r.read(&[0x80, 0, 1]), Err(DescriptorError::NoStructure));
    let mut w = W::mandatory(true, false, 0, 1);
    w.flags([false, false, true, false, false]).put(0, 3);
    assert_eq!(r.read(&w.bytes), Err(DescriptorError::NoStructure));
    assert!(r.structure().is_none());
}

#[test]
fn limits_of_templates_layers_and_frame_diffs_are_typed_errors() {
    let structure_start = || {
        let mut w = W::mandatory(true, false, 0, 1);
        w.flags([true, false, false, false, false])
            .put(0, 6)
            .put(0, 5);
        w
    };
    let mut r = DescriptorReader::new();
    let mut w = structure_start();
    for _ in 0..64 {
        w.put(0, 2);
    }
    w.put(3, 2);
    assert_eq!(r.read(&w.bytes), Err(DescriptorError::TooManyTemplates));
    let mut w = structure_start();
    for _ in 0..4 {
        w.put(2, 2);
    }
    assert_eq!(r.read(&w.bytes), Err(DescriptorError::TooManySpatialLayers));
    let mut w = structure_start();
    for _ in 0..8 {
        w.put(1, 2);
    }
    assert_eq!(
        r.read(&w.bytes),
        Err(DescriptorError::TooManyTemporalLayers)
    );
    // One template with nine frame diffs.
    let mut w = structure_start();
    w.put(3, 2).put(0, 2);
    for _ in 0..9 {
        w.put(1, 1).put(0, 4);
    }
    w.put(0, 1).put(0, 1).put(0, 1);
    assert_eq!(r.read(&w.bytes), Err(DescriptorError::TooManyFrameDiffs));
    // Nine custom frame diffs.
    r.read(&l1t3_key()).unwrap();
    let mut w = W::mandatory(true, false, 60, 1);
    w.flags([false, false, false, true, false]);
    for _ in 0..9 {
        w.put(1, 2).put(0, 4);
    }
    w.put(0, 2);
    assert_eq!(r.read(&w.bytes), Err(DescriptorError::TooManyFrameDiffs));
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_bytes_are_read_or_refused_without_a_panic(
            first in proptest::collection::vec(any::<u8>(), 0..80),
            second in proptest::collection::vec(any::<u8>(), 0..80),
        ) {
            let mut r = DescriptorReader::new();
            for bytes in [&first, &second] {
                let before = r.structure().cloned();
                match r.read(bytes) {
                    Ok(d) => {
                        let s = r.structure().expect("a read descriptor had a structure");
                        prop_assert!(s.template(d.mandatory.template_id).is_some());
                        prop_assert_eq!(d.frame.dtis.len(), s.decode_targets());
                    }
                    Err(_) => prop_assert_eq!(r.structure().cloned(), before),
                }
            }
        }

        #[test]
        fn a_structure_with_any_bytes_after_it_never_panics(
            tail in proptest::collection::vec(any::<u8>(), 0..40),
            cut in 0usize..200,
            flags in any::<u8>(),
        ) {
            let mut r = DescriptorReader::new();
            r.read(&l3t3_key()).expect("the L3T3 structure");
            let mut bytes = vec![flags & 0xbf, 0, 1, flags << 3 & 0x78];
            bytes.extend_from_slice(&tail);
            let _ = r.read(&bytes[..cut.min(bytes.len())]);
            let mut key = l3t3_key();
            key.extend_from_slice(&tail);
            let _ = r.read(&key[..cut.min(key.len())]);
        }
    }
}

#[test]
fn the_fuzz_entry_point_reads_a_structure_then_the_descriptors_after_it() {
    let key = l3t3_key();
    assert!(!key.windows(2).any(|w| w == [0xff, 0xfe]), "no cut inside");
    let mut data = key;
    data.extend_from_slice(&[0xff, 0xfe, 0x80 | 12, 0, 5, 0xff, 0xfe, 0x80 | 4, 0, 6]);
    // Its assertions hold on real descriptors (a refused one would leave no structure).
    crate::fuzz::dependency_descriptor(&data);
}
