//! The Dependency Descriptor RTP header extension (the AV1 RTP specification, Appendix A
//! "Dependency Descriptor RTP Header Extension"), read side. Negotiated with `a=extmap`
//! and [`URI`]; Chromium sends it with AV1 (and VP9 when negotiated) so that a forwarder
//! can tell frames, layers and dependencies apart without reading the payload.
//!
//! - [`MandatoryFields::parse`] reads the three bytes every descriptor starts with (A.8.2
//!   `mandatory_descriptor_fields`): start and end of frame, template id, frame number.
//!   No state, no copy.
//! - [`DescriptorReader::read`] reads a whole descriptor (A.8.2 `dependency_descriptor`):
//!   the extended fields (A.8.2 `extended_descriptor_fields`: the template dependency
//!   structure, the active decode targets bitmask, the custom flags) and the frame
//!   dependency definition (A.8.2 `frame_dependency_definition`), resolving the template
//!   id against the last structure it was given, so that the descriptors of later frames,
//!   three bytes each, say their spatial and temporal id, decode target indications
//!   (A.8.3.2, table A.1), frame diffs, chain diffs and resolution.
//!
//! A descriptor that does not parse changes nothing the reader kept: a structure is only
//! taken once the whole descriptor it came in has been read. Nothing here panics on any
//! input, and reading allocates nothing once the reader has held a structure of that size.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |S|E|template id|         frame number          | extended ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

mod bits;
mod structure;
#[cfg(test)]
mod tests;

use bits::Bits;
pub use structure::{DecodeTargetLayer, FrameTemplate, TemplateStructure};

/// The extension's URI in `a=extmap` (A.8).
pub const URI: &str =
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";

/// The most decode targets a structure has (`DtCnt`, five bits plus one).
pub const MAX_DECODE_TARGETS: usize = 32;
/// The most templates a structure has (template ids are six bits).
pub const MAX_TEMPLATES: usize = 64;
/// The most spatial layers (ids 0 to 3), as libwebrtc also bounds them.
pub const MAX_SPATIAL_LAYERS: usize = 4;
/// The most temporal layers (ids 0 to 7), as libwebrtc also bounds them.
pub const MAX_TEMPORAL_LAYERS: usize = 8;
/// The most frame diffs a frame or template lists: AV1 keeps eight reference frames
/// (AV1 section 3, `NUM_REF_FRAMES`), so a frame depends on at most eight others.
pub const MAX_FRAME_DIFFS: usize = 8;

/// Why a descriptor was refused. The reader keeps what it had before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DescriptorError {
    /// The extension ends inside the named field.
    #[error("the dependency descriptor ends inside {0}")]
    Truncated(&'static str),
    /// A descriptor that needs a template structure before any was received (no
    /// structure in it, none kept from an earlier one).
    #[error("no template dependency structure has been received")]
    NoStructure,
    /// The template id names no template of the structure (A.8.2
    /// `frame_dependency_definition`: `templateIndex >= TemplateCnt`).
    #[error("template id {0} is not in the structure")]
    UnknownTemplate(u8),
    /// The structure lists more than [`MAX_TEMPLATES`] templates.
    #[error("more than 64 templates")]
    TooManyTemplates,
    /// The structure steps past [`MAX_SPATIAL_LAYERS`] spatial layers.
    #[error("more than 4 spatial layers")]
    TooManySpatialLayers,
    /// The structure steps past [`MAX_TEMPORAL_LAYERS`] temporal layers.
    #[error("more than 8 temporal layers")]
    TooManyTemporalLayers,
    /// A template or frame lists more than [`MAX_FRAME_DIFFS`] frame diffs.
    #[error("more than 8 frame diffs")]
    TooManyFrameDiffs,
}

/// A decode target indication (A.8.3.2, table A.1): how a frame matters to one decode
/// target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dti {
    /// 0, `-`: not part of the decode target.
    NotPresent,
    /// 1, `D`: part of it, and no later frame of it depends on this one.
    Discardable,
    /// 2, `S`: part of it, and a decoder can switch to the decode target here.
    Switch,
    /// 3, `R`: part of it, and later frames of it depend on this one.
    Required,
}

impl Dti {
    /// The two-bit value.
    fn from_bits(v: u64) -> Dti {
        match v & 3 {
            0 => Dti::NotPresent,
            1 => Dti::Discardable,
            2 => Dti::Switch,
            _ => Dti::Required,
        }
    }
}

/// The decode target indications of a frame or template, one per decode target (at most
/// [`MAX_DECODE_TARGETS`], two bits each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Dtis {
    bits: u64,
    len: u8,
}

impl Dtis {
    /// Reads `count` two-bit DTIs (`template_dti` or `frame_dti`).
    fn read(b: &mut Bits<'_>, count: usize, field: &'static str) -> Result<Dtis, DescriptorError> {
        let mut d = Dtis::default();
        for i in 0..count.min(MAX_DECODE_TARGETS) {
            d.bits |= u64::from(b.f(2, field)?) << (2 * i);
            d.len += 1;
        }
        Ok(d)
    }

