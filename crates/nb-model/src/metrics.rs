//! Accuracy, macro-F1, per-label precision/recall/F1 and the confusion matrix.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelMetrics {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub documents: u32,
    pub accuracy: f64,
    /// Mean F1 over labels that occur as truth or prediction.
    pub macro_f1: f64,
    pub per_label: Vec<LabelMetrics>,
    /// Row = true label, column = predicted label, both in `labels` order.
    pub labels: Vec<String>,
    pub confusion: Vec<Vec<u32>>,
    pub uncertain_rate: f64,
    /// Accuracy over the answers not flagged uncertain.
    pub confident_accuracy: f64,
}

/// One scored document: true label, predicted label, flagged uncertain.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    pub truth: usize,
    pub predicted: usize,
    pub uncertain: bool,
}

impl Evaluation {
    pub fn from_outcomes(labels: &[String], outcomes: &[Outcome]) -> Self {
        let n = labels.len();
        let mut confusion = vec![vec![0u32; n]; n];
        for o in outcomes {
            confusion[o.truth][o.predicted] += 1;
        }
        let total = outcomes.len() as u32;
        let correct: u32 = (0..n).map(|i| confusion[i][i]).sum();
        let mut per_label = Vec::with_capacity(n);
        let mut f1_sum = 0.0;
        let mut counted = 0usize;
        for (i, label) in labels.iter().enumerate() {
            let tp = confusion[i][i] as f64;
            let support: u32 = confusion[i].iter().sum();
            let predicted: u32 = confusion.iter().map(|row| row[i]).sum();
            let precision = if predicted == 0 { 0.0 } else { tp / predicted as f64 };
            let recall = if support == 0 { 0.0 } else { tp / support as f64 };
            let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
            if support > 0 || predicted > 0 {
                f1_sum += f1;
                counted += 1;
            }
            per_label.push(LabelMetrics { label: label.clone(), precision, recall, f1, support });
        }
        let uncertain = outcomes.iter().filter(|o| o.uncertain).count();
        let confident: Vec<&Outcome> = outcomes.iter().filter(|o| !o.uncertain).collect();
        let confident_right = confident.iter().filter(|o| o.truth == o.predicted).count();
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        Self {
            documents: total,
            accuracy: ratio(correct as usize, total as usize),
            macro_f1: if counted == 0 { 0.0 } else { f1_sum / counted as f64 },
            per_label,
            labels: labels.to_vec(),
            confusion,
            uncertain_rate: ratio(uncertain, outcomes.len()),
            confident_accuracy: ratio(confident_right, confident.len()),
        }
    }

    /// A terminal table: per-label scores, then the confusion matrix.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let width = self.labels.iter().map(|l| l.len()).max().unwrap_or(5).max(5);
        let _ = writeln!(s, "{:<width$}  precision  recall     f1  support", "label");
        for m in &self.per_label {
            let _ = writeln!(
                s,
                "{:<width$}  {:>9.3}  {:>6.3}  {:>5.3}  {:>7}",
                m.label, m.precision, m.recall, m.f1, m.support
            );
        }
        let _ = writeln!(
            s,
            "\naccuracy {:.3}  macro-F1 {:.3}  documents {}  uncertain {:.1}%  accuracy when not uncertain {:.3}",
            self.accuracy,
            self.macro_f1,
            self.documents,
            self.uncertain_rate * 100.0,
            self.confident_accuracy
        );
        let _ = writeln!(s, "\nconfusion matrix (rows: true label, columns: predicted, in the order above)");
        for (label, row) in self.labels.iter().zip(&self.confusion) {
            let cells: Vec<String> = row.iter().map(|c| format!("{c:>4}")).collect();
            let _ = writeln!(s, "{:<width$} {}", label, cells.join(""));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_a_hand_computed_example() {
        let labels = vec!["a".to_string(), "b".to_string()];
        let o = |t, p| Outcome { truth: t, predicted: p, uncertain: false };
        // a: 3 docs, 2 right, 1 -> b; b: 1 doc, right.
        let e = Evaluation::from_outcomes(&labels, &[o(0, 0), o(0, 0), o(0, 1), o(1, 1)]);
        assert_eq!(e.confusion, vec![vec![2, 1], vec![0, 1]]);
        assert!((e.accuracy - 0.75).abs() < 1e-12);
        let a = &e.per_label[0];
        assert!((a.precision - 1.0).abs() < 1e-12 && (a.recall - 2.0 / 3.0).abs() < 1e-12);
        let b = &e.per_label[1];
        assert!((b.precision - 0.5).abs() < 1e-12 && (b.recall - 1.0).abs() < 1e-12);
        let f1a = 2.0 * (2.0 / 3.0) / (1.0 + 2.0 / 3.0);
        let f1b = 2.0 * 0.5 / 1.5;
        assert!((e.macro_f1 - (f1a + f1b) / 2.0).abs() < 1e-12);
        assert!(e.render().contains("macro-F1"));
    }
}
