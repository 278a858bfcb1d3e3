//! Training: batched `fit_with` over a disk-backed document store, k-fold
//! cross-validation for calibration and reported metrics, incremental update.

use crate::calibrate::{self, OutOfFold};
use crate::features::FeatureConfig;
use crate::metrics::{Evaluation, Outcome};
use crate::model::{valid_label, Calibration, LabelSet, Metadata, Model, TokenizerSettings};
use crate::quiet::without_stderr;
use crate::store::{DocumentStore, StoredDocument, OUT_OF_SCOPE};
use crate::vocab::Vocabulary;
use crate::{ModelError, Result};
use linfa::prelude::*;
use linfa_bayes::{MultinomialNb, MultinomialNbParams};
use ndarray::{s, Array1, Array2};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Training settings. Defaults are the ones the default model uses, chosen
/// by measurement (README, "Accuracy").
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// Additive (Lidstone) smoothing.
    pub alpha: f64,
    /// A term enters the vocabulary when at least this many documents have it.
    pub min_df: u32,
    pub max_vocabulary: usize,
    pub features: FeatureConfig,
    /// Cross-validation folds for calibration and metrics; < 2 skips them.
    pub folds: usize,
    /// Documents per `fit_with` batch; 0 picks one that keeps the dense
    /// batch under 32 MiB.
    pub batch_rows: usize,
    /// Fixed uncertainty threshold; `None` fits it from out-of-scope
    /// documents when there are some, else uses 0.5.
    pub uncertain_below: Option<f64>,
    /// Largest share of in-scope documents the fitted threshold may flag.
    pub max_in_scope_uncertain: f64,
    pub min_known_tokens: f64,
    /// Where the document store's temporary file goes.
    pub temp_dir: Option<PathBuf>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            alpha: 0.1,
            min_df: 2,
            max_vocabulary: 50_000,
            features: FeatureConfig::default(),
            folds: 5,
            batch_rows: 0,
            uncertain_below: None,
            max_in_scope_uncertain: 0.05,
            min_known_tokens: 5.0,
            temp_dir: None,
        }
    }
}

impl TrainConfig {
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(ModelError::InvalidConfig(m.to_string()));
        if !(self.alpha > 0.0 && self.alpha.is_finite()) {
            return bad("alpha must be a positive number");
        }
        if self.min_df == 0 {
            return bad("min_df must be at least 1");
        }
        if self.max_vocabulary == 0 {
            return bad("max_vocabulary must be at least 1");
        }
        if self.folds > 20 {
            return bad("folds must be at most 20");
        }
        if !(self.features.title_weight >= 0.0 && self.features.title_weight <= 100.0) {
            return bad("title_weight must be between 0 and 100");
        }
        if let Some(t) = self.uncertain_below {
            if !(0.0..=1.0).contains(&t) {
                return bad("uncertain_below must be between 0 and 1");
            }
        }
        Ok(())
    }
}

/// A labeled, tokenized document.
#[derive(Clone, Debug)]
pub struct TrainingDocument<S> {
    pub label: String,
    pub title: Vec<S>,
    pub body: Vec<S>,
}

/// What training produced.
#[derive(Debug)]
pub struct TrainOutcome {
    pub model: Model,
    /// Out-of-fold evaluation (each document scored by a model that did not
    /// see it), with calibrated confidences; `None` without cross-validation.
    pub cross_validation: Option<Evaluation>,
    /// Out-of-fold (calibrated confidence, right?) pairs, for reliability.
    pub out_of_fold_confidence: Vec<(f64, bool)>,
    /// Share of out-of-scope documents flagged uncertain out of fold.
    pub out_of_scope_flagged: Option<f64>,
}

/// Progress reports, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub enum Stage {
    Fold { fold: usize, folds: usize },
    FinalFit,
    Update,
}

/// Collects documents, then trains.
pub struct Trainer {
    config: TrainConfig,
    labels: LabelSet,
    /// When false, documents may bring new labels (appended in order seen).
    fixed_labels: bool,
    tokenizer: TokenizerSettings,
    store: DocumentStore,
    base: Option<Model>,
}

