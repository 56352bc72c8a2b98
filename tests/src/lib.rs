//! Helpers for engine's tests and benches: where the shared data lives (pills, vectors, jam programs).
