//! Activation buffers and the convolution kernels on them.
//!
//! A batch of `n` sequences of length `l` with `c` channels is one row-major buffer of
//! `p + n·(l+p)` rows of `c` values: `p` zero rows, then each sample's `l` rows followed by
//! `p` zero rows (`p = (k−1)/2`). Sample `b`'s position `t` is row `p + b·(l+p) + t`. The
//! rows of a kernel-`k` unfold are then overlapping windows of the buffer (window `r` starts
//! at row `r`, `k·c` values long), and a product over all `n·(l+p) − p` windows writes each
//! sample's outputs to the same rows of an output buffer of the same layout; the windows that
//! straddle two samples land on the zero rows, which are cleared again afterwards.

use super::gemm::{gemm_scaled, Mat};
use super::Real;

/// The layout of one buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Samples.
    pub n: usize,
    /// Positions per sample.
    pub l: usize,
    /// Zero rows between samples (and before the first).
    pub p: usize,
    /// Channels per row.
    pub c: usize,
}

impl Shape {
    /// Rows in the buffer.
    pub fn rows(&self) -> usize {
        self.n * (self.l + self.p) + self.p
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
        self.p + b * (self.l + self.p) + t
    }

    /// The same layout with `c` channels.
    pub fn with_c(self, c: usize) -> Shape {
        Shape { c, ..self }
    }

    /// The same layout with `n` samples.
    pub fn with_n(self, n: usize) -> Shape {
        Shape { n, ..self }
    }

    /// Rows between the first and the last `p` zero rows (what a product writes).
    fn inner_rows(&self) -> usize {
        self.rows() - 2 * self.p
    }
}

/// An owned activation buffer.
#[derive(Debug, Clone)]
pub struct Act<T> {
    /// Its layout.
    pub s: Shape,
    /// Its values, `s.len()` of them; padding rows are zero.
    pub d: Vec<T>,
}

/// A borrowed activation buffer (possibly a run of samples of a larger one).
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

    /// Samples `b0..b1` as a view (the buffer layout repeats, so this is a sub-slice).
    pub fn samples(&self, b0: usize, b1: usize) -> View<'_, T> {
        let s = self.s;
        assert!(b0 <= b1 && b1 <= s.n);
        let stride = (s.l + s.p) * s.c;
        View {
            s: s.with_n(b1 - b0),
            d: &self.d[b0 * stride..b1 * stride + s.p * s.c],
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

    /// Calls `f(row index)` for every data (non-padding) row.
    pub fn for_rows(s: Shape, mut f: impl FnMut(usize)) {
        for b in 0..s.n {
            for t in 0..s.l {
                f(s.row(b, t));
            }
        }
    }

    /// Clears the zero rows between samples (products write there).
    pub fn clear_padding(&mut self) {
        let s = self.s;
        if s.p == 0 {
            return;
        }
        for b in 0..s.n {
            let r = s.row(b, s.l);
            self.d[r * s.c..(r + s.p) * s.c].fill(T::zero());
        }
        self.d[..s.p * s.c].fill(T::zero());
    }

    /// `self += a·other` element-wise (same layout).
    pub fn axpy(&mut self, a: T, other: View<T>) {
        assert_eq!(self.s, other.s);
        for (x, &y) in self.d.iter_mut().zip(other.d) {
            *x += a * y;
        }
    }

    /// Sum over every row (padding rows are zero): `[c]`.
    pub fn col_sums(&self) -> Vec<T> {
        let c = self.s.c;
        let mut v = vec![T::zero(); c];
        for row in self.d.chunks_exact(c) {
            for (a, &x) in v.iter_mut().zip(row) {
                *a += x;
            }
        }
        v
    }

    /// The sum over samples, as one sample.
    pub fn sum_samples(&self) -> Act<T> {
        let s = self.s;
        let mut out = Act::zeros(s.with_n(1));
        for b in 0..s.n {
            let src = &self.d[s.row(b, 0) * s.c..s.row(b, s.l) * s.c];
            for (a, &x) in out.d[s.p * s.c..(s.p + s.l) * s.c].iter_mut().zip(src) {
                *a += x;
            }
        }
        out
    }
}

