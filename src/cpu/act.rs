//! Activation buffers and the convolution kernels on them.
//!
//! A batch of `n` sequences of length `l` with `c` channels is one row-major buffer of
//! `l·n` rows of `c` values, **time-major**: sample `b`'s position `t` is row `t·n + b`.
//! A kernel-`k` convolution is then `k` products, one per tap `j` (shift `d = j − (k−1)/2`):
//! the rows of positions `t` with `0 ≤ t + d < l` form ONE contiguous block of the output,
//! and the rows they read (positions `t + d`) one contiguous block of the input, so each tap
//! is a single large product with no padding rows, no unfold copy, and no multiply by the
//! zero padding. Weight gradients are the same blocks, transposed.

use super::gemm::{gemm_scaled, gemm_uninit, Mat};
use super::Real;
use rayon::prelude::*;

/// Element-wise loops over more values than this are split across the thread pool.
const CHUNK: usize = 1 << 15;

/// `f(x_i, y_i)` for every pair, in parallel chunks when large.
pub fn zip_apply<T: Real>(x: &mut [T], y: &[T], f: impl Fn(&mut T, T) + Sync + Send) {
    assert_eq!(x.len(), y.len());
    if x.len() <= 2 * CHUNK {
        x.iter_mut().zip(y).for_each(|(a, &b)| f(a, b));
    } else {
        x.par_chunks_mut(CHUNK)
            .zip(y.par_chunks(CHUNK))
            .for_each(|(a, b)| a.iter_mut().zip(b).for_each(|(a, &b)| f(a, b)));
    }
}

/// `f(x_i)` for every value, in parallel chunks when large.
pub fn apply<T: Real>(x: &mut [T], f: impl Fn(&mut T) + Sync + Send) {
    if x.len() <= 2 * CHUNK {
        x.iter_mut().for_each(f);
    } else {
        x.par_chunks_mut(CHUNK)
            .for_each(|a| a.iter_mut().for_each(&f));
    }
}

/// The layout of one buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Samples.
    pub n: usize,
    /// Positions per sample.
    pub l: usize,
    /// Channels per row.
    pub c: usize,
}

impl Shape {
    /// Rows in the buffer.
    pub fn rows(&self) -> usize {
        self.n * self.l
    }

    /// Values in the buffer.
    pub fn len(&self) -> usize {
        self.rows() * self.c
    }

    /// Whether the buffer holds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row of sample `b`, position `t`.
    pub fn row(&self, b: usize, t: usize) -> usize {
        t * self.n + b
    }

    /// The same layout with `c` channels.
    pub fn with_c(self, c: usize) -> Shape {
        Shape { c, ..self }
    }

    /// The same layout with `n` samples.
    pub fn with_n(self, n: usize) -> Shape {
        Shape { n, ..self }
    }
}

/// An owned activation buffer.
#[derive(Debug, Clone)]
pub struct Act<T> {
    /// Its layout.
    pub s: Shape,
    /// Its values, `s.len()` of them.
    pub d: Vec<T>,
}

/// A borrowed activation buffer.
#[derive(Debug, Clone, Copy)]
pub struct View<'a, T> {
    /// Its layout.
    pub s: Shape,
    /// Its values.
    pub d: &'a [T],
}

impl<T: Real> Act<T> {
    /// All zeros.
    pub fn zeros(s: Shape) -> Act<T> {
        Act {
            s,
            d: vec![T::zero(); s.len()],
        }
    }

