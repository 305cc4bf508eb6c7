//! Proof that the real-time path allocates nothing: the live guard's three stream callbacks
//! (`audio::callbacks`: microphone, far end, output), with the gate opening and closing and the
//! engine's side draining the analysis rings, and on PulseAudio the byte streams around them,
//! run under a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use holdguard::audio::callbacks::{FarBlock, MicBlock, OutBlock};
use holdguard::audio::pipe::{pipe, Shared};
use ringbuf::traits::{Consumer, Split};
use ringbuf::{HeapCons, HeapRb};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Counting is on for this thread only: the test harness's own threads allocate when they
    /// please (CI once saw 4 such allocations), and they are not the real-time path.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn counting() -> bool {
    COUNTING.try_with(Cell::get).unwrap_or(false)
}

fn set_counting(on: bool) {
    COUNTING.with(|c| c.set(on));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counting() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The microphone and output callbacks around a fresh pipe, and the consumer of the microphone's
/// analysis ring (which the engine thread would drain).
fn pipe_ends(shared: &Arc<Shared>) -> (MicBlock, OutBlock, HeapCons<f32>) {
    let (capture, playback) = pipe(48_000, 512, shared.clone());
    let (mic_prod, mic_cons) = HeapRb::<f32>::new(48_000 * 2).split();
    let mic = MicBlock {
        shared: shared.clone(),
        capture,
        analysis: mic_prod,
    };
    let out = OutBlock {
        shared: shared.clone(),
        playback,
    };
    (mic, out, mic_cons)
}

#[test]
fn the_callback_path_does_not_allocate() {
    let shared = Arc::new(Shared::default());
    let (mut mic, mut out, mut mic_cons) = pipe_ends(&shared);
    let (far_prod, mut far_cons) = HeapRb::<f32>::new(48_000 * 2).split();
    let mut far = FarBlock {
        shared: shared.clone(),
        analysis: far_prod,
    };
    let block: Vec<f32> = (0..480).map(|i| (i as f32 * 0.02).sin()).collect();
    let mut buf = vec![0.0f32; 480];
    // What the engine thread drains the rings into (made before counting: it is not real-time).
    let mut drained = vec![0.0f32; 48_000];
    // Warm-up: first callbacks, priming, the threads' one promotion to real-time priority.
    for _ in 0..4 {
        mic.block(&block, None);
        far.block(&block);
        out.fill(&mut buf, None);
    }
    set_counting(true);
    for i in 0..20_000u64 {
        // Half the time as on PipeWire, with the graph's cycle times.
        let cycle = (i % 2 == 1).then_some(1 + i * 10_000_000);
        mic.block(&block, cycle);
        far.block(&block);
        if i % 500 == 0 {
            shared.muted.store(i % 1000 == 0, Ordering::Relaxed);
        }
        out.fill(&mut buf, cycle);
        if i % 8 == 0 {
            mic_cons.pop_slice(&mut drained);
            far_cons.pop_slice(&mut drained);
        }
    }
    set_counting(false);
    assert_eq!(
        ALLOCS.load(Ordering::SeqCst),
        0,
        "allocations in the real-time path"
    );

    // On PulseAudio the microphone and the output are streams of our own, through which bytes
    // come and go in pieces of the server's choosing (here: sizes that split samples).
    #[cfg(all(unix, feature = "desktop"))]
    {
        use holdguard::audio::pulse_capture::Decoder;
        use holdguard::audio::pulse_playback::Encoder;
        let (mut mic, mut out, mut mic_cons) = pipe_ends(&shared);
        let mut decoder = Decoder::new(move |d: &[f32]| mic.block(d, None));
        let mut encoder = Encoder::new(move |d: &mut [f32]| out.fill(d, None));
        let bytes: Vec<u8> = block.iter().flat_map(|s| s.to_le_bytes()).collect();
        let mut request = vec![0u8; 1027];
        decoder.feed(&bytes);
        encoder.fill(&mut request);
        set_counting(true);
        for i in 0..20_000usize {
            let cut = 1 + i % 7;
            decoder.feed(&bytes[..cut]);
            decoder.feed(&bytes[cut..]);
            encoder.fill(&mut request[..1 + (i * 13) % 1027]);
            if i % 8 == 0 {
                mic_cons.pop_slice(&mut drained);
            }
        }
        set_counting(false);
        assert_eq!(
            ALLOCS.load(Ordering::SeqCst),
            0,
            "allocations in the PulseAudio streams' path"
        );
    }

    // The counter does see allocations: the assertion above is not vacuous.
    set_counting(true);
    let boxed = std::hint::black_box(Box::new([0u8; 64]));
    set_counting(false);
    drop(boxed);
    assert!(ALLOCS.load(Ordering::SeqCst) > 0);
}
