//! The template dependency structure (A.8.2 `template_dependency_structure` and the
//! functions it calls: `template_layers`, `template_dtis`, `template_fdiffs`,
//! `template_chains`, `decode_target_layers`, `render_resolutions`).

use super::bits::Bits;
use super::{
    ChainDiffs, DescriptorError, Dtis, FrameDiffs, MAX_DECODE_TARGETS, MAX_SPATIAL_LAYERS,
    MAX_TEMPLATES, MAX_TEMPORAL_LAYERS, Resolution,
};

/// One template: the layer, decode target indications, frame diffs and chain diffs that a
/// descriptor's template id stands for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameTemplate {
    /// `TemplateSpatialId`.
    pub spatial_id: u8,
    /// `TemplateTemporalId`.
    pub temporal_id: u8,
    /// `template_dti`: one per decode target.
    pub dtis: Dtis,
    /// `TemplateFdiff`.
    pub frame_diffs: FrameDiffs,
    /// `TemplateChainFdiff`: one per chain.
    pub chain_diffs: ChainDiffs,
}

/// A decode target's highest layers (A.8.2 `decode_target_layers`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DecodeTargetLayer {
    /// `DecodeTargetSpatialId`.
    pub spatial_id: u8,
    /// `DecodeTargetMaxTemporalId`.
    pub temporal_id: u8,
}

/// A template dependency structure: sent on a key frame's first packet (and whenever the
/// encoder changes its layering), used by every descriptor after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateStructure {
    template_id_offset: u8,
    decode_targets: u8,
    templates: Vec<FrameTemplate>,
    chains: u8,
    protected_by: [u8; MAX_DECODE_TARGETS],
    layers: [DecodeTargetLayer; MAX_DECODE_TARGETS],
    resolutions: Option<[Resolution; MAX_SPATIAL_LAYERS]>,
    max_spatial_id: u8,
}

impl TemplateStructure {
    /// `template_id_offset`: the template id of the first template.
    #[must_use]
    pub fn template_id_offset(&self) -> u8 {
        self.template_id_offset
    }

    /// `DtCnt`: how many decode targets (1 to 32).
    #[must_use]
    pub fn decode_targets(&self) -> usize {
        usize::from(self.decode_targets)
    }

    /// The templates, in template id order from [`TemplateStructure::template_id_offset`].
    #[must_use]
    pub fn templates(&self) -> &[FrameTemplate] {
        &self.templates
    }

    /// The template a descriptor's `frame_dependency_template_id` names.
    #[must_use]
    pub fn template(&self, template_id: u8) -> Option<&FrameTemplate> {
        let index = (usize::from(template_id) + 64 - usize::from(self.template_id_offset)) % 64;
        self.templates.get(index)
    }

    /// `chain_cnt`: how many chains (0 to `DtCnt`).
    #[must_use]
    pub fn chains(&self) -> usize {
        usize::from(self.chains)
    }

    /// `decode_target_protected_by`: the chain that protects decode target `dt`, when there
    /// are chains.
    #[must_use]
    pub fn protected_by(&self, dt: usize) -> Option<u8> {
        (self.chains > 0 && dt < self.decode_targets())
            .then(|| self.protected_by.get(dt).copied())
            .flatten()
    }

    /// Decode target `dt`'s highest spatial and temporal layer.
    #[must_use]
    pub fn decode_target_layer(&self, dt: usize) -> Option<DecodeTargetLayer> {
        self.layers.get(..self.decode_targets())?.get(dt).copied()
    }

    /// `MaxSpatialId`.
    #[must_use]
    pub fn max_spatial_id(&self) -> u8 {
        self.max_spatial_id
    }

    /// Spatial layer `spatial_id`'s largest render size, when the structure has them.
    #[must_use]
    pub fn resolution(&self, spatial_id: u8) -> Option<Resolution> {
        if spatial_id > self.max_spatial_id {
            return None;
        }
        self.resolutions?.get(usize::from(spatial_id)).copied()
    }