/// Adds `v` (`[c]`) to every data row.
pub fn add_bias<T: Real>(a: &mut Act<T>, v: &[T]) {
    let s = a.s;
    assert_eq!(v.len(), s.c);
    Act::<T>::for_rows(s, |r| {
        for (x, &b) in a.row_mut(r).iter_mut().zip(v) {
            *x += b;
        }
    });
}

/// A kernel-`k` convolution of `x` (`cin` channels) with `w` (`[k·cin, cout]`, row
/// `j·cin + i`, see [`crate::model::layers`]) plus an optional bias: one product over the
/// overlapping windows. `k` may be smaller than the layout's `2p + 1` (e.g. 1).
pub fn conv<T: Real>(x: View<T>, w: &[T], cout: usize, k: usize, bias: Option<&[T]>) -> Act<T> {
    let mut out = conv_scaled(x, w, cout, k, T::one());
    if let Some(b) = bias {
        add_bias(&mut out, b);
    }
    out
}

/// `scale ·` a [`conv`] without bias (the scale rides on the product for free).
pub fn conv_scaled<T: Real>(x: View<T>, w: &[T], cout: usize, k: usize, scale: T) -> Act<T> {
    let s = x.s;
    let q = (k - 1) / 2;
    assert!(q <= s.p, "kernel {k} needs more padding than {}", s.p);
    let cin = s.c;
    assert_eq!(w.len(), k * cin * cout, "conv weight size");
    let mut out = Act::zeros(s.with_c(cout));
    let a = Mat {
        d: &x.d[(s.p - q) * cin..],
        rows: s.inner_rows(),
        cols: k * cin,
        rs: cin,
        cs: 1,
    };
    gemm_scaled(
        &mut out.d[s.p * cout..],
        cout,
        a,
        Mat::dense(w, k * cin, cout),
        false,
        scale,
    );
    out.clear_padding();
    out
}

/// `dw += unfold_k(x)ᵀ · dy`: the weight gradient of a kernel-`k` [`conv`] whose input was
/// `x` and whose output gradient is `dy` (same samples; padding rows of both zero).
pub fn weight_grad<T: Real>(dw: &mut [T], x: View<T>, dy: View<T>, k: usize) {
    weight_grad_scaled(dw, x, dy, k, T::one())
}

/// `dw += scale · unfold_k(x)ᵀ · dy` (see [`weight_grad`]).
pub fn weight_grad_scaled<T: Real>(dw: &mut [T], x: View<T>, dy: View<T>, k: usize, scale: T) {
    let (s, sy) = (x.s, dy.s);
    assert_eq!((s.n, s.l, s.p), (sy.n, sy.l, sy.p), "weight_grad layouts");
    let q = (k - 1) / 2;
    assert!(q <= s.p);
    let (cin, cout) = (s.c, sy.c);
    let xt = Mat {
        d: &x.d[(s.p - q) * cin..],
        rows: s.inner_rows(),
        cols: k * cin,
        rs: cin,
        cs: 1,
    }
    .t();
    let g = Mat::dense(&dy.d[s.p * cout..], s.inner_rows(), cout);
    gemm_scaled(dw, cout, xt, g, true, scale);
}

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
        d: x.d.iter().map(|&v| v.max(T::zero())).collect(),
    }
}

/// `max(x, 0)` element-wise, in place.
pub fn relu_in_place<T: Real>(x: &mut Act<T>) {
    for v in x.d.iter_mut() {
        *v = v.max(T::zero());
    }
}

/// `coef[b] · x` for every sample `b`, from one sample `x`.
pub fn scaled_broadcast<T: Real>(x: &Act<T>, coef: &[T]) -> Act<T> {
    let s = x.s.with_n(coef.len());
    assert_eq!(x.s.n, 1);
    let mut out = Act::zeros(s);
    let one = &x.d[s.p * s.c..(s.p + s.l) * s.c];
    for (b, &a) in coef.iter().enumerate() {
        let r = s.row(b, 0) * s.c;
        for (o, &v) in out.d[r..r + s.l * s.c].iter_mut().zip(one) {
            *o = a * v;
        }
    }
    out
}