impl Trainer {
    /// A trainer for a new model. With `fixed_labels`, a document whose label
    /// is not in `labels` is an error; otherwise its label is added.
    pub fn new(
        labels: LabelSet,
        fixed_labels: bool,
        tokenizer: TokenizerSettings,
        config: TrainConfig,
    ) -> Result<Self> {
        config.validate()?;
        let store = DocumentStore::new(config.temp_dir.as_deref())?;
        Ok(Self { config, labels, fixed_labels, tokenizer, store, base: None })
    }

    /// A trainer that adds documents to `model` (same vocabulary and
    /// calibration; new labels allowed).
    pub fn update(model: Model, temp_dir: Option<PathBuf>) -> Result<Self> {
        let config = TrainConfig {
            alpha: model.metadata.alpha,
            min_df: model.metadata.min_df,
            features: model.features,
            temp_dir,
            ..TrainConfig::default()
        };
        let store = DocumentStore::new(config.temp_dir.as_deref())?;
        Ok(Self {
            labels: model.labels.clone(),
            fixed_labels: false,
            tokenizer: model.tokenizer.clone(),
            config,
            store,
            base: Some(model),
        })
    }

    pub fn labels(&self) -> &LabelSet {
        &self.labels
    }

    pub fn documents(&self) -> u64 {
        self.store.documents()
    }

    /// Adds a labeled document.
    pub fn add<S: AsRef<str>>(&mut self, label: &str, title: &[S], body: &[S]) -> Result<()> {
        let index = match self.labels.index_of(label) {
            Some(i) => i,
            None if self.fixed_labels => return Err(ModelError::UnknownLabel(label.to_string())),
            None => {
                if !valid_label(label) {
                    return Err(ModelError::InvalidLabel(label.to_string()));
                }
                self.labels.ids.push(label.to_string());
                self.labels.display_names.push(label.to_string());
                self.labels.len() - 1
            }
        };
        self.store.add(index as u32, title, body, &self.config.features)?;
        Ok(())
    }

    /// Adds a document that belongs to no label: used only to choose the
    /// uncertainty threshold.
    pub fn add_out_of_scope<S: AsRef<str>>(&mut self, title: &[S], body: &[S]) -> Result<()> {
        self.store.add(OUT_OF_SCOPE, title, body, &self.config.features)?;
        Ok(())
    }