    /// The whole buffer as a view.
    pub fn view(&self) -> View<'_, T> {
        View {
            s: self.s,
            d: &self.d,
        }
    }

    /// Row `r`.
    pub fn row(&self, r: usize) -> &[T] {
        &self.d[r * self.s.c..(r + 1) * self.s.c]
    }

    /// Row `r`, mutable.
    pub fn row_mut(&mut self, r: usize) -> &mut [T] {
        let c = self.s.c;
        &mut self.d[r * c..(r + 1) * c]
    }

    /// `self += a·other` element-wise (same layout).
    pub fn axpy(&mut self, a: T, other: View<T>) {
        assert_eq!(self.s, other.s);
        zip_apply(&mut self.d, other.d, |x, y| *x += a * y);
    }

    /// Sum over every row: `[c]`.
    pub fn col_sums(&self) -> Vec<T> {
        let c = self.s.c;
        let sum_rows = |rows: &[T]| {
            let mut v = vec![T::zero(); c];
            for row in rows.chunks_exact(c) {
                for (a, &x) in v.iter_mut().zip(row) {
                    *a += x;
                }
            }
            v
        };
        if self.d.len() <= 2 * CHUNK {
            return sum_rows(&self.d);
        }
        // Partial sums of fixed chunks, in parallel, then added in order: the same bits for
        // any thread count (a rayon `reduce` would add in a scheduling-dependent order).
        let per = (CHUNK / c).max(1) * c;
        let parts: Vec<Vec<T>> = self.d.par_chunks(per).map(sum_rows).collect();
        let mut v = vec![T::zero(); c];
        for p in parts {
            v.iter_mut().zip(&p).for_each(|(x, &y)| *x += y);
        }
        v
    }

    /// The sum over samples, as one sample.
    pub fn sum_samples(&self) -> Act<T> {
        weighted_sum(self.view(), &vec![T::one(); self.s.n])
    }
}

/// Adds `v` (`[c]`) to every row.
pub fn add_bias<T: Real>(a: &mut Act<T>, v: &[T]) {
    let c = a.s.c;
    assert_eq!(v.len(), c);
    let per = (CHUNK / c).max(1) * c;
    a.d.par_chunks_mut(per).for_each(|rows| {
        for row in rows.chunks_exact_mut(c) {
            row.iter_mut().zip(v).for_each(|(x, &b)| *x += b);
        }
    });
}

/// The taps of a kernel-`k` convolution over `l` positions: `(j, d, t0, t1)` with shift
/// `d = j − (k−1)/2`, where output positions `t0..t1` read input positions `t0+d..t1+d`.
/// The centre tap (which covers every position) comes first.
fn taps(k: usize, l: usize) -> Vec<(usize, isize, usize, usize)> {
    let q = (k / 2) as isize;
    let mut v: Vec<_> = (0..k)
        .map(|j| {
            let d = j as isize - q;
            let t0 = (-d).max(0) as usize;
            let t1 = (l as isize - d.max(0)).max(t0 as isize) as usize;
            (j, d, t0, t1)
        })
        .collect();
    v.sort_by_key(|&(_, d, _, _)| d != 0);
    v
}

/// A kernel-`k` convolution of `x` (`cin` channels) with `w` (`[k·cin, cout]`, row
/// `j·cin + i`, see [`crate::model::layers`]) and `(k−1)/2` zero padding, plus an optional
/// bias: one product per tap (see the module docs); `k` is any odd size (1 for dense rows).
pub fn conv<T: Real>(x: View<T>, w: &[T], cout: usize, k: usize, bias: Option<&[T]>) -> Act<T> {
    let mut out = conv_scaled(x, w, cout, k, T::one());
    if let Some(b) = bias {
        add_bias(&mut out, b);
    }
    out
}

/// `scale ·` a [`conv`] without bias (the scale rides on the products for free).
pub fn conv_scaled<T: Real>(x: View<T>, w: &[T], cout: usize, k: usize, scale: T) -> Act<T> {
    let s = x.s;
    assert!(k % 2 == 1, "odd kernels only");
    let (cin, n) = (s.c, s.n);
    assert_eq!(w.len(), k * cin * cout, "conv weight size");
    let products = taps(k, s.l)
        .into_iter()
        .filter(|t| t.3 > t.2)
        .map(|(j, d, t0, t1)| {
            let src = (t0 as isize + d) as usize * n * cin;
            let a = Mat::dense(&x.d[src..], (t1 - t0) * n, cin);
            let b = Mat::dense(&w[j * cin * cout..(j + 1) * cin * cout], cin, cout);
            (t0 * n * cout, a, b)
        });
    run_taps(s.with_c(cout), products, scale)
}

/// The products of a convolution's taps into a new buffer: the first (the centre tap, which
/// covers every row) writes, the others add. The buffer is never zero-filled first.
fn run_taps<'a, T: Real>(
    s: Shape,
    mut products: impl Iterator<Item = (usize, Mat<'a, T>, Mat<'a, T>)>,
    scale: T,
) -> Act<T> {
    let len = s.len();
    let mut d: Vec<T> = Vec::with_capacity(len);
    let (at, a, b) = products.next().expect("the centre tap");
    assert!(
        at == 0 && a.rows == s.rows() && b.cols == s.c,
        "the centre tap covers every row"
    );
    gemm_uninit(&mut d.spare_capacity_mut()[..len], s.c, a, b, scale);
    // SAFETY: the centre tap's product wrote all `len` values.
    unsafe { d.set_len(len) };
    for (at, a, b) in products {
        gemm_scaled(&mut d[at..], s.c, a, b, true, scale);
    }
    Act { s, d }
}

