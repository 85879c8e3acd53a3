//! Channels-last layers. Activations are `[batch, seq, channels]`; a kernel-`k` convolution
//! with `(k-1)/2` zero padding is an unfold (`[batch, seq, k·channels]`) followed by one
//! matrix product with a `[k·in, out]` weight whose row `j·in + i` is the paper layout's
//! `weight[out][i][j]`.

use burn::tensor::{backend::Backend, Int, Tensor, TensorData};

/// `x·w + b` on rows: `x` is `[n, in]`, `w` is `[in, out]`, `b` is `[1, out]`.
pub fn dense<B: Backend>(x: Tensor<B, 2>, w: Tensor<B, 2>, b: Tensor<B, 2>) -> Tensor<B, 2> {
    x.matmul(w) + b
}

/// Zero-pads the sequence axis by `(k-1)/2` on each side and concatenates the `k` shifted
/// windows along channels: `[n, l, c]` → `[n, l, k·c]`, where channel `j·c + i` at
/// position `t` holds input channel `i` at position `t + j - (k-1)/2` (zero outside).
///
/// Done as one row gather: the rows of `x` seen as `[n·l, c]` plus one zero row, selected
/// by a fixed index, so the copy is a bulk row copy (and its backward a row scatter-add)
/// instead of strided slices.
pub fn unfold<B: Backend>(x: Tensor<B, 3>, k: usize) -> Tensor<B, 3> {
    if k == 1 {
        return x;
    }
    let [n, l, c] = x.dims();
    let device = x.device();
    let rows = Tensor::cat(
        vec![x.reshape([n * l, c]), Tensor::zeros([1, c], &device)],
        0,
    );
    let idx = Tensor::<B, 1, Int>::from_data(
        TensorData::new(unfold_index(n, l, k), [n * l * k]),
        &device,
    );
    rows.select(0, idx).reshape([n, l, k * c])
}

/// Row indices of [`unfold`]: entry `(b·l + t)·k + j` is row `b·l + t + j − (k−1)/2` of the
/// flattened input, or `n·l` (the zero row) outside the sequence.
fn unfold_index(n: usize, l: usize, k: usize) -> Vec<i64> {
    let p = (k - 1) / 2;
    let zero = (n * l) as i64;
    let mut idx = Vec::with_capacity(n * l * k);
    for b in 0..n {
        for t in 0..l {
            for j in 0..k {
                let s = t + j;
                idx.push(if s < p || s - p >= l {
                    zero
                } else {
                    (b * l + s - p) as i64
                });
            }
        }
    }
    idx
}

/// A kernel-`k` convolution, channels-last: `[n, l, c]` → `[n, l, out]`, with `w` of shape
/// `[k·c, out]` and an optional bias `[1, out]`.
pub fn conv<B: Backend>(
    x: Tensor<B, 3>,
    w: Tensor<B, 2>,
    b: Option<Tensor<B, 2>>,
    k: usize,
) -> Tensor<B, 3> {
    let [n, l, _] = x.dims();
    let out = w.dims()[1];
    let cols = unfold(x, k);
    let kc = cols.dims()[2];
    let y = cols.reshape([n * l, kc]).matmul(w);
    let y = match b {
        Some(b) => y + b,
        None => y,
    };
    y.reshape([n, l, out])
}

/// The weight of the transposed convolution (the input-gradient of [`conv`]): from `[k·c,
/// out]` to `[k·out, c]`, the kernel flipped and in/out swapped. Differentiable in `w`.
pub fn transpose_weight<B: Backend>(w: Tensor<B, 2>, k: usize) -> Tensor<B, 2> {
    let [kc, out] = w.dims();
    let c = kc / k;
    w.reshape([k, c, out])
        .flip([0])
        .swap_dims(1, 2)
        .reshape([k * out, c])
}

/// The transposed convolution of `delta` (`[n, l, out]`) with the weight of a kernel-`k`
/// [`conv`] (`[k·c, out]`): the gradient of `Σ conv(x)·delta` with respect to `x`.
pub fn conv_transpose<B: Backend>(delta: Tensor<B, 3>, w: Tensor<B, 2>, k: usize) -> Tensor<B, 3> {
    conv(delta, transpose_weight(w, k), None, k)
}

/// The paper-layout weight `[out, in, k]` of a channels-last weight `[k·in, out]`
/// (as a flat row-major vector), for export.
pub fn to_paper_layout(w: &[f32], k: usize, inp: usize, out: usize) -> Vec<f32> {
    let mut v = vec![0f32; out * inp * k];
    for j in 0..k {
        for i in 0..inp {
            for o in 0..out {
                v[(o * inp + i) * k + j] = w[(j * inp + i) * out + o];
            }
        }
    }
    v
}

/// The residual trunk of a network: every block of `net` applied to `h` in turn.
pub fn trunk<B: Backend>(net: &super::Net<B>, mut h: Tensor<B, 3>) -> Tensor<B, 3> {
    let s = &net.shape;
    for b in 0..s.blocks {
        let i = net.block(b);
        let w = [net.p(i), net.p(i + 1), net.p(i + 2), net.p(i + 3)];
        h = residual_block(h, w, s.kernel, s.residual_scale);
    }
    h
}

/// One residual block, `h + scale · conv2(relu(conv1(relu(h))))`.
pub fn residual_block<B: Backend>(
    h: Tensor<B, 3>,
    w: [Tensor<B, 2>; 4],
    k: usize,
    scale: f64,
) -> Tensor<B, 3> {
    let [w1, b1, w2, b2] = w;
    let a1 = conv(burn::tensor::activation::relu(h.clone()), w1, Some(b1), k);
    let a2 = conv(burn::tensor::activation::relu(a1), w2, Some(b2), k);
    h + a2.mul_scalar(scale)
}
