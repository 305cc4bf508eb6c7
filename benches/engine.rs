//! Speed of the engine: resampling, features, classifier and policy, per second of far-end audio.
//!
//! `cargo bench --bench engine` prints, for 8, 16 and 48 kHz input, the time to process 80 s of a
//! real hold call (music, announcements, the agent's return) fed in 20 ms blocks as live audio
//! would be. Real-time factor = 80 s / the reported time. The engine is built outside the timed
//! part (a live guard builds it once per call).

use std::path::Path;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use holdguard::dsp::resample::StreamResampler;
use holdguard::engine::{Engine, Sink};
use holdguard::guard::{GuardConfig, Transition};
use holdguard::source::AudioSource;

struct Discard;
impl Sink for Discard {
    fn transition(&mut self, _: &Transition) {}
}

fn load() -> (Vec<f32>, u32) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hold_repeat_agent.far.flac");
    let mut src = AudioSource::open(&path).expect("fixture");
    let mut out = Vec::new();
    while src.read_into(&mut out).expect("decodes") {}
    (out, src.rate())
}

fn engine(c: &mut Criterion) {
    let (far, rate) = load();
    let seconds = far.len() as f64 / rate as f64;
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    for target in [8_000u32, 16_000, 48_000] {
        let mut input = Vec::new();
        let mut rs = StreamResampler::new(rate, target);
        rs.process(&far, &mut input);
        rs.flush(&mut input);
        group.throughput(Throughput::Elements(seconds as u64));
        group.bench_with_input(
            BenchmarkId::new("far_end_seconds", target),
            &input,
            |b, input| {
                // Building the engine (FFT plans, buffers) happens once per call, not per second
                // of audio: it is set up outside the timed part.
                b.iter_batched(
                    || Engine::new(target, None, GuardConfig::default()),
                    |mut e| {
                        for block in input.chunks(target as usize / 50) {
                            e.push_far(block, &mut Discard);
                        }
                        e.finish(&mut Discard);
                        e.muted()
                    },
                    BatchSize::LargeInput,
                )
            },
        );
    }
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