/// `dw += unfold_k(x)ᵀ · dy`: the weight gradient of a kernel-`k` [`conv`] whose input was
/// `x` and whose output gradient is `dy` (same samples and positions).
pub fn weight_grad<T: Real>(dw: &mut [T], x: View<T>, dy: View<T>, k: usize) {
    weight_grad_scaled(dw, x, dy, k, T::one())
}

/// `dw += scale · unfold_k(x)ᵀ · dy` (see [`weight_grad`]).
pub fn weight_grad_scaled<T: Real>(dw: &mut [T], x: View<T>, dy: View<T>, k: usize, scale: T) {
    let (s, sy) = (x.s, dy.s);
    assert_eq!((s.n, s.l), (sy.n, sy.l), "weight_grad layouts");
    let (cin, cout, n) = (s.c, sy.c, s.n);
    assert_eq!(dw.len(), k * cin * cout, "weight_grad size");
    for (j, d, t0, t1) in taps(k, s.l) {
        if t1 <= t0 {
            continue;
        }
        let src = (t0 as isize + d) as usize * n * cin;
        let xt = Mat::dense(&x.d[src..], (t1 - t0) * n, cin).t();
        let g = Mat::dense(&dy.d[t0 * n * cout..], (t1 - t0) * n, cout);
        gemm_scaled(&mut dw[j * cin * cout..], cout, xt, g, true, scale);
    }
}

/// The transposed convolution of `x` (`b` channels) with the weight `w` (`[k·cout, b]`) of a
/// kernel-`k` [`conv`] from `cout` to `b` channels: `out[t] = Σ_j x[t − d_j]·W_jᵀ`, the
/// input-gradient of that conv. Each tap is one product with the transposed view of the tap's
/// weight block, so no flipped copy of the weight is made.
pub fn conv_t<T: Real>(x: View<T>, w: &[T], cout: usize, k: usize) -> Act<T> {
    conv_t_scaled(x, w, cout, k, T::one())
}

/// `scale ·` [`conv_t`].
pub fn conv_t_scaled<T: Real>(x: View<T>, w: &[T], cout: usize, k: usize, scale: T) -> Act<T> {
    let s = x.s;
    assert!(k % 2 == 1, "odd kernels only");
    let (b, n) = (s.c, s.n);
    assert_eq!(w.len(), k * cout * b, "conv_t weight size");
    let products = taps(k, s.l).into_iter().filter_map(|(j, d, _, _)| {
        // Output position t reads input position t − d.
        let t0 = d.max(0) as usize;
        let t1 = (s.l as isize + d.min(0)).max(t0 as isize) as usize;
        (t1 > t0).then(|| {
            let src = (t0 as isize - d) as usize * n * b;
            let a = Mat::dense(&x.d[src..], (t1 - t0) * n, b);
            let wt = Mat::dense(&w[j * cout * b..(j + 1) * cout * b], cout, b).t();
            (t0 * n * cout, a, wt)
        })
    });
    run_taps(s.with_c(cout), products, scale)
}

#[cfg(test)]
/// The weight of the transposed convolution: `[k·cin, cout]` → `[k·cout, cin]` with the
/// kernel flipped, so that `conv(d, flip(w))` is the input-gradient of `conv(·, w)`.
pub fn flip_weight<T: Real>(w: &[T], k: usize, cin: usize, cout: usize) -> Vec<T> {
    assert_eq!(w.len(), k * cin * cout);
    let mut t = vec![T::zero(); w.len()];
    const TILE: usize = 32;
    for j in 0..k {
        // Block j of the result is the transpose of block k−1−j of w; by tiles, so that
        // both sides are read and written in cache-sized pieces.
        let src = &w[(k - 1 - j) * cin * cout..(k - j) * cin * cout];
        let dst = &mut t[j * cout * cin..(j + 1) * cout * cin];
        for i0 in (0..cin).step_by(TILE) {
            for o0 in (0..cout).step_by(TILE) {
                for i in i0..(i0 + TILE).min(cin) {
                    for o in o0..(o0 + TILE).min(cout) {
                        dst[o * cin + i] = src[i * cout + o];
                    }
                }
            }
        }
    }
    t
}

