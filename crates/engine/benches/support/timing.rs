//! Timing for the benchmark commands (shared by the engine's and the tool's benchmarks).

use std::hint::black_box;
use std::time::{Duration, Instant};

/// The median of `runs` timings of `f`, after one warm-up run.
pub fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    black_box(f());
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}
