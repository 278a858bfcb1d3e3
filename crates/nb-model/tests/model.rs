use linfa_bayes::NaiveBayes;
use nb_model::file;
use nb_model::model::{LabelSet, TokenizerSettings};
use nb_model::train::{Stage, TrainConfig, Trainer};
use nb_model::{Model, ModelError};
use ndarray::Array2;

fn settings() -> TokenizerSettings {
    TokenizerSettings {
        mode: "precise".into(),
        hmm: true,
        drop_stopwords: true,
        drop_punctuation: true,
        drop_whitespace: true,
        drop_numbers: true,
        pipeline_fingerprint: "test-pipeline".into(),
    }
}

/// Three small themes with shared filler words, deterministic.
fn corpus() -> Vec<(&'static str, Vec<&'static str>)> {
    let heat = ["供热", "暖气", "室温", "管网", "供热企业", "锅炉"];
    let housing = ["老旧小区", "改造", "加装电梯", "外立面", "管道", "施工"];
    let tour = ["巡视组", "反馈", "整改", "进驻", "巡察", "谈话"];
    let filler = ["纪委监委", "监督", "群众", "问题", "工作", "推动", "开展", "落实"];
    let mut docs = Vec::new();
    for (label, words) in [("heating", heat), ("housing", housing), ("tour", tour)] {
        for i in 0..12 {
            let mut body = Vec::new();
            for j in 0..20 {
                body.push(words[(i + j) % words.len()]);
                body.push(filler[(i * 3 + j) % filler.len()]);
            }
            docs.push((label, body));
        }
    }
    docs
}

fn train(config: TrainConfig) -> nb_model::TrainOutcome {
    let labels = LabelSet::new(
        vec!["heating".into(), "housing".into(), "tour".into()],
        vec!["供热".into(), "老旧小区改造".into(), String::new()],
    )
    .unwrap();
    let mut trainer = Trainer::new(labels, true, settings(), config).unwrap();
    for (label, body) in corpus() {
        trainer.add(label, &[] as &[&str], &body).unwrap();
    }
    trainer.add_out_of_scope(&[] as &[&str], &["天气", "晴朗", "气温", "下降", "群众"]).unwrap();
    trainer.finish(&mut |_: Stage| {}).unwrap()
}

#[test]
fn trains_and_classifies_held_out_documents() {
    let outcome = train(TrainConfig::default());
    let model = &outcome.model;
    assert_eq!(model.labels.display_names, vec!["供热", "老旧小区改造", "tour"]);
    let p = model.predict(&["暖气"], &["供热企业", "室温", "不达标", "群众", "反映"]);
    assert_eq!(model.labels.ids[p.label], "heating");
    let p = model.predict(&[] as &[&str], &["巡视组", "进驻", "以后", "反馈", "整改", "问题"]);
    assert_eq!(model.labels.ids[p.label], "tour");
    assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    let cv = outcome.cross_validation.expect("cross-validation ran");
    assert!(cv.macro_f1 > 0.9, "{}", cv.render());
    assert_eq!(model.metadata.documents_per_label, vec![12, 12, 12]);
}

#[test]
fn words_the_model_never_saw_give_an_uncertain_answer() {
    let model = train(TrainConfig::default()).model;
    let p = model.predict(&[] as &[&str], &["marathon", "runners", "weather"]);
    assert!(p.uncertain);
    assert_eq!(p.known_tokens, 0.0);
}

#[test]
fn fast_scoring_matches_linfa_joint_log_likelihood() {
    let model = train(TrainConfig::default()).model;
    let doc = ["供热", "管网", "巡视组", "改造", "改造", "群众"];
    let (ll, _, _) = model.log_likelihood(&[] as &[&str], &doc);
    let mut row = Array2::<f64>::zeros((1, model.vocabulary.len()));
    for t in doc {
        row[[0, model.vocabulary.get(t).unwrap() as usize]] += 1.0;
    }
    let jll = model.naive_bayes().joint_log_likelihood(row.view());
    for (label, value) in jll {
        let ours = ll[*label] + model.log_prior()[*label];
        assert!((ours - value[0]).abs() < 1e-9, "label {label}: {ours} vs {}", value[0]);
    }
}

#[test]
fn explain_names_terms_that_occur_in_the_article() {
    let model = train(TrainConfig::default()).model;
    let body = ["供热企业", "锅炉", "室温", "整改", "群众"];
    let e = model.explain(&[] as &[&str], &body, 5);
    assert_eq!(model.labels.ids[e.prediction.label], "heating");
    assert!(!e.toward_label.is_empty());
    for t in e.toward_label.iter().chain(&e.toward_runner_up) {
        assert!(body.contains(&t.term.as_str()), "{} is not in the article", t.term);
    }
    assert!(e.toward_label.windows(2).all(|w| w[0].weight >= w[1].weight));
    assert!(e.toward_label.iter().any(|t| t.term == "锅炉"));
}

