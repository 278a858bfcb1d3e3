//! The theme model: multinomial naive Bayes from linfa-bayes over ndarray.
//!
//! - [`features`]: which terms a tokenized article contributes, with weights.
//! - [`Vocabulary`]: the terms the model knows, chosen by document frequency.
//! - [`train`]: batched training (`fit_with`) from a disk-backed document
//!   store, so memory stays bounded by the model, not the corpus; k-fold
//!   cross-validation for calibration and reported metrics.
//! - [`Model`]: calibrated probabilities, the `uncertain` flag, explanations.
//! - [`file`]: the versioned, checksummed model file, written atomically.
//! - [`metrics`]: accuracy, macro-F1, per-label scores, confusion matrix.

pub mod calibrate;
pub mod features;
pub mod file;
pub mod metrics;
pub mod model;
mod quiet;
pub mod store;
pub mod train;
pub mod vocab;

pub use features::FeatureConfig;
pub use metrics::{Evaluation, LabelMetrics};
pub use model::{Calibration, Explanation, LabelSet, Metadata, Model, Prediction, TermWeight, TokenizerSettings};
pub use train::{TrainConfig, TrainOutcome, TrainingDocument};
pub use vocab::Vocabulary;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("no training documents were given")]
    NoDocuments,
    #[error("training needs at least two labels with documents; got {0}")]
    TooFewLabels(usize),
    #[error("label {0:?} is not a valid label id (use 1-64 characters: letters, digits, '_', '-' or '.')")]
    InvalidLabel(String),
    #[error("label {0:?} is not one of this model's labels")]
    UnknownLabel(String),
    #[error("no term occurs in at least {min_df} documents, so the vocabulary is empty; lower min_df or add documents")]
    EmptyVocabulary { min_df: u32 },
    #[error("invalid training setting: {0}")]
    InvalidConfig(String),
    #[error("naive Bayes fit failed: {0}")]
    Fit(String),
    #[error("model file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("model is incompatible with this service: {0}")]
    Incompatible(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;
