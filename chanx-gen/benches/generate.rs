//! Generation speed: parse + IR + Rust emit, on the Chanx chat spec and a large real-world spec.

use std::path::{Path, PathBuf};

use chanx_gen::emit::rust::emit;
use chanx_gen::ir::{IrOptions, build};
use chanx_gen::parse::Spec;
use criterion::{Criterion, criterion_group, criterion_main};

/// The corpus vendored in the repository (`tests/corpus/`).
fn corpus() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus"))
}

fn generate(path: &Path) -> usize {
    let spec = Spec::load(path).expect("spec loads");
    let ir = build(&spec, &IrOptions::default()).expect("ir builds");
    emit(&ir).iter().map(|f| f.contents.len()).sum()
}

fn bench(c: &mut Criterion) {
    let specs = [
        ("chanx-chat", PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/chanx-chat.yaml"))),
        (
            "deepgram (real-world, large)",
            corpus().join("asyncapi/real-world/deepgram__deepgram-api-specs/asyncapi.yml"),
        ),
        (
            "kraken (official example)",
            corpus().join("asyncapi/examples/kraken-websocket-request-reply-multiple-channels-asyncapi.yml"),
        ),
    ];
    let mut group = c.benchmark_group("generate_rust");
    group.sample_size(20);
    for (name, path) in specs {
        assert!(path.is_file(), "{} is missing", path.display());
        group.bench_function(name, |b| b.iter(|| generate(&path)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