#[test]
fn model_file_round_trips() {
    let model = train(TrainConfig::default()).model;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.nbm");
    file::save(&model, &path).unwrap();
    let loaded = file::load(&path).unwrap();
    assert_eq!(loaded.version(), model.version());
    assert_eq!(loaded.labels, model.labels);
    assert_eq!(loaded.vocabulary, model.vocabulary);
    let doc = ["老旧小区", "加装电梯", "群众"];
    assert_eq!(loaded.predict(&[] as &[&str], &doc), model.predict(&[] as &[&str], &doc));
    // No temporary files are left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

fn load_err(bytes: &[u8]) -> String {
    match file::from_bytes(bytes, "m.nbm") {
        Err(e @ ModelError::File { .. }) => e.to_string(),
        other => panic!("expected a file error, got {other:?}"),
    }
}

#[test]
fn truncated_corrupt_foreign_and_newer_files_are_refused_clearly() {
    let bytes = file::to_bytes(&train(TrainConfig::default()).model).unwrap();
    assert!(load_err(&bytes[..bytes.len() / 2]).contains("truncated"));
    let mut flipped = bytes.clone();
    flipped[100] ^= 0x55;
    assert!(load_err(&flipped).contains("checksum"));
    assert!(load_err(b"hello, this is not a model").contains("not a model file"));
    let mut newer = bytes.clone();
    newer[8..12].copy_from_slice(&(file::FORMAT_VERSION + 1).to_le_bytes());
    assert!(load_err(&newer).contains("newer"));
}

#[test]
fn a_model_from_another_pipeline_is_named_incompatible() {
    let model = train(TrainConfig::default()).model;
    assert!(model.tokenizer.incompatibility("test-pipeline").is_none());
    let why = model.tokenizer.incompatibility("other").unwrap();
    assert!(why.contains("test-pipeline") && why.contains("other"));
}

#[test]
fn update_adds_documents_and_new_labels_incrementally() {
    let model = train(TrainConfig::default()).model;
    let mut trainer = Trainer::update(model.clone(), None).unwrap();
    for _ in 0..5 {
        trainer.add("fugitive", &[] as &[&str], &["巡察", "群众", "监督", "工作"]).unwrap();
    }
    trainer.add("heating", &[] as &[&str], &["供热", "锅炉"]).unwrap();
    let updated: Model = trainer.finish(&mut |_| {}).unwrap().model;
    assert_eq!(updated.labels.ids.last().unwrap(), "fugitive");
    assert_eq!(updated.metadata.documents_per_label, vec![13, 12, 12, 5]);
    assert_eq!(updated.vocabulary, model.vocabulary);
    assert_ne!(updated.version(), model.version());
}

#[test]
fn small_batches_give_the_same_model_as_one_batch() {
    let one = train(TrainConfig { batch_rows: 1000, folds: 0, ..TrainConfig::default() }).model;
    let many = train(TrainConfig { batch_rows: 5, folds: 0, ..TrainConfig::default() }).model;
    let doc = ["供热", "巡视组", "改造"];
    let (a, _, _) = one.log_likelihood(&[] as &[&str], &doc);
    let (b, _, _) = many.log_likelihood(&[] as &[&str], &doc);
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 1e-9);
    }
}

#[test]
fn bad_training_input_is_refused() {
    let labels = LabelSet::new(vec!["a".into(), "b".into()], vec![]).unwrap();
    let mut t = Trainer::new(labels.clone(), true, settings(), TrainConfig::default()).unwrap();
    assert!(matches!(t.add("c", &[] as &[&str], &["x"]), Err(ModelError::UnknownLabel(_))));
    t.add("a", &[] as &[&str], &["x", "y"]).unwrap();
    assert!(matches!(t.finish(&mut |_| {}), Err(ModelError::TooFewLabels(1))));
    let mut open = Trainer::new(LabelSet::default(), false, settings(), TrainConfig::default()).unwrap();
    assert!(matches!(open.add("", &[] as &[&str], &["x"]), Err(ModelError::InvalidLabel(_))));
    let empty = Trainer::new(labels, true, settings(), TrainConfig::default()).unwrap();
    assert!(matches!(empty.finish(&mut |_| {}), Err(ModelError::NoDocuments)));
    assert!(LabelSet::new(vec!["a b".into()], vec![]).is_err());
}
