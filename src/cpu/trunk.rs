//! The residual trunk shared by both networks: forward with the stash its backward needs,
//! and the backward pass.

use super::act::{
    conv, conv_t, conv_t_scaled, mask_in_place, relu, relu_in_place, scaled_broadcast, weight_grad,
    weight_grad_scaled, weighted_sum, Act,
};
use super::Real;
use crate::model::ModelShape;

/// Parameter index of block `b`'s conv1 weight (then its bias, conv2 weight, conv2 bias).
pub fn block(b: usize) -> usize {
    2 + 4 * b
}

/// What a trunk forward keeps: each block's ReLU outputs (the inputs of its two convs,
/// whose signs are also the ReLU masks) and the trunk's output.
pub struct Trunk<T> {
    /// `relu(h_{b})`, the input of block `b`'s conv1.
    pub a: Vec<Act<T>>,
    /// `relu(conv1(...))`, the input of block `b`'s conv2.
    pub u: Vec<Act<T>>,
    /// The trunk's output.
    pub h: Act<T>,
}

/// `h ← h + s·conv2(relu(conv1(relu(h))))` for every block.
///
/// With `masks_only`, the last block's conv2 is skipped: its ReLU masks are all a penalty pass
/// needs, and `h` is then the last block's input, not the trunk's output.
pub fn forward<T: Real>(ms: &ModelShape, p: &[&[T]], mut h: Act<T>, masks_only: bool) -> Trunk<T> {
    let (w, k, s) = (ms.width, ms.kernel, T::of(ms.residual_scale));
    let (mut a_all, mut u_all) = (Vec::new(), Vec::new());
    for b in 0..ms.blocks {
        let i = block(b);
        let a = relu(&h);
        let mut u = conv(a.view(), p[i], w, k, Some(p[i + 1]));
        relu_in_place(&mut u);
        if !(masks_only && b + 1 == ms.blocks) {
            let y = conv(u.view(), p[i + 2], w, k, Some(p[i + 3]));
            h.axpy(s, y.view());
        }
        a_all.push(a);
        u_all.push(u);
    }
    Trunk {
        a: a_all,
        u: u_all,
        h,
    }
}

/// The gradient at the trunk's output.
pub enum Top<T> {
    /// A full gradient, one per sample.
    Full(Act<T>),
    /// `coef[b] · one` for sample `b`: the critic's, whose output layer is linear.
    Rank1 {
        /// The shared matrix, one sample.
        one: Act<T>,
        /// One factor per sample.
        coef: Vec<T>,
    },
}

/// `dst += src` element-wise.
pub fn add_to<T: Real>(dst: &mut [T], src: &[T]) {
    for (a, &b) in dst.iter_mut().zip(src) {
        *a += b;
    }
}

/// Backward through every block of the forward `stash`, from the
/// gradient `top` at the trunk's output; returns the gradient at the trunk's input. With
/// `grads` (layout order), adds the blocks' weight and bias gradients to it.
pub fn backward<T: Real>(
    ms: &ModelShape,
    p: &[&[T]],
    stash: &Trunk<T>,
    top: Top<T>,
    mut grads: Option<&mut [Vec<T>]>,
) -> Act<T> {
    let (w, k, s) = (ms.width, ms.kernel, T::of(ms.residual_scale));
    let mut top = Some(top);
    let mut dh: Option<Act<T>> = None;
    for b in (0..ms.blocks).rev() {
        let i = block(b);
        let (a, u) = (stash.a[b].view(), stash.u[b].view());
        // conv2, whose output gradient is s·dh.
        let dy1 = match top.take() {
            Some(Top::Rank1 { one, coef }) => {
                // Every sample's gradient is coef_b·one: one transposed conv for all.
                let e = conv_t(one.view(), p[i + 2], w, k);
                let sc: Vec<T> = coef.iter().map(|&c| c * s).collect();
                if let Some(g) = grads.as_deref_mut() {
                    let uc = weighted_sum(u, &sc);
                    weight_grad(&mut g[i + 2], uc.view(), one.view(), k);
                    let total: T = sc.iter().copied().sum();
                    for (gb, v) in g[i + 3].iter_mut().zip(one.col_sums()) {
                        *gb += total * v;
                    }
                }
                dh = Some(scaled_broadcast(&one, &coef));
                let mut d = scaled_broadcast(&e, &sc);
                mask_in_place(&mut d, u);
                d
            }
            Some(Top::Full(g0)) => {
                let d = conv2_backward(ms, p, b, &g0, u, grads.as_deref_mut());
                dh = Some(g0);
                d
            }
            None => conv2_backward(ms, p, b, dh.as_ref().unwrap(), u, grads.as_deref_mut()),
        };
        if let Some(g) = grads.as_deref_mut() {
            add_to(&mut g[i + 1], &dy1.col_sums());
            weight_grad(&mut g[i], a, dy1.view(), k);
        }
        let mut da = conv_t(dy1.view(), p[i], w, k);
        mask_in_place(&mut da, a);
        dh.as_mut().unwrap().axpy(T::one(), da.view());
    }
    match (top, dh) {
        (Some(Top::Full(g0)), _) => g0,
        (Some(Top::Rank1 { one, coef }), _) => scaled_broadcast(&one, &coef),
        (None, Some(d)) => d,
        (None, None) => unreachable!("a block ran without a gradient"),
    }
}

/// Block `b`'s conv2 backward from the block-output gradient `dh`: adds the conv2 weight and
/// bias gradients, returns the gradient at conv1's output (ReLU mask applied).
fn conv2_backward<T: Real>(
    ms: &ModelShape,
    p: &[&[T]],
    b: usize,
    dh: &Act<T>,
    u: super::act::View<T>,
    grads: Option<&mut [Vec<T>]>,
) -> Act<T> {
    let (w, k, s) = (ms.width, ms.kernel, T::of(ms.residual_scale));
    let i = block(b);
    // conv2's output gradient is s·dh; the factor rides on the products.
    if let Some(g) = grads {
        for (gb, v) in g[i + 3].iter_mut().zip(dh.col_sums()) {
            *gb += s * v;
        }
        weight_grad_scaled(&mut g[i + 2], u, dh.view(), k, s);
    }
    let mut d = conv_t_scaled(dh.view(), p[i + 2], w, k, s);
    mask_in_place(&mut d, u);
    d
}
