//! Adam, exactly as PyTorch computes it, on plain tensors whose state we own (so that a
//! checkpoint stores and restores it bit-exactly, keyed by parameter name).

use burn::tensor::{backend::Backend, Element, Tensor, TensorData};

/// Adam's hyperparameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// Decay of the first moment.
    pub beta1: f64,
    /// Decay of the second moment.
    pub beta2: f64,
    /// Added to the denominator.
    pub eps: f64,
}

/// Adam's state for one network: the step count and both moments of every parameter.
#[derive(Debug, Clone)]
pub struct Adam<B: Backend> {
    /// Hyperparameters.
    pub config: AdamConfig,
    /// Steps taken.
    pub t: u64,
    /// First moments, one per parameter.
    pub m: Vec<Tensor<B, 2>>,
    /// Second moments, one per parameter.
    pub v: Vec<Tensor<B, 2>>,
}

impl<B: Backend> Adam<B> {
    /// Fresh state (zero moments) for `params`.
    pub fn new(config: AdamConfig, params: &[Tensor<B, 2>]) -> Adam<B> {
        let zeros = |p: &Tensor<B, 2>| Tensor::zeros(p.dims(), &p.device());
        Adam {
            config,
            t: 0,
            m: params.iter().map(zeros).collect(),
            v: params.iter().map(zeros).collect(),
        }
    }

    /// One update of every parameter with its gradient:
    /// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
    /// `p ← p − (lr / (1−β₁ᵗ)) · m / (sqrt(v)/sqrt(1−β₂ᵗ) + ε)`.
    pub fn step(&mut self, params: &mut [Tensor<B, 2>], grads: Vec<Tensor<B, 2>>) {
        assert_eq!(params.len(), grads.len());
        let c = self.config;
        self.t += 1;
        let bc1 = 1.0 - c.beta1.powf(self.t as f64);
        let bc2 = 1.0 - c.beta2.powf(self.t as f64);
        let step = c.lr / bc1;
        for (i, g) in grads.into_iter().enumerate() {
            let m = self.m[i].clone().mul_scalar(c.beta1) + g.clone().mul_scalar(1.0 - c.beta1);
            let v =
                self.v[i].clone().mul_scalar(c.beta2) + (g.clone() * g).mul_scalar(1.0 - c.beta2);
            let denom = v.clone().sqrt().div_scalar(bc2.sqrt()).add_scalar(c.eps);
            params[i] = params[i].clone() - (m.clone() / denom).mul_scalar(step);
            self.m[i] = m;
            self.v[i] = v;
        }
    }
}

impl<B: Backend> Adam<B> {
    /// [`Adam::step`] with host gradients (from [`crate::cpu`]), fused into one pass over each
    /// parameter on the host in precision `T` (the same formula; constants rounded to `T`).
    pub fn step_host<T: crate::cpu::Real + Element + bytemuck::Pod>(
        &mut self,
        params: &mut [Tensor<B, 2>],
        grads: Vec<Vec<T>>,
    ) {
        assert_eq!(params.len(), grads.len());
        let c = self.config;
        self.t += 1;
        let bc1 = 1.0 - c.beta1.powf(self.t as f64);
        let bc2 = 1.0 - c.beta2.powf(self.t as f64);
        let (b1, b2) = (T::of(c.beta1), T::of(c.beta2));
        let (nb1, nb2) = (T::of(1.0 - c.beta1), T::of(1.0 - c.beta2));
        let (sbc2, eps, step) = (T::of(bc2.sqrt()), T::of(c.eps), T::of(c.lr / bc1));
        let host = super::step::host::<B, 2, T>;
        let update = |p: &mut [T], m: &mut [T], v: &mut [T], g: &[T]| {
            use rayon::prelude::*;
            assert!(
                p.len() == g.len() && m.len() == g.len() && v.len() == g.len(),
                "adam: parameter, moments and gradient differ in size"
            );
            const C: usize = 1 << 15;
            p.par_chunks_mut(C)
                .zip(m.par_chunks_mut(C))
                .zip(v.par_chunks_mut(C))
                .zip(g.par_chunks(C))
                .for_each(|(((p, m), v), g)| {
                    for j in 0..g.len() {
                        m[j] = m[j] * b1 + g[j] * nb1;
                        v[j] = v[j] * b2 + g[j] * g[j] * nb2;
                        p[j] = p[j] - m[j] / (v[j].sqrt() / sbc2 + eps) * step;
                    }
                });
        };
        for (i, g) in grads.into_iter().enumerate() {
            // Flex tensors held only here are updated in place.
            if let (Some(mut p), Some(mut m), Some(mut v)) = (
                flex_unique::<B, T>(&mut params[i]),
                flex_unique::<B, T>(&mut self.m[i]),
                flex_unique::<B, T>(&mut self.v[i]),
            ) {
                update(p.slice(), m.slice(), v.slice(), &g);
                continue;
            }
            let (mut p, mut m, mut v) = (host(&params[i]), host(&self.m[i]), host(&self.v[i]));
            update(&mut p, &mut m, &mut v, &g);
            let dims = params[i].dims();
            let (dev, dt) = (params[i].device(), params[i].dtype());
            let back =
                |x: Vec<T>| Tensor::<B, 2>::from_data(TensorData::new(x, dims), &dev).cast(dt);
            params[i] = back(p);
            self.m[i] = back(m);
            self.v[i] = back(v);
        }
    }
}