/// `max(x, 0)` element-wise.
pub fn relu<T: Real>(x: &Act<T>) -> Act<T> {
    Act {
        s: x.s,
        d: x.d
            .par_iter()
            .with_min_len(CHUNK)
            .map(|&v| v.max(T::zero()))
            .collect(),
    }
}

/// `max(x, 0)` element-wise, in place.
pub fn relu_in_place<T: Real>(x: &mut Act<T>) {
    apply(&mut x.d, |v| *v = v.max(T::zero()));
}

/// `coef[b] · x` for every sample `b`, from one sample `x`.
pub fn scaled_broadcast<T: Real>(x: &Act<T>, coef: &[T]) -> Act<T> {
    assert_eq!(x.s.n, 1);
    let s = x.s.with_n(coef.len());
    let mut out = Act::zeros(s);
    let c = s.c;
    for t in 0..s.l {
        let one = &x.d[t * c..(t + 1) * c];
        for (b, &a) in coef.iter().enumerate() {
            let r = s.row(b, t) * c;
            for (o, &v) in out.d[r..r + c].iter_mut().zip(one) {
                *o = a * v;
            }
        }
    }
    out
}

/// `Σ_b coef[b] · x_b`, as one sample.
pub fn weighted_sum<T: Real>(x: View<T>, coef: &[T]) -> Act<T> {
    let s = x.s;
    assert_eq!(s.n, coef.len());
    let mut out = Act::zeros(s.with_n(1));
    let c = s.c;
    for t in 0..s.l {
        let dst = &mut out.d[t * c..(t + 1) * c];
        for (b, &a) in coef.iter().enumerate() {
            let r = s.row(b, t) * c;
            for (o, &v) in dst.iter_mut().zip(&x.d[r..r + c]) {
                *o += a * v;
            }
        }
    }
    out
}

/// `x ⊙ [m > 0]` in place (`m` has `x`'s layout; [`masked_broadcast`] for a one-sample `x`).
pub fn mask_in_place<T: Real>(x: &mut Act<T>, m: View<T>) {
    assert_eq!(x.s, m.s, "mask layout");
    // A select, not a branch, so that the loop vectorises.
    zip_apply(&mut x.d, m.d, |v, g| {
        *v = if g > T::zero() { *v } else { T::zero() }
    });
}

