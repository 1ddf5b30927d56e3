//! The `record` server: what a browser sends (VP8 or VP9 video, Opus audio) is written to
//! a WebM file, in frame mode ([`wren_media::peer::MediaPeer`]), and the file is finished
//! when the call ends: `DELETE` (hang-up), ICE or DTLS closed or failed (the page went
//! away), or the server stopping (Ctrl-C).
//!
//! The HTTP API is the `echo` example's (wren-rtc's `examples/echo/mod.rs` has the table):
//! `POST /` with the browser's offer gets our answer (WHIP, RFC 9725 section 4.2), `POST
//! /offer` gets our offer for the browser to answer with `PATCH`, `DELETE` hangs up. We
//! receive in one video section (VP8 or VP9 only are offered or accepted, so that WebM
//! carries what comes without transcoding) and one audio section (Opus), and send nothing.
//! One call records at a time, into the one file (made anew by each call); a call made
//! while another records gets `503 Service Unavailable`. Each call is a [`RecordPeer`]: a
//! [`Recording`] on a media peer ([`crate::common::call::CallPeer`]).

#![allow(dead_code, unreachable_pub)] // included by the example and the tests, each using a part

pub mod dims;
pub mod recording;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use wren_dtls::identity::Identity;
use wren_sdp::Direction;
use wren_sdp::jsep::CodecKind;

use crate::common::call::CallPeer;
use crate::common::calls::CallError;
use crate::common::service::MediaService;
use recording::{RecordStats, Recording};

/// One call of `record`.
pub type RecordPeer = CallPeer<Recording>;

/// The codecs we take: what WebM carries and wren-media depacketizes.
const CODECS: [CodecKind; 3] = [CodecKind::Vp8, CodecKind::Vp9, CodecKind::Opus];

/// Why a call cannot record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// Another call is recording.
    #[error("a call is being recorded; one call records at a time")]
    Busy,
    /// The output file cannot be opened for writing.
    #[error("cannot write {path}: {source}")]
    Create {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

/// The mark that a call records: held by its [`Recording`], released when that is
/// dropped.
#[derive(Debug)]
pub struct Busy(Arc<AtomicBool>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The `record` server's calls: each records into `out`, one at a time.
#[derive(Debug)]
pub struct Record {
    identity: Arc<Identity>,
    out: PathBuf,
    busy: Arc<AtomicBool>,
}

impl Record {
    /// Calls recorded into `out`, with `identity` as every peer's DTLS certificate. `out`
    /// is opened for writing now (made empty if it does not exist; an existing file is
    /// left as it is until a call records), so that a path that cannot be written is an
    /// error at start.
    ///
    /// # Errors
    ///
    /// [`RecordError::Create`] when `out` cannot be opened for writing.
    pub fn new(identity: Arc<Identity>, out: PathBuf) -> Result<Record, RecordError> {
        if let Err(source) = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&out)
        {
            return Err(RecordError::Create { path: out, source });
        }
        Ok(Record {
            identity,
            out,
            busy: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The file calls are recorded into.
    #[must_use]
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// A recording of a new call: the file created empty, the server marked busy.
    fn recording(&self) -> Result<Recording, RecordError> {
        if self
            .busy
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(RecordError::Busy);
        }
        // Made now, so that a failure drops it and frees the server again.
        let busy = Busy(Arc::clone(&self.busy));
        let file = File::create(&self.out).map_err(|source| RecordError::Create {
            path: self.out.clone(),
            source,
        })?;
        Ok(Recording::new(file, busy))
    }
}

impl MediaService for Record {
    type App = Recording;
    type Summary = RecordStats;

    fn identity(&self) -> &Arc<Identity> {
        &self.identity
    }

    fn codecs(&self) -> &[CodecKind] {
        &CODECS
    }

    fn direction(&self) -> Direction {
        Direction::RecvOnly
    }

    fn app(&self) -> Result<Recording, CallError> {
        self.recording()
            .map_err(|e| CallError::Refused(Box::new(e)))
    }

    fn summary(&self, recording: Recording) -> RecordStats {
        recording.finish()
    }
}
