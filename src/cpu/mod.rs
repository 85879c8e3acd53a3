//! The CPU engine: both WGAN-GP steps written directly on matrix products.
//!
//! Same networks and the same math as [`crate::model`] and [`crate::train::step`] (the
//! tests compare both in f64), laid out for the CPU: activations time-major in one buffer
//! per layer (row `t·n + b`, [`act::Shape`]), so that each tap of a kernel-`k` convolution
//! of the whole batch is ONE product over a contiguous block of rows (no padding rows, no
//! unfold copy, no products with the zero padding), its weight gradient the same blocks
//! transposed, and its transposed convolution the same with the weight blocks' transposed
//! views. Products run on the `gemm` crate (the kernels burn's Flex backend uses), whose
//! threads split rows and columns only, so results do not depend on the thread count;
//! element-wise work is plain loops, split over the thread pool when large, in fixed chunks.
//! Known structure is used where it saves whole products: the critic's output gradient is
//! the same `[seq, width]` matrix for every sample, so the first transposed convolution of
//! every backward pass is computed once, not once per sample.

pub mod act;
pub mod critic;
pub mod gemm;
pub mod generator;
pub mod step;
pub mod trunk;

/// Keeps freed buffers in the process heap (glibc only; elsewhere a no-op), once.
///
/// A step allocates and frees tens of buffers of several MB. glibc serves those with fresh
/// `mmap`s and returns them on `free`, so every buffer costs page faults and zeroing by the
/// kernel (≈ 10 % of a step in `perf`). Raising the mmap threshold to its maximum (32 MB)
/// and disabling trimming lets them be reused. Process-wide; it changes no results.
pub fn keep_freed_memory() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            extern "C" {
                fn mallopt(param: i32, value: i32) -> i32;
            }
            const M_TRIM_THRESHOLD: i32 = -1;
            const M_MMAP_THRESHOLD: i32 = -3;
            // SAFETY: mallopt only changes glibc's allocation policy; both values are in range.
            unsafe {
                mallopt(M_MMAP_THRESHOLD, 32 << 20);
                mallopt(M_TRIM_THRESHOLD, i32::MAX);
            }
        }
    });
}

/// The float types the engine runs on: `f32` for training, `f64` for the exactness tests.
pub trait Real:
    num_traits::Float
    + std::fmt::Debug
    + Send
    + Sync
    + 'static
    + std::iter::Sum
    + std::ops::AddAssign
    + std::ops::MulAssign
{
    /// `v` converted (rounded for `f32`).
    fn of(v: f64) -> Self;
}

impl Real for f32 {
    fn of(v: f64) -> f32 {
        v as f32
    }
}

impl Real for f64 {
    fn of(v: f64) -> f64 {
        v
    }
}
