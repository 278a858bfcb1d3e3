use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // protoc ships inside the protoc-bin-vendored crate, so a fresh machine
    // (and the Docker build) needs nothing beyond cargo.
    if std::env::var_os("PROTOC").is_none() {
        std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?);
    }
    let proto_root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    for (package, file) in [
        ("tokenizer", "tokenizer/v1/tokenizer.proto"),
        ("classifier", "classifier/v1/classifier.proto"),
    ] {
        let path = proto_root.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        tonic_prost_build::configure()
            .file_descriptor_set_path(out_dir.join(format!("{package}_descriptor.bin")))
            .compile_protos(&[path], &[proto_root.clone()])?;
    }
    Ok(())
}
