//! The machine's product speed on the training step's shapes: one kernel-5 convolution, its
//! transposed convolution and its weight gradient at width 512, batch 64, seq 32, through the
//! CPU engine's own kernels (`textwgan::cpu::act`), medians of 9 after one warm-up.
//!
//!     cargo bench --bench conv_products -- [--width 512] [--batch 64] [--seq-len 32] [--threads 2]
//!
//! Prints one JSON object: milliseconds and GFLOP/s (useful FLOPs: the zero padding excluded).

use std::time::Instant;
use textwgan::cpu::act::{conv_scaled, conv_t, weight_grad, Act, Shape};

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median_ms(mut f: impl FnMut()) -> f64 {
    f();
    let mut v: Vec<f64> = (0..9)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[4]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads = arg(&args, "--threads", 2);
    textwgan::device::set_threads(Some(threads));
    let (c, n, l, k) = (
        arg(&args, "--width", 512),
        arg(&args, "--batch", 64),
        arg(&args, "--seq-len", 32),
        5,
    );
    let s = Shape { n, l, c };
    let fill = |len: usize, m: usize| -> Vec<f32> {
        (0..len)
            .map(|i| ((i * m) % 1000) as f32 * 1e-3 - 0.5)
            .collect()
    };
    let x = Act {
        s,
        d: fill(s.len(), 7919),
    };
    let dy = Act {
        s,
        d: fill(s.len(), 17),
    };
    let w = fill(k * c * c, 13);
    let mut dw = vec![0f32; w.len()];
    // Useful multiply-adds: each output position sums over the taps that stay inside the row.
    let taps: usize = (0..l)
        .map(|t| (0..k).filter(|&j| (t + j) >= 2 && t + j - 2 < l).count())
        .sum();
    let gflop = 2.0 * (n * taps * c * c) as f64 / 1e9;
    let fwd = median_ms(|| drop(conv_scaled(x.view(), &w, c, k, 1.0)));
    let tr = median_ms(|| drop(conv_t(dy.view(), &w, c, k)));
    let wg = median_ms(|| weight_grad(&mut dw, x.view(), dy.view(), k));
    println!(
        "{}",
        serde_json::json!({
            "threads": threads, "width": c, "batch": n, "seq_len": l, "gflop_per_product": gflop,
            "conv_ms": fwd, "conv_gflops_per_s": gflop / fwd * 1e3,
            "conv_transpose_ms": tr, "conv_transpose_gflops_per_s": gflop / tr * 1e3,
            "weight_grad_ms": wg, "weight_grad_gflops_per_s": gflop / wg * 1e3,
        })
    );
}