/// The one-sample `x` repeated over `m`'s samples, times `[m > 0]`.
pub fn masked_broadcast<T: Real>(x: &Act<T>, m: View<T>) -> Act<T> {
    let s = m.s;
    assert_eq!(x.s, s.with_n(1), "broadcast layout");
    let mut out = Act::zeros(s);
    let c = s.c;
    for t in 0..s.l {
        let one = &x.d[t * c..(t + 1) * c];
        for b in 0..s.n {
            let r = s.row(b, t) * c;
            let (dst, src) = (&mut out.d[r..r + c], &m.d[r..r + c]);
            for ((o, &g), &v) in dst.iter_mut().zip(src).zip(one) {
                *o = if g > T::zero() { v } else { T::zero() };
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct definition: `y[b,t,o] = Σ_{j,i} x[b, t+j−q, i]·w[j·cin+i, o]` (zero outside).
    fn naive_conv(
        x: &[f64],
        n: usize,
        l: usize,
        cin: usize,
        w: &[f64],
        cout: usize,
        k: usize,
    ) -> Vec<f64> {
        let q = (k - 1) / 2;
        let mut y = vec![0.0; n * l * cout];
        for b in 0..n {
            for t in 0..l {
                for j in 0..k {
                    let s = t + j;
                    if s < q || s - q >= l {
                        continue;
                    }
                    for i in 0..cin {
                        let xv = x[(b * l + s - q) * cin + i];
                        for o in 0..cout {
                            y[(b * l + t) * cout + o] += xv * w[(j * cin + i) * cout + o];
                        }
                    }
                }
            }
        }
        y
    }

    fn pack(x: &[f64], s: Shape) -> Act<f64> {
        let mut a = Act::zeros(s);
        for b in 0..s.n {
            for t in 0..s.l {
                let r = s.row(b, t);
                a.row_mut(r)
                    .copy_from_slice(&x[(b * s.l + t) * s.c..(b * s.l + t + 1) * s.c]);
            }
        }
        a
    }

    fn unpack(a: &Act<f64>) -> Vec<f64> {
        let s = a.s;
        let mut v = Vec::new();
        for b in 0..s.n {
            for t in 0..s.l {
                v.extend_from_slice(a.row(s.row(b, t)));
            }
        }
        v
    }

    fn vals(n: usize, seed: usize) -> Vec<f64> {
        (0..n)
            .map(|i| (((i + seed) * 7919) % 97) as f64 / 97.0 - 0.5)
            .collect()
    }

    #[test]
    fn conv_weight_grad_and_flip_match_the_definition() {
        for (k, l) in [(5, 6), (3, 6), (1, 6), (5, 2), (7, 3)] {
            let (n, cin, cout) = (3, 4, 5);
            let s = Shape { n, l, c: cin };
            let x = vals(n * l * cin, k);
            let w = vals(k * cin * cout, 3);
            let xa = pack(&x, s);
            let y = conv(xa.view(), &w, cout, k, None);
            let want = naive_conv(&x, n, l, cin, &w, cout, k);
            let got = unpack(&y);
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() < 1e-12, "k {k} l {l}: {a} vs {b}");
            }
            // ⟨conv(x), d⟩ = ⟨x, conv(d, flip(w))⟩ and ∂/∂w = unfold(x)ᵀ·d
            let d = vals(n * l * cout, 11);
            let da = pack(&d, s.with_c(cout));
            let xt = conv(da.view(), &flip_weight(&w, k, cin, cout), cin, k, None);
            let direct = conv_t(da.view(), &w, cin, k);
            for (a, b) in direct.d.iter().zip(&xt.d) {
                assert!((a - b).abs() < 1e-12, "conv_t k {k}: {a} vs {b}");
            }
            let lhs: f64 = want.iter().zip(&d).map(|(a, b)| a * b).sum();
            let rhs: f64 = unpack(&xt).iter().zip(&x).map(|(a, b)| a * b).sum();
            assert!((lhs - rhs).abs() < 1e-10, "adjoint k {k}: {lhs} vs {rhs}");
            let mut dw = vec![0.0; w.len()];
            weight_grad(&mut dw, xa.view(), da.view(), k);
            for idx in [0, w.len() / 2, w.len() - 1] {
                let mut w2 = w.clone();
                w2[idx] += 1.0;
                let y2 = naive_conv(&x, n, l, cin, &w2, cout, k);
                let lin: f64 = y2.iter().zip(&d).map(|(a, b)| a * b).sum::<f64>() - lhs;
                assert!((dw[idx] - lin).abs() < 1e-10, "weight grad k {k} [{idx}]");
            }
        }
    }

    #[test]
    fn column_sums_do_not_depend_on_the_thread_count() {
        let s = Shape {
            n: 50,
            l: 500,
            c: 8,
        };
        let a = Act {
            s,
            d: vals(s.len(), 5),
        };
        let pool = |t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
        };
        let one = pool(1).install(|| a.col_sums());
        let three = pool(3).install(|| a.col_sums());
        assert_eq!(one, three);
        let direct: Vec<f64> = (0..8)
            .map(|j| a.d.iter().skip(j).step_by(8).sum())
            .collect();
        for (x, y) in one.iter().zip(&direct) {
            assert!((x - y).abs() < 1e-9, "{x} vs {y}");
        }
    }

    #[test]
    fn broadcasts_and_sums_over_samples() {
        let s = Shape { n: 3, l: 4, c: 2 };
        let x = vals(3 * 4 * 2, 1);
        let a = pack(&x, s);
        assert_eq!(a.row(s.row(1, 2))[1], x[(4 + 2) * 2 + 1]);
        let coef = [0.5, -1.0, 2.0];
        let sum = weighted_sum(a.view(), &coef);
        let want: f64 = (0..3).map(|b| coef[b] * x[(b * 4 + 3) * 2 + 1]).sum();
        assert!((sum.d[3 * 2 + 1] - want).abs() < 1e-15);
        let br = scaled_broadcast(&sum, &coef);
        assert!((br.row(s.row(2, 3))[1] - 2.0 * want).abs() < 1e-15);
    }
}