    /// How many decode targets.
    #[must_use]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The indication for decode target `index`.
    #[must_use]
    pub fn get(&self, index: usize) -> Option<Dti> {
        (index < self.len()).then(|| Dti::from_bits(self.bits >> (2 * index)))
    }

    /// The indications in decode target order.
    pub fn iter(&self) -> impl Iterator<Item = Dti> + '_ {
        (0..self.len()).map(|i| Dti::from_bits(self.bits >> (2 * i)))
    }
}

/// A frame's diffs to the frames it depends on (frame number minus theirs), at most
/// [`MAX_FRAME_DIFFS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FrameDiffs {
    diffs: [u16; MAX_FRAME_DIFFS],
    len: u8,
}

impl FrameDiffs {
    /// Adds one.
    fn push(&mut self, diff: u16) -> Result<(), DescriptorError> {
        let slot = self
            .diffs
            .get_mut(usize::from(self.len))
            .ok_or(DescriptorError::TooManyFrameDiffs)?;
        *slot = diff;
        self.len += 1;
        Ok(())
    }

    /// The diffs, in the order the descriptor gave them.
    #[must_use]
    pub fn as_slice(&self) -> &[u16] {
        &self.diffs[..usize::from(self.len)]
    }
}

/// A frame's diffs to the previous frame of each chain (0: none before it), one per chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ChainDiffs {
    diffs: [u8; MAX_DECODE_TARGETS],
    len: u8,
}

impl ChainDiffs {
    /// Reads `count` diffs of `width` bits (`template_chains`: 4; `frame_chains`: 8).
    fn read(
        b: &mut Bits<'_>,
        count: usize,
        width: u32,
        field: &'static str,
    ) -> Result<ChainDiffs, DescriptorError> {
        let mut c = ChainDiffs::default();
        for slot in c.diffs.iter_mut().take(count) {
            *slot = b.f(width, field)? as u8;
            c.len += 1;
        }
        Ok(c)
    }

    /// The diffs, chain 0 first.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        &self.diffs[..usize::from(self.len)]
    }
}

/// A spatial layer's largest render size (A.8.2 `render_resolutions`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Resolution {
    /// `max_render_width_minus_1 + 1`.
    pub width: u32,
    /// `max_render_height_minus_1 + 1`.
    pub height: u32,
}

/// What a descriptor says about its frame, resolved against the structure (A.8.2
/// `frame_dependency_definition`): the template's values unless the descriptor's custom
/// fields replaced them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameDependencies {
    /// `FrameSpatialId`.
    pub spatial_id: u8,
    /// `FrameTemporalId`.
    pub temporal_id: u8,
    /// `FrameDti`: one per decode target.
    pub dtis: Dtis,
    /// `FrameFdiff`: the frames this one depends on.
    pub frame_diffs: FrameDiffs,
    /// `FrameChainFdiff`: one per chain.
    pub chain_diffs: ChainDiffs,
    /// `FrameMaxWidth`, `FrameMaxHeight`: when the structure has resolutions.
    pub resolution: Option<Resolution>,
}

/// The three bytes every descriptor starts with (A.8.2 `mandatory_descriptor_fields`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MandatoryFields {
    /// `start_of_frame`: the packet's payload begins a frame.
    pub start_of_frame: bool,
    /// `end_of_frame`: the packet is its frame's last.
    pub end_of_frame: bool,
    /// `frame_dependency_template_id` (six bits).
    pub template_id: u8,
    /// `frame_number`: one more per frame in decode order, wrapping.
    pub frame_number: u16,
}

impl MandatoryFields {
    /// Reads the mandatory fields of the extension payload `ext`.
    ///
    /// # Errors
    ///
    /// [`DescriptorError::Truncated`] when `ext` is shorter than three bytes.
    pub fn parse(ext: &[u8]) -> Result<MandatoryFields, DescriptorError> {
        match *ext {
            [b0, b1, b2, ..] => Ok(MandatoryFields {
                start_of_frame: b0 & 0x80 != 0,
                end_of_frame: b0 & 0x40 != 0,
                template_id: b0 & 0x3f,
                frame_number: u16::from_be_bytes([b1, b2]),
            }),
            _ => Err(DescriptorError::Truncated("the mandatory fields")),
        }
    }
}

/// One descriptor, read and resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DependencyDescriptor {
    /// The mandatory fields.
    pub mandatory: MandatoryFields,
    /// Whether this descriptor carried a template dependency structure (the reader now
    /// holds it: [`DescriptorReader::structure`]).
    pub structure_attached: bool,
    /// The active decode targets bitmask when this descriptor set it
    /// (`active_decode_targets_present_flag`), or all decode targets when it brought a new
    /// structure without one (A.8.2 `extended_descriptor_fields`); bit `i` is decode
    /// target `i`.
    pub active_decode_targets: Option<u32>,
    /// The frame's layer and dependencies.
    pub frame: FrameDependencies,
}

