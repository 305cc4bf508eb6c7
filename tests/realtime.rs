//! Proof that the real-time path allocates nothing: the capture and playback halves of the pipe,
//! with the gate opening and closing, run under a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use holdguard::audio::pipe::{pipe, Shared};

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

#[test]
fn the_callback_path_does_not_allocate() {
    let shared = Arc::new(Shared::default());
    let (mut capture, mut playback) = pipe(48_000, 512, shared.clone());
    let block: Vec<f32> = (0..480).map(|i| (i as f32 * 0.02).sin()).collect();
    let mut out = vec![0.0f32; 480];
    // Warm-up: first callbacks, priming.
    for _ in 0..4 {
        capture.push(&block);
        playback.fill(&mut out);
    }
    set_counting(true);
    for i in 0..20_000u64 {
        // Half the time as on PipeWire, with the graph's cycle times.
        let cycle = (i % 2 == 1).then_some(1 + i * 10_000_000);
        match cycle {
            Some(c) => capture.push_at(&block, c),
            None => capture.push(&block),
        }
        if i % 500 == 0 {
            shared.muted.store(i % 1000 == 0, Ordering::Relaxed);
        }
        match cycle {
            Some(c) => playback.fill_at(&mut out, c),
            None => playback.fill(&mut out),
        }
    }
    set_counting(false);
    assert_eq!(
        ALLOCS.load(Ordering::SeqCst),
        0,
        "allocations in the real-time path"
    );

    // The counter does see allocations: the assertion above is not vacuous.
    set_counting(true);
    let boxed = std::hint::black_box(Box::new([0u8; 64]));
    set_counting(false);
    drop(boxed);
    assert!(ALLOCS.load(Ordering::SeqCst) > 0);
}