    pub fn finish(mut self, progress: &mut dyn FnMut(Stage)) -> Result<TrainOutcome> {
        if let Some(base) = self.base.take() {
            return self.finish_update(base, progress);
        }
        let labeled: Vec<u32> =
            (0..self.labels.len() as u32).map(|l| self.store.documents_with_label(l)).collect();
        if labeled.iter().all(|&n| n == 0) {
            return Err(ModelError::NoDocuments);
        }
        let with_docs = labeled.iter().filter(|&&n| n > 0).count();
        if with_docs < 2 {
            return Err(ModelError::TooFewLabels(with_docs));
        }
        if let Some(empty) = labeled.iter().position(|&n| n == 0) {
            return Err(ModelError::InvalidConfig(format!(
                "label {:?} has no training documents",
                self.labels.ids[empty]
            )));
        }
        let vocabulary =
            Vocabulary::select(self.store.document_frequencies(), self.config.min_df, self.config.max_vocabulary);
        if vocabulary.is_empty() {
            return Err(ModelError::EmptyVocabulary { min_df: self.config.min_df });
        }
        let columns: Vec<Option<u32>> =
            self.store.document_frequencies().map(|(term, _)| vocabulary.get(term)).collect();
        let n_labels = self.labels.len();
        let min_per_label = labeled.iter().copied().min().unwrap_or(0) as usize;
        let folds = if self.config.folds >= 2 && min_per_label >= 2 { self.config.folds } else { 0 };

        // Out-of-fold scores: fold k holds the documents whose ordinal within
        // their label is k mod folds, so every fold sees every label.
        let mut out_of_fold: Vec<OutOfFold> = Vec::new();
        for k in 0..folds {
            progress(Stage::Fold { fold: k + 1, folds });
            let in_fold = |d: &StoredDocument| d.ordinal as usize % folds == k;
            let nb = self.fit(&columns, vocabulary.len(), None, |d| d.label != OUT_OF_SCOPE && !in_fold(d))?;
            let Some(nb) = nb else { continue };
            let (log_prob, log_prior) = crate::model::tables(&nb, n_labels, vocabulary.len())?;
            for doc in self.store.read()? {
                let doc = doc?;
                if !in_fold(&doc) {
                    continue;
                }
                let mut ll = vec![0.0; n_labels];
                let mut known = 0.0;
                for &(id, w) in &doc.terms {
                    if let Some(col) = columns[id as usize] {
                        known += w as f64;
                        for (acc, &lp) in ll.iter_mut().zip(log_prob.row(col as usize)) {
                            *acc += w as f64 * lp;
                        }
                    }
                }
                let truth = (doc.label != OUT_OF_SCOPE).then_some(doc.label as usize);
                out_of_fold.push(OutOfFold { truth, log_likelihood: ll, log_prior: log_prior.clone(), known });
            }
        }

        let scale = calibrate::fit_scale(&out_of_fold);
        let confidence = |r: &OutOfFold| {
            let p = calibrate::probabilities(&r.log_prior, &r.log_likelihood, r.known, scale);
            let (arg, conf) = p
                .iter()
                .copied()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
                .unwrap_or((0, 0.0));
            (arg, conf)
        };
        let in_scope: Vec<(usize, f64, &OutOfFold)> = out_of_fold
            .iter()
            .filter(|r| r.truth.is_some())
            .map(|r| {
                let (arg, conf) = confidence(r);
                (arg, conf, r)
            })
            .collect();
        let out_scope_conf: Vec<f64> =
            out_of_fold.iter().filter(|r| r.truth.is_none()).map(|r| confidence(r).1).collect();
        let uncertain_below = self.config.uncertain_below.unwrap_or_else(|| {
            let in_conf: Vec<f64> = in_scope.iter().map(|&(_, c, _)| c).collect();
            calibrate::choose_threshold(&in_conf, &out_scope_conf, self.config.max_in_scope_uncertain, 0.5)
        });
        let calibration =
            Calibration { scale, uncertain_below, min_known_tokens: self.config.min_known_tokens };
        let is_uncertain = |conf: f64, known: f64| conf < uncertain_below || known < calibration.min_known_tokens;
        let cross_validation = (!in_scope.is_empty()).then(|| {
            let outcomes: Vec<Outcome> = in_scope
                .iter()
                .map(|&(arg, conf, r)| Outcome {
                    truth: r.truth.unwrap_or_default(),
                    predicted: arg,
                    uncertain: is_uncertain(conf, r.known),
                })
                .collect();
            Evaluation::from_outcomes(&self.labels.ids, &outcomes)
        });
        let out_of_fold_confidence =
            in_scope.iter().map(|&(arg, conf, r)| (conf, Some(arg) == r.truth)).collect();
        let out_of_scope_flagged = (!out_scope_conf.is_empty()).then(|| {
            let known: Vec<f64> = out_of_fold.iter().filter(|r| r.truth.is_none()).map(|r| r.known).collect();
            let flagged =
                out_scope_conf.iter().zip(&known).filter(|&(&c, &k)| is_uncertain(c, k)).count();
            flagged as f64 / out_scope_conf.len() as f64
        });

        progress(Stage::FinalFit);
        let nb = self
            .fit(&columns, vocabulary.len(), None, |d| d.label != OUT_OF_SCOPE)?
            .ok_or(ModelError::NoDocuments)?;
        let metadata = Metadata {
            documents_per_label: labeled.iter().map(|&n| n as u64).collect(),
            corpus_hash: self.corpus_hash(),
            trained_at: now_rfc3339(),
            alpha: self.config.alpha,
            min_df: self.config.min_df,
            cross_validation: cross_validation.clone(),
        };
        let model = Model::from_parts(
            self.labels.clone(),
            vocabulary,
            self.config.features,
            self.tokenizer.clone(),
            calibration,
            metadata,
            nb,
        )?;
        Ok(TrainOutcome { model, cross_validation, out_of_fold_confidence, out_of_scope_flagged })
    }

