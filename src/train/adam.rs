//! Adam, exactly as PyTorch computes it, on plain tensors whose state we own (so that a
//! checkpoint stores and restores it bit-exactly, keyed by parameter name).

use burn::tensor::{backend::Backend, Tensor};

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
    }
}
