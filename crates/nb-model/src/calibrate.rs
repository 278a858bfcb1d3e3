//! Turning naive Bayes log-likelihoods into probabilities that mean something.
//!
//! Raw naive Bayes posteriors on long documents are all 0 or 1: every token
//! adds its log-likelihood ratio as if independent. We divide the summed
//! token log-likelihoods by the number of known tokens (a per-token average,
//! so length no longer sharpens the answer) and multiply by one scale fitted
//! on out-of-fold predictions by minimizing their negative log-likelihood
//! (temperature scaling). The class prior is added unscaled.

/// One document scored by a model that did not train on it.
#[derive(Clone, Debug)]
pub struct OutOfFold {
    /// True label index, or `None` for an out-of-scope document.
    pub truth: Option<usize>,
    /// Sum over the document's known terms of weight * log P(term | label).
    pub log_likelihood: Vec<f64>,
    /// Log prior of each label in the fold's model.
    pub log_prior: Vec<f64>,
    /// Summed weight of the known terms.
    pub known: f64,
}

/// Calibrated probabilities, in label order.
pub fn probabilities(log_prior: &[f64], log_likelihood: &[f64], known: f64, scale: f64) -> Vec<f64> {
    let per_token = 1.0 / known.max(1.0);
    let z: Vec<f64> = log_prior
        .iter()
        .zip(log_likelihood)
        .map(|(&p, &l)| p + scale * l * per_token)
        .collect();
    softmax(&z)
}

/// Numerically stable softmax; labels at -inf get 0.
pub fn softmax(z: &[f64]) -> Vec<f64> {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return vec![1.0 / z.len() as f64; z.len()];
    }
    let exp: Vec<f64> = z.iter().map(|&v| (v - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

fn mean_nll(rows: &[&OutOfFold], scale: f64) -> f64 {
    let total: f64 = rows
        .iter()
        .map(|r| {
            let p = probabilities(&r.log_prior, &r.log_likelihood, r.known, scale);
            -p[r.truth.expect("in-scope rows only")].max(1e-12).ln()
        })
        .sum();
    total / rows.len().max(1) as f64
}

/// The scale minimizing out-of-fold negative log-likelihood, by golden-section
/// search over log(scale) in [log 0.01, log 10^4]. Falls back to 1 with no rows.
pub fn fit_scale(rows: &[OutOfFold]) -> f64 {
    let rows: Vec<&OutOfFold> = rows.iter().filter(|r| r.truth.is_some()).collect();
    if rows.is_empty() {
        return 1.0;
    }
    let f = |log_scale: f64| mean_nll(&rows, log_scale.exp());
    let (mut a, mut b) = (0.01f64.ln(), 1e4f64.ln());
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - ratio * (b - a);
    let mut d = a + ratio * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..60 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - ratio * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + ratio * (b - a);
            fd = f(d);
        }
    }
    ((a + b) / 2.0).exp()
}

/// Chooses the confidence below which answers are flagged uncertain.
///
/// With out-of-scope examples: the threshold that flags the most of them
/// while flagging at most `max_in_scope_flagged` of in-scope documents. With
/// none: `default`.
pub fn choose_threshold(
    in_scope_confidence: &[f64],
    out_of_scope_confidence: &[f64],
    max_in_scope_flagged: f64,
    default: f64,
) -> f64 {
    if out_of_scope_confidence.is_empty() || in_scope_confidence.is_empty() {
        return default;
    }
    let rate = |xs: &[f64], t: f64| xs.iter().filter(|&&c| c < t).count() as f64 / xs.len() as f64;
    let mut best = (f64::NEG_INFINITY, default);
    for step in 20..=99 {
        let t = step as f64 / 100.0;
        if rate(in_scope_confidence, t) > max_in_scope_flagged {
            break;
        }
        let flagged = rate(out_of_scope_confidence, t);
        if flagged > best.0 {
            best = (flagged, t);
        }
    }
    best.1
}

/// Reliability of confidences: for answers with confidence >= `at_least`,
/// how many there are and the share that is right.
pub fn reliability(confidence_and_correct: &[(f64, bool)], at_least: f64) -> (usize, f64) {
    let chosen: Vec<bool> =
        confidence_and_correct.iter().filter(|(c, _)| *c >= at_least).map(|&(_, ok)| ok).collect();
    let n = chosen.len();
    let right = chosen.iter().filter(|&&ok| ok).count();
    (n, if n == 0 { f64::NAN } else { right as f64 / n as f64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_is_stable_and_sums_to_one() {
        let p = softmax(&[-5000.0, -5001.0, f64::NEG_INFINITY]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(p[0] > p[1] && p[2] == 0.0);
    }

    #[test]
    fn no_known_tokens_gives_the_prior() {
        let prior = [0.75f64.ln(), 0.25f64.ln()];
        let p = probabilities(&prior, &[0.0, 0.0], 0.0, 5.0);
        assert!((p[0] - 0.75).abs() < 1e-12);
    }

    #[test]
    fn fitted_scale_tempers_overconfident_scores() {
        // Label 0 wins by a wide per-token margin, but is right only 70% of
        // the time: the fitted scale must bring confidence near 0.7.
        let rows: Vec<OutOfFold> = (0..100)
            .map(|i| OutOfFold {
                truth: Some(if i % 10 < 7 { 0 } else { 1 }),
                log_likelihood: vec![-100.0, -150.0],
                log_prior: vec![0.5f64.ln(), 0.5f64.ln()],
                known: 50.0,
            })
            .collect();
        let scale = fit_scale(&rows);
        let p = probabilities(&rows[0].log_prior, &rows[0].log_likelihood, 50.0, scale);
        assert!((p[0] - 0.7).abs() < 0.01, "confidence {} with scale {scale}", p[0]);
    }

    #[test]
    fn threshold_flags_out_of_scope_within_the_in_scope_budget() {
        let in_scope: Vec<f64> = (0..100).map(|i| 0.5 + i as f64 / 200.0).collect();
        let out_of_scope = [0.3, 0.4, 0.45, 0.51, 0.9];
        let t = choose_threshold(&in_scope, &out_of_scope, 0.05, 0.5);
        assert!(in_scope.iter().filter(|&&c| c < t).count() <= 5);
        assert!(out_of_scope.iter().filter(|&&c| c < t).count() >= 4);
        assert_eq!(choose_threshold(&in_scope, &[], 0.05, 0.42), 0.42);
    }
}
