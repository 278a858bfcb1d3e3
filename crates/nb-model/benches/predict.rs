//! Vectorize + predict for one article's tokens, and explain.
use criterion::{criterion_group, criterion_main, Criterion};
use nb_model::model::{LabelSet, TokenizerSettings};
use nb_model::train::{TrainConfig, Trainer};

fn bench(c: &mut Criterion) {
    // A synthetic model with a realistic vocabulary size (about 20,000 terms,
    // 8 labels) and a 2,000-token article, the size of a ~6 KB news story.
    let labels: Vec<String> = (0..8).map(|i| format!("label{i}")).collect();
    let settings = TokenizerSettings {
        mode: "precise".into(),
        hmm: true,
        drop_stopwords: true,
        drop_punctuation: true,
        drop_whitespace: true,
        drop_numbers: true,
        pipeline_fingerprint: "bench".into(),
    };
    let mut trainer = Trainer::new(
        LabelSet::new(labels.clone(), vec![]).unwrap(),
        true,
        settings,
        TrainConfig { folds: 0, min_df: 1, ..TrainConfig::default() },
    )
    .unwrap();
    let term = |i: usize| format!("t{}", (i * 7919) % 20_000);
    for d in 0..800 {
        let body: Vec<String> = (0..300).map(|j| term(d * 31 + j * 17 + (d % 8) * 1000)).collect();
        trainer.add(&labels[d % 8], &[] as &[&str], &body).unwrap();
    }
    let model = trainer.finish(&mut |_| {}).unwrap().model;
    let article: Vec<String> = (0..2000).map(|j| term(j * 13)).collect();
    let title: Vec<String> = (0..8).map(|j| term(j * 101)).collect();
    c.bench_function("predict 2000 tokens", |b| b.iter(|| model.predict(&title, &article)));
    c.bench_function("explain 2000 tokens", |b| b.iter(|| model.explain(&title, &article, 10)));
}

criterion_group!(benches, bench);
criterion_main!(benches);
