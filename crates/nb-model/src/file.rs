//! The model file: versioned, checksummed, written atomically.
//!
//! Layout: 8-byte magic `NBTHEME\0`, format version (u32 LE), payload length
//! (u64 LE), payload (postcard-encoded [`Payload`]), SHA-256 of the payload.
//! Writing goes to a temporary file in the same directory, is fsynced, then
//! renamed over the target and the directory fsynced: a crash at any point
//! leaves either the old file or the new one, never a torn one.

use crate::features::FeatureConfig;
use crate::model::{Calibration, LabelSet, Metadata, Model, TokenizerSettings};
use crate::vocab::Vocabulary;
use crate::{ModelError, Result};
use linfa_bayes::MultinomialNb;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

pub const MAGIC: &[u8; 8] = b"NBTHEME\0";
/// Bumped whenever [`Payload`] changes shape.
pub const FORMAT_VERSION: u32 = 1;
const HEADER: usize = 8 + 4 + 8;
const CHECKSUM: usize = 32;

#[derive(Serialize, Deserialize)]
struct Payload {
    labels: LabelSet,
    vocabulary: Vocabulary,
    features: FeatureConfig,
    tokenizer: TokenizerSettings,
    calibration: Calibration,
    metadata: Metadata,
    nb: MultinomialNb<f64, usize>,
}

/// Encodes a model as the bytes of a model file.
pub fn to_bytes(model: &Model) -> Result<Vec<u8>> {
    let payload = Payload {
        labels: model.labels.clone(),
        vocabulary: model.vocabulary.clone(),
        features: model.features,
        tokenizer: model.tokenizer.clone(),
        calibration: model.calibration,
        metadata: model.metadata.clone(),
        nb: model.nb.clone(),
    };
    let body = postcard::to_stdvec(&payload).map_err(|e| ModelError::Fit(format!("encoding the model: {e}")))?;
    let mut out = Vec::with_capacity(HEADER + body.len() + CHECKSUM);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&Sha256::digest(&body));
    Ok(out)
}

/// Decodes a model file's bytes; `origin` names the file in errors.
pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Model> {
    let fail = |reason: String| ModelError::File { path: origin.to_string(), reason };
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(fail("not a model file (bad magic bytes)".into()));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version > FORMAT_VERSION {
        return Err(fail(format!(
            "model format version {version} is newer than this build reads (up to {FORMAT_VERSION}); upgrade the classifier"
        )));
    }
    if version == 0 {
        return Err(fail("model format version 0 is not valid".into()));
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let expected = (HEADER as u64).checked_add(len).and_then(|n| n.checked_add(CHECKSUM as u64));
    if expected != Some(bytes.len() as u64) {
        return Err(fail(format!(
            "truncated or padded: the header announces {len} payload bytes but the file has {} bytes in all",
            bytes.len()
        )));
    }
    let body = &bytes[HEADER..HEADER + len as usize];
    let checksum = &bytes[HEADER + len as usize..];
    if Sha256::digest(body).as_slice() != checksum {
        return Err(fail("corrupt: checksum mismatch".into()));
    }
    let p: Payload = postcard::from_bytes(body).map_err(|e| fail(format!("corrupt payload: {e}")))?;
    if p.metadata.documents_per_label.len() != p.labels.len() {
        return Err(fail("corrupt payload: label tables disagree".into()));
    }
    Model::from_parts(p.labels, p.vocabulary, p.features, p.tokenizer, p.calibration, p.metadata, p.nb)
        .map_err(|e| fail(e.to_string()))
}

/// Reads a model file.
pub fn load(path: &Path) -> Result<Model> {
    let bytes = std::fs::read(path)
        .map_err(|e| ModelError::File { path: path.display().to_string(), reason: e.to_string() })?;
    from_bytes(&bytes, &path.display().to_string())
}

/// Writes a model file atomically (temporary file, fsync, rename, fsync dir).
pub fn save(model: &Model, path: &Path) -> Result<()> {
    let bytes = to_bytes(model)?;
    write_atomically(path, &bytes)
}

pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let fail = |reason: String| ModelError::File { path: path.display().to_string(), reason };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".model-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| fail(format!("creating a temporary file in {}: {e}", dir.display())))?;
    tmp.write_all(bytes).map_err(|e| fail(format!("writing: {e}")))?;
    tmp.as_file().sync_all().map_err(|e| fail(format!("syncing: {e}")))?;
    tmp.persist(path).map_err(|e| fail(format!("renaming into place: {}", e.error)))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
