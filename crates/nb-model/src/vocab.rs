//! The vocabulary: terms the model knows, each with a column index.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;

/// Terms in column order, with a lookup index rebuilt on load.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Vocabulary {
    terms: Vec<String>,
    index: HashMap<String, u32>,
}

impl Vocabulary {
    pub fn from_terms(terms: Vec<String>) -> Self {
        let index = terms.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
        Self { terms, index }
    }

    /// Chooses terms with document frequency of at least `min_df`, keeping the
    /// `max_size` most frequent (ties broken by the term, so the choice is
    /// deterministic). Columns are in term order.
    pub fn select<'a>(
        document_frequencies: impl IntoIterator<Item = (&'a str, u32)>,
        min_df: u32,
        max_size: usize,
    ) -> Self {
        let mut candidates: Vec<(&str, u32)> =
            document_frequencies.into_iter().filter(|&(_, df)| df >= min_df).collect();
        candidates.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        candidates.truncate(max_size);
        let mut terms: Vec<String> = candidates.into_iter().map(|(t, _)| t.to_string()).collect();
        terms.sort_unstable();
        Self::from_terms(terms)
    }

    pub fn get(&self, term: &str) -> Option<u32> {
        self.index.get(term).copied()
    }

    pub fn term(&self, column: usize) -> &str {
        &self.terms[column]
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

impl Serialize for Vocabulary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.terms.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Vocabulary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::from_terms(Vec::<String>::deserialize(deserializer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_applies_min_df_and_max_size_deterministically() {
        let dfs = [("供热", 9), ("企业", 3), ("的", 1), ("小区", 3), ("巡视", 5)];
        let v = Vocabulary::select(dfs.iter().map(|&(t, d)| (t, d)), 2, 3);
        // 供热 (9), 巡视 (5), then the tie 企业/小区 broken by term order.
        assert_eq!(v.len(), 3);
        assert!(v.get("供热").is_some() && v.get("巡视").is_some() && v.get("企业").is_some());
        assert_eq!(v.get("的"), None);
        assert_eq!(v.get("小区"), None);
        let columns: Vec<_> = v.terms().to_vec();
        let mut sorted = columns.clone();
        sorted.sort();
        assert_eq!(columns, sorted);
    }
}
