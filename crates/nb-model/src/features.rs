//! Terms an article contributes to the model, and their weights.

use serde::{Deserialize, Serialize};

/// How tokens become features. Part of the model: training and serving must
/// agree, so it is stored in the model file.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Each title token counts this many times (a title states the subject).
    pub title_weight: f64,
    /// Also count adjacent body-token pairs as terms ("a b").
    pub bigrams: bool,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        // Chosen by measurement on the project corpus; see README "Accuracy".
        Self { title_weight: 3.0, bigrams: false }
    }
}

/// Calls `emit(term, weight)` for every term occurrence of a document:
/// title tokens with `title_weight`, body tokens with 1, and body bigrams
/// with 1 when enabled. A term may be emitted several times; callers sum.
/// One reusable buffer keeps bigrams from allocating per pair.
pub fn for_each_term<S: AsRef<str>>(
    title: &[S],
    body: &[S],
    config: &FeatureConfig,
    mut emit: impl FnMut(&str, f64),
) {
    for token in title {
        emit(token.as_ref(), config.title_weight);
    }
    for token in body {
        emit(token.as_ref(), 1.0);
    }
    if config.bigrams {
        let mut pair = String::new();
        for window in body.windows(2) {
            pair.clear();
            pair.push_str(window[0].as_ref());
            pair.push(' ');
            pair.push_str(window[1].as_ref());
            emit(&pair, 1.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn collect(title: &[&str], body: &[&str], config: FeatureConfig) -> HashMap<String, f64> {
        let mut out = HashMap::new();
        for_each_term(title, body, &config, |t, w| *out.entry(t.to_string()).or_default() += w);
        out
    }

    #[test]
    fn title_tokens_count_with_the_title_weight() {
        let terms = collect(&["供热"], &["供热", "企业"], FeatureConfig { title_weight: 3.0, bigrams: false });
        assert_eq!(terms["供热"], 4.0);
        assert_eq!(terms["企业"], 1.0);
    }

    #[test]
    fn bigrams_join_adjacent_body_tokens_only_when_enabled() {
        let on = collect(&["标题"], &["老旧", "小区", "改造"], FeatureConfig { title_weight: 1.0, bigrams: true });
        assert_eq!(on["老旧 小区"], 1.0);
        assert_eq!(on["小区 改造"], 1.0);
        assert!(!on.contains_key("标题 老旧"));
        let off = collect(&[], &["老旧", "小区"], FeatureConfig { title_weight: 1.0, bigrams: false });
        assert!(!off.contains_key("老旧 小区"));
    }
}