/// A Flex tensor taken out of its slot for an in-place update; put back on drop.
struct InPlace<'a, B: Backend> {
    slot: &'a mut Tensor<B, 2>,
    t: Option<burn_flex::FlexTensor>,
}

impl<B: Backend> InPlace<'_, B> {
    fn slice<T: Element + bytemuck::Pod>(&mut self) -> &mut [T] {
        self.t.as_mut().unwrap().try_storage_mut::<T>().unwrap()
    }
}

impl<B: Backend> Drop for InPlace<'_, B> {
    fn drop(&mut self) {
        let t = Tensor::<burn::backend::Flex, 2>::from_primitive(
            burn::tensor::TensorPrimitive::Float(self.t.take().unwrap()),
        );
        let b: Box<dyn std::any::Any> = Box::new(t);
        *self.slot = *b.downcast::<Tensor<B, 2>>().expect("a Flex tensor");
    }
}

/// `slot` as a uniquely held, contiguous Flex tensor of element type `T`, if it is one.
fn flex_unique<B: Backend, T: Element + bytemuck::Pod>(
    slot: &mut Tensor<B, 2>,
) -> Option<InPlace<'_, B>> {
    let t = (slot as &mut dyn std::any::Any).downcast_mut::<Tensor<burn::backend::Flex, 2>>()?;
    let mut f = t.clone().into_primitive().tensor();
    let whole = f.dtype() == T::dtype()
        && f.as_slice::<T>().map(|s| s.len()) == Some(f.storage::<T>().len());
    if !whole {
        return None;
    }
    // `t` still holds the buffer: swap in a one-element placeholder so `f` is the only owner.
    *t = Tensor::zeros([1, 1], &Default::default());
    if f.try_storage_mut::<T>().is_none() {
        *t = Tensor::from_primitive(burn::tensor::TensorPrimitive::Float(f));
        return None;
    }
    Some(InPlace { slot, t: Some(f) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::TensorData;

    #[test]
    fn matches_a_scalar_reference_over_several_steps() {
        let c = AdamConfig {
            lr: 0.1,
            beta1: 0.5,
            beta2: 0.9,
            eps: 1e-8,
        };
        let dev = Default::default();
        let p0 = [0.3f32, -1.2, 2.0];
        let grads = [[0.5f32, -0.1, 0.0], [0.2, 0.4, -3.0], [-1.0, 0.0, 1e-3]];
        let mut params = vec![Tensor::<Flex, 2>::from_data(
            TensorData::new(p0.to_vec(), [1, 3]),
            &dev,
        )];
        let mut adam = Adam::new(c, &params);
        for g in grads {
            let g = Tensor::<Flex, 2>::from_data(TensorData::new(g.to_vec(), [1, 3]), &dev);
            adam.step(&mut params, vec![g]);
        }
        let got = params[0].to_data().to_vec::<f32>().unwrap();
        // Independent scalar implementation of PyTorch's Adam in f64.
        for j in 0..3 {
            let (mut p, mut m, mut v) = (p0[j] as f64, 0.0, 0.0);
            for (t, g) in grads.iter().enumerate() {
                let g = g[j] as f64;
                let t = t as i32 + 1;
                m = 0.5 * m + 0.5 * g;
                v = 0.9 * v + 0.1 * g * g;
                let mhat = m / (1.0 - 0.5f64.powi(t));
                let vhat = v / (1.0 - 0.9f64.powi(t));
                p -= 0.1 * mhat / (vhat.sqrt() + 1e-8);
            }
            assert!((got[j] as f64 - p).abs() < 1e-5, "{j}: {} vs {p}", got[j]);
        }
        assert_eq!(adam.t, 3);
        // The fused host update gives the same values.
        let mut hp = vec![Tensor::<Flex, 2>::from_data(
            TensorData::new(p0.to_vec(), [1, 3]),
            &dev,
        )];
        let mut ha = Adam::new(c, &hp);
        for g in grads {
            ha.step_host::<f32>(&mut hp, vec![g.to_vec()]);
        }
        let host = hp[0].to_data().to_vec::<f32>().unwrap();
        for j in 0..3 {
            assert!(
                (host[j] - got[j]).abs() <= 1e-6 * got[j].abs().max(1.0),
                "{j}"
            );
        }
        let m = ha.m[0].to_data().to_vec::<f32>().unwrap();
        let m0 = adam.m[0].to_data().to_vec::<f32>().unwrap();
        assert_eq!(m, m0);
        // A parameter shared with another handle is not updated in place: the copy path runs,
        // with the same result, and the other handle keeps the old values.
        let mut sp = vec![Tensor::<Flex, 2>::from_data(
            TensorData::new(p0.to_vec(), [1, 3]),
            &dev,
        )];
        let mut sa = Adam::new(c, &sp);
        for g in grads {
            let keep = sp[0].clone();
            sa.step_host::<f32>(&mut sp, vec![g.to_vec()]);
            assert_ne!(
                keep.to_data().to_vec::<f32>().unwrap(),
                sp[0].to_data().to_vec::<f32>().unwrap()
            );
        }
        assert_eq!(sp[0].to_data().to_vec::<f32>().unwrap(), host);
    }
}