/// `Σ_b coef[b] · x_b`, as one sample.
pub fn weighted_sum<T: Real>(x: View<T>, coef: &[T]) -> Act<T> {
    let s = x.s;
    assert_eq!(s.n, coef.len());
    let mut out = Act::zeros(s.with_n(1));
    for (b, &a) in coef.iter().enumerate() {
        let r = s.row(b, 0) * s.c;
        for (o, &v) in out.d[s.p * s.c..(s.p + s.l) * s.c]
            .iter_mut()
            .zip(&x.d[r..r + s.l * s.c])
        {
            *o += a * v;
        }
    }
    out
}

/// `x ⊙ [m > 0]` in place (`m` has `x`'s layout; [`masked_broadcast`] for a one-sample `x`).
pub fn mask_in_place<T: Real>(x: &mut Act<T>, m: View<T>) {
    assert_eq!(x.s, m.s, "mask layout");
    for (v, &g) in x.d.iter_mut().zip(m.d) {
        if g <= T::zero() {
            *v = T::zero();
        }
    }
}

/// The one-sample `x` repeated over `m`'s samples, times `[m > 0]`.
pub fn masked_broadcast<T: Real>(x: &Act<T>, m: View<T>) -> Act<T> {
    let s = m.s;
    assert_eq!(x.s, s.with_n(1), "broadcast layout");
    let mut out = Act::zeros(s);
    let one = &x.d[s.p * s.c..(s.p + s.l) * s.c];
    for b in 0..s.n {
        let r = s.row(b, 0) * s.c;
        let (dst, src) = (&mut out.d[r..r + s.l * s.c], &m.d[r..r + s.l * s.c]);
        for ((o, &g), &v) in dst.iter_mut().zip(src).zip(one) {
            *o = if g > T::zero() { v } else { T::zero() };
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
        for (k, p) in [(5, 2), (3, 1), (1, 0), (1, 2), (3, 2)] {
            let (n, l, cin, cout) = (3, 6, 4, 5);
            let s = Shape { n, l, p, c: cin };
            let x = vals(n * l * cin, k);
            let w = vals(k * cin * cout, 3);
            let xa = pack(&x, s);
            let y = conv(xa.view(), &w, cout, k, None);
            let want = naive_conv(&x, n, l, cin, &w, cout, k);
            let got = unpack(&y);
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() < 1e-12, "k {k} p {p}: {a} vs {b}");
            }
            // padding rows stay zero
            let data: f64 = unpack(&y).iter().map(|v| v.abs()).sum();
            let all: f64 = y.d.iter().map(|v| v.abs()).sum();
            assert!((data - all).abs() < 1e-12);
            // ⟨conv(x), d⟩ = ⟨x, conv(d, flip(w))⟩ and ∂/∂w = unfold(x)ᵀ·d
            let d = vals(n * l * cout, 11);
            let da = pack(&d, s.with_c(cout));
            let xt = conv(da.view(), &flip_weight(&w, k, cin, cout), cin, k, None);
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
    fn sample_views_and_sums() {
        let s = Shape {
            n: 3,
            l: 4,
            p: 2,
            c: 2,
        };
        let x = vals(3 * 4 * 2, 1);
        let a = pack(&x, s);
        let v = a.samples(1, 3);
        assert_eq!(v.s.n, 2);
        assert_eq!(v.d[v.s.row(0, 0) * 2], x[4 * 2]);
        let sum = a.sum_samples();
        let r = sum.s.row(0, 3) * 2 + 1;
        let want: f64 = (0..3).map(|b| x[(b * 4 + 3) * 2 + 1]).sum();
        assert!((sum.d[r] - want).abs() < 1e-15);
    }
}
