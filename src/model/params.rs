//! Network shapes, the parameter layout of each network, initialisation and export.

use crate::rng::Rng;
use burn::tensor::{backend::Backend, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// Every size of the two networks. The paper's: vocab from the data, seq_len 32,
/// width 512, 5 blocks, noise 128, kernel 5, residual scale 0.3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelShape {
    /// Number of symbol ids (PAD and UNK included).
    pub vocab: usize,
    /// Symbols per sequence.
    pub seq_len: usize,
    /// Channels of the residual trunk.
    pub width: usize,
    /// Number of residual blocks.
    pub blocks: usize,
    /// Size of the generator's Gaussian noise.
    pub noise: usize,
    /// Convolution kernel of the residual blocks (odd; padding `(kernel-1)/2`).
    pub kernel: usize,
    /// Scale of each block's residual branch.
    pub residual_scale: f64,
}

/// Which network a parameter set belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NetKind {
    /// Noise → softmax over the vocabulary at every position.
    Generator,
    /// One-hot rows or softmax rows → one score.
    Critic,
}

/// One parameter: its name, its channels-last shape `[rows, cols]` and its fan-in.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// Dotted name, e.g. `blocks.0.conv1.weight`.
    pub name: String,
    /// Shape as stored (`[in·kernel, out]` for convolutions, `[in, out]` for dense layers).
    pub shape: [usize; 2],
    /// Inputs per output unit (PyTorch's fan-in), which sets the initialisation bound.
    pub fan_in: usize,
}

impl ModelShape {
    /// Checks that the shape can be built; the error names the bad field.
    pub fn validate(&self) -> anyhow::Result<()> {
        let positive = [
            ("vocab", self.vocab),
            ("seq_len", self.seq_len),
            ("width", self.width),
            ("noise", self.noise),
            ("kernel", self.kernel),
        ];
        for (name, v) in positive {
            anyhow::ensure!(v > 0, "model.{name} must be positive (got {v})");
        }
        anyhow::ensure!(
            self.kernel % 2 == 1,
            "model.kernel must be odd (got {}) so that padding keeps the length",
            self.kernel
        );
        anyhow::ensure!(
            self.vocab >= 3,
            "the vocabulary has {} ids; it needs PAD, UNK and at least one symbol",
            self.vocab
        );
        anyhow::ensure!(
            self.residual_scale.is_finite(),
            "model.residual_scale must be finite"
        );
        Ok(())
    }

    /// The parameters of one network, in the order [`Net::params`] holds them.
    pub fn layout(&self, kind: NetKind) -> Vec<ParamSpec> {
        let (w, l, k) = (self.width, self.seq_len, self.kernel);
        let spec = |name: String, rows, cols, fan_in| ParamSpec {
            name,
            shape: [rows, cols],
            fan_in,
        };
        let mut v = Vec::new();
        let dense = |v: &mut Vec<ParamSpec>, name: &str, inp: usize, out: usize| {
            v.push(spec(format!("{name}.weight"), inp, out, inp));
            v.push(spec(format!("{name}.bias"), 1, out, inp));
        };
        match kind {
            NetKind::Generator => dense(&mut v, "fc", self.noise, l * w),
            NetKind::Critic => dense(&mut v, "inp", self.vocab, w),
        }
        for b in 0..self.blocks {
            for c in ["conv1", "conv2"] {
                v.push(spec(format!("blocks.{b}.{c}.weight"), k * w, w, k * w));
                v.push(spec(format!("blocks.{b}.{c}.bias"), 1, w, k * w));
            }
        }
        match kind {
            NetKind::Generator => dense(&mut v, "out", w, self.vocab),
            NetKind::Critic => dense(&mut v, "fc", l * w, 1),
        }
        v
    }
}

/// A network's parameters: 2-D tensors in [`ModelShape::layout`] order.
#[derive(Debug, Clone)]
pub struct Net<B: Backend> {
    /// Which network.
    pub kind: NetKind,
    /// Its sizes.
    pub shape: ModelShape,
    /// Its parameters, in layout order.
    pub params: Vec<Tensor<B, 2>>,
}

impl<B: Backend> Net<B> {
    /// PyTorch's default initialisation: every weight and bias uniform in
    /// `±1/sqrt(fan_in)`, drawn from `rng` in layout order (row-major in the stored layout).
    pub fn init(kind: NetKind, shape: &ModelShape, rng: &mut Rng, device: &B::Device) -> Net<B> {
        let params = shape
            .layout(kind)
            .iter()
            .map(|p| {
                let bound = 1.0 / (p.fan_in as f64).sqrt();
                let n = p.shape[0] * p.shape[1];
                let vals: Vec<f32> = (0..n)
                    .map(|_| ((2.0 * rng.uniform() - 1.0) * bound) as f32)
                    .collect();
                Tensor::from_data(TensorData::new(vals, p.shape), device)
            })
            .collect();
        Net {
            kind,
            shape: shape.clone(),
            params,
        }
    }

    /// A net with the same shape whose parameters are `f` of these ones.
    pub fn map<B2: Backend>(&self, f: impl FnMut(Tensor<B, 2>) -> Tensor<B2, 2>) -> Net<B2> {
        Net {
            kind: self.kind,
            shape: self.shape.clone(),
            params: self.params.iter().cloned().map(f).collect(),
        }
    }

    /// Parameter `i` (a cheap handle clone).
    pub fn p(&self, i: usize) -> Tensor<B, 2> {
        self.params[i].clone()
    }

    /// Index of block `b`'s `conv1` weight (then bias, `conv2` weight, bias).
    pub fn block(&self, b: usize) -> usize {
        2 + 4 * b
    }

    /// Index of the output layer's weight (its bias follows).
    pub fn last(&self) -> usize {
        2 + 4 * self.shape.blocks
    }

    /// Total number of scalar parameters.
    pub fn num_scalars(&self) -> usize {
        self.params.iter().map(|t| t.dims()[0] * t.dims()[1]).sum()
    }
}