    /// Reads a structure into `self` (its template storage is reused).
    pub(super) fn read(&mut self, b: &mut Bits<'_>) -> Result<(), DescriptorError> {
        self.template_id_offset = b.f(6, "template_id_offset")? as u8;
        self.decode_targets = b.f(5, "dt_cnt_minus_one")? as u8 + 1;
        self.read_layers(b)?;
        let dt_cnt = self.decode_targets();
        for t in &mut self.templates {
            t.dtis = Dtis::read(b, dt_cnt, "template_dti")?;
        }
        for t in &mut self.templates {
            t.frame_diffs = FrameDiffs::default();
            while b.flag("fdiff_follows_flag")? {
                let minus_one = b.f(4, "fdiff_minus_one")?;
                t.frame_diffs.push(minus_one as u16 + 1)?;
            }
        }
        self.read_chains(b)?;
        self.derive_decode_target_layers();
        self.resolutions = None;
        if b.flag("resolutions_present_flag")? {
            let mut r = [Resolution::default(); MAX_SPATIAL_LAYERS];
            for slot in r.iter_mut().take(usize::from(self.max_spatial_id) + 1) {
                slot.width = b.f(16, "max_render_width_minus_1")? + 1;
                slot.height = b.f(16, "max_render_height_minus_1")? + 1;
            }
            self.resolutions = Some(r);
        }
        Ok(())
    }

    /// A.8.2 `template_layers`.
    fn read_layers(&mut self, b: &mut Bits<'_>) -> Result<(), DescriptorError> {
        self.templates.clear();
        let (mut spatial, mut temporal) = (0u8, 0u8);
        loop {
            if self.templates.len() == MAX_TEMPLATES {
                return Err(DescriptorError::TooManyTemplates);
            }
            self.templates.push(FrameTemplate {
                spatial_id: spatial,
                temporal_id: temporal,
                ..FrameTemplate::default()
            });
            match b.f(2, "next_layer_idc")? {
                0 => {}
                1 => {
                    temporal += 1;
                    if usize::from(temporal) >= MAX_TEMPORAL_LAYERS {
                        return Err(DescriptorError::TooManyTemporalLayers);
                    }
                }
                2 => {
                    temporal = 0;
                    spatial += 1;
                    if usize::from(spatial) >= MAX_SPATIAL_LAYERS {
                        return Err(DescriptorError::TooManySpatialLayers);
                    }
                }
                _ => break,
            }
        }
        self.max_spatial_id = spatial;
        Ok(())
    }

    /// A.8.2 `template_chains`.
    fn read_chains(&mut self, b: &mut Bits<'_>) -> Result<(), DescriptorError> {
        let dt_cnt = self.decode_targets();
        self.chains = b.ns(dt_cnt as u32 + 1, "chain_cnt")? as u8;
        self.protected_by = [0; MAX_DECODE_TARGETS];
        if self.chains == 0 {
            for t in &mut self.templates {
                t.chain_diffs = ChainDiffs::default();
            }
            return Ok(());
        }
        for slot in self.protected_by.iter_mut().take(dt_cnt) {
            *slot = b.ns(u32::from(self.chains), "decode_target_protected_by")? as u8;
        }
        let chains = self.chains();
        for t in &mut self.templates {
            t.chain_diffs = ChainDiffs::read(b, chains, 4, "template_chain_fdiff")?;
        }
        Ok(())
    }

    /// A.8.2 `decode_target_layers`: each decode target's highest spatial and temporal id
    /// among the templates present in it.
    fn derive_decode_target_layers(&mut self) {
        for (dt, layer) in self.layers.iter_mut().enumerate() {
            *layer = DecodeTargetLayer::default();
            for t in &self.templates {
                if t.dtis.get(dt).is_some_and(|d| d != super::Dti::NotPresent) {
                    layer.spatial_id = layer.spatial_id.max(t.spatial_id);
                    layer.temporal_id = layer.temporal_id.max(t.temporal_id);
                }
            }
        }
    }
}
