//! A disk-backed store of tokenized training documents.
//!
//! Training reads the corpus several times (vocabulary selection, one fit per
//! cross-validation fold, the final fit). Keeping every document in memory
//! would make training memory grow with the corpus; instead each document is
//! written once, as interned term ids and weights, to an unnamed temporary
//! file and streamed back for each pass. What stays in memory is the term
//! table (it grows with the language, not with the number of documents).

use crate::features::{for_each_term, FeatureConfig};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Label index of documents that belong to no label: they are never fitted,
/// only scored, to choose the `uncertain` threshold.
pub const OUT_OF_SCOPE: u32 = u32::MAX;

pub struct DocumentStore {
    writer: BufWriter<File>,
    terms: Vec<String>,
    index: HashMap<String, u32>,
    document_frequency: Vec<u32>,
    per_label: HashMap<u32, u32>,
    documents: u64,
    hasher: Sha256,
    scratch: HashMap<u32, f32>,
}

/// One stored document.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredDocument {
    pub label: u32,
    /// Position of the document among those of its label: folds use it so
    /// that every fold gets a share of every label.
    pub ordinal: u32,
    /// (term id, weight); ids index [`DocumentStore::term`].
    pub terms: Vec<(u32, f32)>,
}

impl DocumentStore {
    /// A store whose file lives in `dir` (the system temp dir when `None`).
    pub fn new(dir: Option<&Path>) -> io::Result<Self> {
        let file = match dir {
            Some(dir) => tempfile::tempfile_in(dir)?,
            None => tempfile::tempfile()?,
        };
        Ok(Self {
            writer: BufWriter::with_capacity(1 << 16, file),
            terms: Vec::new(),
            index: HashMap::new(),
            document_frequency: Vec::new(),
            per_label: HashMap::new(),
            documents: 0,
            hasher: Sha256::new(),
            scratch: HashMap::new(),
        })
    }

    /// Adds one tokenized document under `label` (or [`OUT_OF_SCOPE`]).
    pub fn add<S: AsRef<str>>(
        &mut self,
        label: u32,
        title: &[S],
        body: &[S],
        features: &FeatureConfig,
    ) -> io::Result<()> {
        self.scratch.clear();
        let Self { terms, index, scratch, .. } = self;
        for_each_term(title, body, features, |term, weight| {
            let id = match index.get(term) {
                Some(&id) => id,
                None => {
                    let id = terms.len() as u32;
                    terms.push(term.to_string());
                    index.insert(term.to_string(), id);
                    id
                }
            };
            *scratch.entry(id).or_default() += weight as f32;
        });
        let mut entries: Vec<(u32, f32)> = self.scratch.iter().map(|(&k, &v)| (k, v)).collect();
        entries.sort_unstable_by_key(|&(id, _)| id);

        self.document_frequency.resize(self.terms.len(), 0);
        if label != OUT_OF_SCOPE {
            for &(id, _) in &entries {
                self.document_frequency[id as usize] += 1;
            }
        }
        let ordinal = self.per_label.entry(label).or_default();
        let this_ordinal = *ordinal;
        *ordinal += 1;

        self.hasher.update(label.to_le_bytes());
        for part in [title, body] {
            for token in part {
                self.hasher.update(token.as_ref().as_bytes());
                self.hasher.update([0x1f]);
            }
            self.hasher.update([0x1e]);
        }

        let w = &mut self.writer;
        w.write_all(&label.to_le_bytes())?;
        w.write_all(&this_ordinal.to_le_bytes())?;
        w.write_all(&(entries.len() as u32).to_le_bytes())?;
        for (id, weight) in entries {
            w.write_all(&id.to_le_bytes())?;
            w.write_all(&weight.to_le_bytes())?;
        }
        self.documents += 1;
        Ok(())
    }

    pub fn documents(&self) -> u64 {
        self.documents
    }

    /// Documents stored under `label`.
    pub fn documents_with_label(&self, label: u32) -> u32 {
        self.per_label.get(&label).copied().unwrap_or(0)
    }

    pub fn term(&self, id: u32) -> &str {
        &self.terms[id as usize]
    }

    /// (term, number of in-scope documents containing it).
    pub fn document_frequencies(&self) -> impl Iterator<Item = (&str, u32)> {
        self.terms.iter().map(String::as_str).zip(self.document_frequency.iter().copied())
    }

    /// SHA-256 over every document's label and tokens, in insertion order.
    pub fn content_hash(&self) -> String {
        hex::encode(self.hasher.clone().finalize())
    }

    /// Streams the stored documents from the start.
    pub fn read(&mut self) -> io::Result<StoreReader> {
        self.writer.flush()?;
        let mut file = self.writer.get_ref().try_clone()?;
        file.seek(SeekFrom::Start(0))?;
        Ok(StoreReader { reader: BufReader::with_capacity(1 << 16, file), remaining: self.documents })
    }
}

pub struct StoreReader {
    reader: BufReader<File>,
    remaining: u64,
}

impl StoreReader {
    fn read_u32(&mut self) -> io::Result<u32> {
        let mut b = [0u8; 4];
        self.reader.read_exact(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
}

impl Iterator for StoreReader {
    type Item = io::Result<StoredDocument>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let mut read = || -> io::Result<StoredDocument> {
            let label = self.read_u32()?;
            let ordinal = self.read_u32()?;
            let n = self.read_u32()? as usize;
            let mut terms = Vec::with_capacity(n);
            for _ in 0..n {
                let id = self.read_u32()?;
                let weight = f32::from_bits(self.read_u32()?);
                terms.push((id, weight));
            }
            Ok(StoredDocument { label, ordinal, terms })
        };
        Some(read())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_through_the_file_in_order() {
        let mut store = DocumentStore::new(None).unwrap();
        let f = FeatureConfig { title_weight: 2.0, bigrams: false };
        store.add(0, &["供热"], &["供热", "企业", "供热"], &f).unwrap();
        store.add(1, &[] as &[&str], &["巡视", "整改"], &f).unwrap();
        store.add(0, &[] as &[&str], &["企业"], &f).unwrap();
        store.add(OUT_OF_SCOPE, &[] as &[&str], &["天气"], &f).unwrap();
        let docs: Vec<_> = store.read().unwrap().map(Result::unwrap).collect();
        assert_eq!(docs.len(), 4);
        assert_eq!(docs[0].label, 0);
        assert_eq!(docs[2].ordinal, 1);
        let heat = docs[0].terms.iter().find(|(id, _)| store.term(*id) == "供热").unwrap();
        assert_eq!(heat.1, 4.0);
        // Out-of-scope documents do not count toward document frequency.
        let dfs: HashMap<_, _> = store.document_frequencies().collect();
        assert_eq!(dfs["企业"], 2);
        assert_eq!(dfs["天气"], 0);
        // A second pass reads the same documents again.
        assert_eq!(store.read().unwrap().count(), 4);
    }

    #[test]
    fn content_hash_depends_on_tokens_and_labels() {
        let f = FeatureConfig::default();
        let hash = |label, tokens: &[&str]| {
            let mut s = DocumentStore::new(None).unwrap();
            s.add(label, &[] as &[&str], tokens, &f).unwrap();
            s.content_hash()
        };
        assert_eq!(hash(0, &["a", "b"]), hash(0, &["a", "b"]));
        assert_ne!(hash(0, &["a", "b"]), hash(1, &["a", "b"]));
        assert_ne!(hash(0, &["a", "b"]), hash(0, &["ab"]));
    }
}
