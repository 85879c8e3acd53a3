//! A bounds-checked front end to the `gemm` crate's strided matrix product.

use super::Real;

/// A read-only strided matrix inside a slice: element `(i, j)` is `d[i·rs + j·cs]`.
/// Rows may overlap (an unfold view has `rs` smaller than its row length).
#[derive(Clone, Copy)]
pub struct Mat<'a, T> {
    /// The storage.
    pub d: &'a [T],
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Distance between rows.
    pub rs: usize,
    /// Distance between columns.
    pub cs: usize,
}

impl<'a, T> Mat<'a, T> {
    /// A dense row-major `rows × cols` matrix.
    pub fn dense(d: &'a [T], rows: usize, cols: usize) -> Mat<'a, T> {
        Mat {
            d,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose (a view; nothing is copied).
    pub fn t(self) -> Mat<'a, T> {
        Mat {
            d: self.d,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    fn span(&self) -> usize {
        span(self.rows, self.cols, self.rs, self.cs)
    }
}

/// One past the last element a `rows × cols` matrix with these strides touches (checked).
fn span(rows: usize, cols: usize, rs: usize, cs: usize) -> usize {
    if rows == 0 || cols == 0 {
        return 0;
    }
    let s = (rows - 1)
        .checked_mul(rs)
        .and_then(|a| (cols - 1).checked_mul(cs).and_then(|b| a.checked_add(b)))
        .and_then(|a| a.checked_add(1))
        .expect("gemm: matrix span overflows");
    assert!(s <= isize::MAX as usize, "gemm: matrix span overflows");
    s
}

/// Products smaller than this many multiply-adds run on one thread.
const PARALLEL_MIN: usize = 1 << 21;

/// `dst = a·b`, or `dst += a·b` when `acc`; `dst` is `a.rows × b.cols` with row stride
/// `dst_rs` and unit column stride. Panics if a matrix does not fit its slice.
pub fn gemm<T: Real>(dst: &mut [T], dst_rs: usize, a: Mat<T>, b: Mat<T>, acc: bool) {
    gemm_scaled(dst, dst_rs, a, b, acc, T::one())
}

/// [`gemm`] with the product scaled: `dst = s·a·b` or `dst += s·a·b`.
pub fn gemm_scaled<T: Real>(dst: &mut [T], dst_rs: usize, a: Mat<T>, b: Mat<T>, acc: bool, s: T) {
    let len = dst.len();
    // SAFETY: `dst` is initialised, so reading it (when `acc`) is fine.
    unsafe { raw(dst.as_mut_ptr(), len, dst_rs, a, b, acc, s) }
}

/// `dst = s·a·b` into uninitialised storage (nothing is read from `dst`; every element of the
/// `a.rows × b.cols` result, at row stride `dst_rs`, is written).
pub fn gemm_uninit<T: Real>(
    dst: &mut [std::mem::MaybeUninit<T>],
    dst_rs: usize,
    a: Mat<T>,
    b: Mat<T>,
    s: T,
) {
    let len = dst.len();
    // SAFETY: with `acc == false` the product only writes `dst`.
    unsafe { raw(dst.as_mut_ptr().cast::<T>(), len, dst_rs, a, b, false, s) }
}

/// The checked call. Safety: `dst` points to `len` writable values, initialised if `acc`.
unsafe fn raw<T: Real>(
    dst: *mut T,
    len: usize,
    dst_rs: usize,
    a: Mat<T>,
    b: Mat<T>,
    acc: bool,
    s: T,
) {
    assert_eq!(a.cols, b.rows, "gemm: inner dimensions differ");
    let (m, n, k) = (a.rows, b.cols, a.cols);
    assert!(a.span() <= a.d.len(), "gemm: lhs out of bounds");
    assert!(b.span() <= b.d.len(), "gemm: rhs out of bounds");
    assert!(span(m, n, dst_rs, 1) <= len, "gemm: dst out of bounds");
    assert!(m <= 1 || dst_rs >= n, "gemm: dst rows overlap");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !acc {
            for i in 0..m {
                for j in 0..n {
                    // SAFETY: inside the checked span.
                    unsafe { dst.add(i * dst_rs + j).write(T::zero()) };
                }
            }
        }
        return;
    }
    let par = if m.saturating_mul(n).saturating_mul(k) >= PARALLEL_MIN {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: every index the product touches was checked above to lie inside its buffer,
    // and `dst` (from a unique borrow) cannot alias `a` or `b`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rs as isize,
            acc,
            a.d.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.d.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            T::one(),
            s,
            false,
            false,
            false,
            par,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: Mat<f64>, b: Mat<f64>) -> Vec<f64> {
        let mut v = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                for k in 0..a.cols {
                    v[i * b.cols + j] += a.d[i * a.rs + k * a.cs] * b.d[k * b.rs + j * b.cs];
                }
            }
        }
        v
    }

    #[test]
    fn strided_products_match_a_naive_loop() {
        let d: Vec<f64> = (0..200).map(|i| ((i * 37) % 23) as f64 - 11.0).collect();
        // an overlapping-window view (rows 3 apart, 7 long) times a transposed view
        let a = Mat {
            d: &d,
            rows: 5,
            cols: 7,
            rs: 3,
            cs: 1,
        };
        let b = Mat::dense(&d[50..], 4, 7).t();
        let mut out = vec![1.0; 5 * 4];
        gemm(&mut out, 4, a, b, false);
        assert_eq!(out, naive(a, b));
        gemm(&mut out, 4, a, b, true);
        let twice: Vec<f64> = naive(a, b).iter().map(|x| 2.0 * x).collect();
        assert_eq!(out, twice);
        gemm_scaled(&mut out, 4, a, b, true, -0.5);
        let more: Vec<f64> = naive(a, b).iter().map(|x| 1.5 * x).collect();
        assert_eq!(out, more);
    }
}
