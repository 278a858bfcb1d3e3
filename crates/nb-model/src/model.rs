//! A trained model: calibrated prediction and explanation.

use crate::calibrate;
use crate::features::{for_each_term, FeatureConfig};
use crate::vocab::Vocabulary;
use crate::{ModelError, Result};
use linfa_bayes::MultinomialNb;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Label ids (stable, machine-friendly) and display names, in model order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelSet {
    pub ids: Vec<String>,
    pub display_names: Vec<String>,
}

impl LabelSet {
    /// Validates ids: 1 to 64 characters of letters, digits, '_', '-' or '.'.
    pub fn new(ids: Vec<String>, display_names: Vec<String>) -> Result<Self> {
        for id in &ids {
            if !valid_label(id) {
                return Err(ModelError::InvalidLabel(id.clone()));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for id in &ids {
            if !seen.insert(id) {
                return Err(ModelError::InvalidConfig(format!("label {id:?} is listed twice")));
            }
        }
        let display_names = ids
            .iter()
            .zip(display_names.into_iter().map(Some).chain(std::iter::repeat(None)))
            .map(|(id, name)| name.filter(|n| !n.is_empty()).unwrap_or_else(|| id.clone()))
            .collect();
        Ok(Self { ids, display_names })
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|l| l == id)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

pub fn valid_label(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !id.starts_with('_')
}

/// How the tokens the model learned from were made. The classifier asks the
/// tokenizer for exactly these settings and refuses a model whose pipeline
/// fingerprint differs from the running pipeline's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenizerSettings {
    pub mode: String,
    pub hmm: bool,
    pub drop_stopwords: bool,
    pub drop_punctuation: bool,
    pub drop_whitespace: bool,
    pub drop_numbers: bool,
    pub pipeline_fingerprint: String,
}

impl TokenizerSettings {
    /// Why `self` (the model's) cannot be served by a pipeline with
    /// `running` settings, naming each difference; `None` when compatible.
    pub fn incompatibility(&self, running_fingerprint: &str) -> Option<String> {
        (self.pipeline_fingerprint != running_fingerprint).then(|| {
            format!(
                "the model was trained with text pipeline {} but this service runs pipeline {}; \
                 the tokens would differ (code version, domain dictionary, stopwords or user \
                 dictionary changed): retrain the model with this build",
                self.pipeline_fingerprint, running_fingerprint
            )
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Multiplies the per-token log-likelihood before the softmax.
    pub scale: f64,
    /// Answers with confidence below this are flagged uncertain.
    pub uncertain_below: f64,
    /// Answers backed by fewer known tokens than this are flagged uncertain.
    pub min_known_tokens: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub documents_per_label: Vec<u64>,
    pub corpus_hash: String,
    /// RFC 3339.
    pub trained_at: String,
    pub alpha: f64,
    pub min_df: u32,
    /// Out-of-fold evaluation made during training, when there was one.
    pub cross_validation: Option<crate::Evaluation>,
}

/// A fitted model, ready to serve.
#[derive(Clone, Debug)]
pub struct Model {
    pub labels: LabelSet,
    pub vocabulary: Vocabulary,
    pub features: FeatureConfig,
    pub tokenizer: TokenizerSettings,
    pub calibration: Calibration,
    pub metadata: Metadata,
    pub(crate) nb: MultinomialNb<f64, usize>,
    /// log P(term | label), one row per vocabulary term (row-major so that
    /// scoring a document touches one contiguous row per token).
    log_prob: Array2<f64>,
    log_prior: Vec<f64>,
    version: String,
}

/// The answer for one document.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    pub label: usize,
    pub confidence: f64,
    pub uncertain: bool,
    /// Calibrated probability per label, in label order.
    pub probabilities: Vec<f64>,
    pub known_tokens: f64,
    pub total_tokens: f64,
}

impl Prediction {
    /// (label index, probability), highest first.
    pub fn ranked(&self) -> Vec<(usize, f64)> {
        let mut r: Vec<(usize, f64)> = self.probabilities.iter().copied().enumerate().collect();
        r.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        r
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TermWeight {
    pub term: String,
    pub count: f64,
    pub weight: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub prediction: Prediction,
    pub runner_up: usize,
    pub toward_label: Vec<TermWeight>,
    pub toward_runner_up: Vec<TermWeight>,
}

impl Model {
    /// Wraps a fitted linfa model, reading its per-label log-probabilities
    /// once so that prediction is a sparse sum over the document's terms.
    pub(crate) fn from_parts(
        labels: LabelSet,
        vocabulary: Vocabulary,
        features: FeatureConfig,
        tokenizer: TokenizerSettings,
        calibration: Calibration,
        metadata: Metadata,
        nb: MultinomialNb<f64, usize>,
    ) -> Result<Self> {
        let (log_prob, log_prior) = tables(&nb, labels.len(), vocabulary.len())?;
        let version = version_of(&labels, &vocabulary, &features, &metadata, &calibration);
        Ok(Self { labels, vocabulary, features, tokenizer, calibration, metadata, nb, log_prob, log_prior, version })
    }

    /// Content-derived id: the same training gives the same version.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn log_prior(&self) -> &[f64] {
        &self.log_prior
    }

    /// Summed weight * log P(term | label) over known terms, the known
    /// weight, and the total weight.
    pub fn log_likelihood<S: AsRef<str>>(&self, title: &[S], body: &[S]) -> (Vec<f64>, f64, f64) {
        let n = self.labels.len();
        let mut ll = vec![0.0; n];
        let (mut known, mut total) = (0.0, 0.0);
        for_each_term(title, body, &self.features, |term, weight| {
            total += weight;
            if let Some(column) = self.vocabulary.get(term) {
                known += weight;
                let row = self.log_prob.row(column as usize);
                for (acc, &lp) in ll.iter_mut().zip(row.iter()) {
                    *acc += weight * lp;
                }
            }
        });
        (ll, known, total)
    }

    pub fn predict<S: AsRef<str>>(&self, title: &[S], body: &[S]) -> Prediction {
        let (ll, known, total) = self.log_likelihood(title, body);
        self.prediction_from(&ll, known, total)
    }

    pub(crate) fn prediction_from(&self, ll: &[f64], known: f64, total: f64) -> Prediction {
        let probabilities = calibrate::probabilities(&self.log_prior, ll, known, self.calibration.scale);
        let (label, confidence) = probabilities
            .iter()
            .copied()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .unwrap_or((0, 0.0));
        let uncertain =
            confidence < self.calibration.uncertain_below || known < self.calibration.min_known_tokens;
        Prediction { label, confidence, uncertain, probabilities, known_tokens: known, total_tokens: total }
    }

    /// The prediction, and the terms whose log-likelihood ratio between the
    /// predicted label and the runner-up moved the answer most each way.
    pub fn explain<S: AsRef<str>>(&self, title: &[S], body: &[S], top: usize) -> Explanation {
        let prediction = self.predict(title, body);
        let ranked = prediction.ranked();
        let label = prediction.label;
        let runner_up = ranked.iter().map(|&(i, _)| i).find(|&i| i != label).unwrap_or(label);
        let mut counts: HashMap<u32, f64> = HashMap::new();
        for_each_term(title, body, &self.features, |term, weight| {
            if let Some(column) = self.vocabulary.get(term) {
                *counts.entry(column).or_default() += weight;
            }
        });
        let mut weights: Vec<TermWeight> = counts
            .into_iter()
            .map(|(column, count)| {
                let row = self.log_prob.row(column as usize);
                TermWeight {
                    term: self.vocabulary.term(column as usize).to_string(),
                    count,
                    weight: count * (row[label] - row[runner_up]),
                }
            })
            .collect();
        weights.sort_by(|a, b| b.weight.total_cmp(&a.weight).then_with(|| a.term.cmp(&b.term)));
        let toward_label: Vec<TermWeight> =
            weights.iter().filter(|w| w.weight > 0.0).take(top).cloned().collect();
        let toward_runner_up: Vec<TermWeight> =
            weights.iter().rev().filter(|w| w.weight < 0.0).take(top).cloned().collect();
        Explanation { prediction, runner_up, toward_label, toward_runner_up }
    }

    /// The underlying linfa model (for checks against linfa's own scoring).
    pub fn naive_bayes(&self) -> &MultinomialNb<f64, usize> {
        &self.nb
    }
}

/// Reads log P(term | label) and log priors out of a linfa model.
///
/// linfa-bayes keeps its per-class histograms private but serializes them
/// (feature `serde`); reading them through serde_json keeps us on linfa's
/// public surface. A test checks the result against linfa's own
/// `joint_log_likelihood`.
pub(crate) fn tables(
    nb: &MultinomialNb<f64, usize>,
    labels: usize,
    vocabulary: usize,
) -> Result<(Array2<f64>, Vec<f64>)> {
    let bad = |what: &str| ModelError::Fit(format!("unexpected linfa-bayes model layout: {what}"));
    let value = serde_json::to_value(nb).map_err(|e| ModelError::Fit(e.to_string()))?;
    let classes = value.get("class_info").and_then(|v| v.as_object()).ok_or_else(|| bad("class_info"))?;
    let mut log_prob = Array2::<f64>::from_elem((vocabulary, labels), f64::NEG_INFINITY);
    let mut log_prior = vec![f64::NEG_INFINITY; labels];
    for (key, histogram) in classes {
        let class: usize = key.parse().map_err(|_| bad("class key"))?;
        if class >= labels {
            return Err(bad("class index out of range"));
        }
        let prior = histogram.get("prior").and_then(|v| v.as_f64()).ok_or_else(|| bad("prior"))?;
        log_prior[class] = prior.ln();
        let data = histogram
            .get("feature_log_prob")
            .and_then(|v| v.get("data"))
            .and_then(|v| v.as_array())
            .ok_or_else(|| bad("feature_log_prob"))?;
        if data.len() != vocabulary {
            return Err(bad("feature_log_prob length"));
        }
        for (row, v) in data.iter().enumerate() {
            log_prob[[row, class]] = v.as_f64().ok_or_else(|| bad("feature_log_prob value"))?;
        }
    }
    Ok((log_prob, log_prior))
}

fn version_of(
    labels: &LabelSet,
    vocabulary: &Vocabulary,
    features: &FeatureConfig,
    metadata: &Metadata,
    calibration: &Calibration,
) -> String {
    let mut h = Sha256::new();
    h.update(metadata.corpus_hash.as_bytes());
    for id in &labels.ids {
        h.update(id.as_bytes());
        h.update([0]);
    }
    h.update((vocabulary.len() as u64).to_le_bytes());
    h.update(features.title_weight.to_le_bytes());
    h.update([features.bigrams as u8]);
    h.update(metadata.alpha.to_le_bytes());
    h.update(metadata.min_df.to_le_bytes());
    h.update(calibration.scale.to_le_bytes());
    h.update(calibration.uncertain_below.to_le_bytes());
    format!("nb-{}", &hex::encode(h.finalize())[..12])
}