/// Reads a stream's descriptors, keeping the last template dependency structure and
/// active decode targets bitmask for the descriptors that follow.
#[derive(Debug, Clone, Default)]
pub struct DescriptorReader {
    /// The structure in force.
    structure: Option<TemplateStructure>,
    /// Where a structure being read goes until its descriptor has been read whole; the
    /// two swap when it has (so neither allocates again).
    incoming: TemplateStructure,
    /// The active decode targets bitmask in force.
    active: Option<u32>,
}

/// The extended fields' flags (A.8.2 `extended_descriptor_fields`).
#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    structure: bool,
    active_decode_targets: bool,
    custom_dtis: bool,
    custom_fdiffs: bool,
    custom_chains: bool,
}

impl DescriptorReader {
    /// A reader that holds no structure yet.
    #[must_use]
    pub fn new() -> DescriptorReader {
        DescriptorReader::default()
    }

    /// The template dependency structure in force, if one was received.
    #[must_use]
    pub fn structure(&self) -> Option<&TemplateStructure> {
        self.structure.as_ref()
    }

    /// The active decode targets bitmask in force (bit `i`: decode target `i`): the last
    /// one a descriptor set, or all decode targets of the last structure received since.
    #[must_use]
    pub fn active_decode_targets(&self) -> Option<u32> {
        self.active
    }

    /// Reads the descriptor in the extension payload `ext` (A.8.2 `dependency_descriptor`):
    /// a structure in it replaces the one kept, and its template id is resolved against the
    /// structure in force.
    ///
    /// # Errors
    ///
    /// A [`DescriptorError`]; the reader then keeps the structure and bitmask it had.
    pub fn read(&mut self, ext: &[u8]) -> Result<DependencyDescriptor, DescriptorError> {
        let mandatory = MandatoryFields::parse(ext)?;
        let mut b = Bits::new(ext);
        b.f(24, "the mandatory fields")?;
        let mut flags = Flags::default();
        // A.8.2 `dependency_descriptor(sz)`: extended fields only when sz > 3.
        if ext.len() > 3 {
            flags = Flags {
                structure: b.flag("template_dependency_structure_present_flag")?,
                active_decode_targets: b.flag("active_decode_targets_present_flag")?,
                custom_dtis: b.flag("custom_dtis_flag")?,
                custom_fdiffs: b.flag("custom_fdiffs_flag")?,
                custom_chains: b.flag("custom_chains_flag")?,
            };
            if flags.structure {
                self.incoming.read(&mut b)?;
            }
        }
        let structure = if flags.structure {
            &self.incoming
        } else {
            self.structure
                .as_ref()
                .ok_or(DescriptorError::NoStructure)?
        };
        let mut active = flags
            .structure
            .then(|| all_targets(structure.decode_targets()));
        if flags.active_decode_targets {
            let n = structure.decode_targets() as u32;
            active = Some(b.f(n, "active_decode_targets_bitmask")?);
        }
        let frame = frame_dependency_definition(&mut b, structure, mandatory.template_id, flags)?;
        // The rest is zero_padding (A.8.2); its value is not checked.
        if flags.structure {
            let old = self.structure.replace(std::mem::take(&mut self.incoming));
            if let Some(old) = old {
                self.incoming = old;
            }
        }
        if active.is_some() {
            self.active = active;
        }
        Ok(DependencyDescriptor {
            mandatory,
            structure_attached: flags.structure,
            active_decode_targets: active,
            frame,
        })
    }
}

/// The bitmask with every one of `n` decode targets active.
fn all_targets(n: usize) -> u32 {
    if n >= 32 { u32::MAX } else { (1u32 << n) - 1 }
}

/// A.8.2 `frame_dependency_definition`, with `frame_dtis`, `frame_fdiffs` and
/// `frame_chains`.
fn frame_dependency_definition(
    b: &mut Bits<'_>,
    s: &TemplateStructure,
    template_id: u8,
    flags: Flags,
) -> Result<FrameDependencies, DescriptorError> {
    let t = s
        .template(template_id)
        .ok_or(DescriptorError::UnknownTemplate(template_id))?;
    let dtis = if flags.custom_dtis {
        Dtis::read(b, s.decode_targets(), "frame_dti")?
    } else {
        t.dtis
    };
    let frame_diffs = if flags.custom_fdiffs {
        let mut d = FrameDiffs::default();
        loop {
            let size = b.f(2, "next_fdiff_size")?;
            if size == 0 {
                break;
            }
            let minus_one = b.f(4 * size, "fdiff_minus_one")?;
            d.push(minus_one as u16 + 1)?;
        }
        d
    } else {
        t.frame_diffs
    };
    let chain_diffs = if flags.custom_chains {
        ChainDiffs::read(b, s.chains(), 8, "frame_chain_fdiff")?
    } else {
        t.chain_diffs
    };
    Ok(FrameDependencies {
        spatial_id: t.spatial_id,
        temporal_id: t.temporal_id,
        dtis,
        frame_diffs,
        chain_diffs,
        resolution: s.resolution(t.spatial_id),
    })
}