    fn finish_update(mut self, base: Model, progress: &mut dyn FnMut(Stage)) -> Result<TrainOutcome> {
        if self.store.documents() == 0 {
            return Err(ModelError::NoDocuments);
        }
        progress(Stage::Update);
        let columns: Vec<Option<u32>> =
            self.store.document_frequencies().map(|(term, _)| base.vocabulary.get(term)).collect();
        let nb = self
            .fit(&columns, base.vocabulary.len(), Some(base.nb.clone()), |d| d.label != OUT_OF_SCOPE)?
            .ok_or(ModelError::NoDocuments)?;
        let mut per_label = base.metadata.documents_per_label.clone();
        per_label.resize(self.labels.len(), 0);
        for (l, n) in per_label.iter_mut().enumerate() {
            *n += self.store.documents_with_label(l as u32) as u64;
        }
        let mut h = Sha256::new();
        h.update(base.metadata.corpus_hash.as_bytes());
        h.update(self.corpus_hash().as_bytes());
        let metadata = Metadata {
            documents_per_label: per_label,
            corpus_hash: hex::encode(h.finalize()),
            trained_at: now_rfc3339(),
            cross_validation: None,
            ..base.metadata.clone()
        };
        let model = Model::from_parts(
            self.labels.clone(),
            base.vocabulary.clone(),
            base.features,
            base.tokenizer.clone(),
            base.calibration,
            metadata,
            nb,
        )?;
        Ok(TrainOutcome { model, cross_validation: None, out_of_fold_confidence: Vec::new(), out_of_scope_flagged: None })
    }

    fn corpus_hash(&self) -> String {
        let mut h = Sha256::new();
        for id in &self.labels.ids {
            h.update(id.as_bytes());
            h.update([0]);
        }
        h.update(self.store.content_hash().as_bytes());
        hex::encode(h.finalize())
    }

    /// Fits (or continues fitting `init`) on the selected documents in dense
    /// batches of `batch_rows` x vocabulary, so memory is bounded by the
    /// model and one batch. `None` when no document was selected.
    fn fit(
        &mut self,
        columns: &[Option<u32>],
        vocabulary: usize,
        init: Option<MultinomialNb<f64, usize>>,
        select: impl Fn(&StoredDocument) -> bool,
    ) -> Result<Option<MultinomialNb<f64, usize>>> {
        let params = MultinomialNbParams::new()
            .alpha(self.config.alpha)
            .check()
            .map_err(|e| ModelError::InvalidConfig(e.to_string()))?;
        let rows = match self.config.batch_rows {
            0 => ((32usize << 20) / (8 * vocabulary.max(1))).clamp(8, 2048),
            n => n,
        };
        let mut x = Array2::<f64>::zeros((rows, vocabulary));
        let mut y = Array1::<usize>::zeros(rows);
        let mut filled = 0usize;
        let mut model = init;
        let flush = |x: &mut Array2<f64>, y: &Array1<usize>, filled: usize, model: &mut Option<MultinomialNb<f64, usize>>| -> Result<()> {
            if filled == 0 {
                return Ok(());
            }
            let dataset = linfa::DatasetBase::new(x.slice(s![..filled, ..]), y.slice(s![..filled]));
            let fitted = without_stderr(|| params.fit_with(model.take(), &dataset))
                .map_err(|e| ModelError::Fit(e.to_string()))?;
            *model = Some(fitted);
            x.slice_mut(s![..filled, ..]).fill(0.0);
            Ok(())
        };
        let mut any = false;
        for doc in self.store.read()? {
            let doc = doc?;
            if !select(&doc) {
                continue;
            }
            any = true;
            for &(id, w) in &doc.terms {
                if let Some(col) = columns.get(id as usize).copied().flatten() {
                    x[[filled, col as usize]] += w as f64;
                }
            }
            y[filled] = doc.label as usize;
            filled += 1;
            if filled == rows {
                flush(&mut x, &y, filled, &mut model)?;
                filled = 0;
            }
        }
        flush(&mut x, &y, filled, &mut model)?;
        Ok(if any { model } else { None })
    }
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
