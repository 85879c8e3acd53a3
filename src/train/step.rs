//! One critic step and one generator step of WGAN-GP.
//!
//! Networks live on the inner (non-autodiff) backend. [`critic_step`] and
//! [`generator_step`] pick the engine with [`Engine::for_backend`]: on burn's CPU backend
//! (Flex) the hand-written engine of [`crate::cpu`] computes the gradients on the tensors'
//! buffers; on any other backend (CUDA) each step lifts the parameters it trains into the
//! autodiff graph and runs one ordinary backward. Both then apply Adam.

use super::adam::Adam;
use crate::data::IdRows;
use crate::model::{critic, generator, Net};
use crate::rng::Rng;
use burn::tensor::{
    backend::AutodiffBackend, backend::Backend, DType, Element, Tensor, TensorData,
};

/// Which implementation computes a step's gradients (both give the same values to float
/// tolerance; `tests/cpu_engine.rs` compares them in f64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// burn's autodiff through the ops of [`crate::model`]: any backend (CUDA).
    Burn,
    /// The hand-written CPU engine ([`crate::cpu`]) on the tensors' host copies.
    Cpu,
}

impl Engine {
    /// The CPU engine on burn's CPU backend (Flex), autodiff on every other backend.
    pub fn for_backend<B: Backend>() -> Engine {
        if std::any::TypeId::of::<B>() == std::any::TypeId::of::<burn::backend::Flex>() {
            Engine::Cpu
        } else {
            Engine::Burn
        }
    }
}

/// The losses of one critic step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CriticStats {
    /// `mean D(fake) − mean D(real) + λ·GP`.
    pub loss: f64,
    /// The Wasserstein estimate `mean D(real) − mean D(fake)`.
    pub wasserstein: f64,
    /// The gradient penalty `mean (‖∇D(x̂)‖ − 1)²` (without λ).
    pub gp: f64,
}

/// One-hot rows `[n, seq_len, vocab]` of the given rows of `ids`.
pub fn one_hot<B: Backend>(
    ids: &IdRows,
    rows: &[usize],
    vocab: usize,
    device: &B::Device,
) -> Tensor<B, 3> {
    let l = ids.seq_len;
    let mut v = vec![0f32; rows.len() * l * vocab];
    for (b, &r) in rows.iter().enumerate() {
        for (t, &id) in ids.row(r).iter().enumerate() {
            v[(b * l + t) * vocab + id as usize] = 1.0;
        }
    }
    Tensor::from_data(TensorData::new(v, [rows.len(), l, vocab]), device)
}

/// Standard normal noise `[n, dim]` from `rng`.
pub fn noise<B: Backend>(rng: &mut Rng, n: usize, dim: usize, device: &B::Device) -> Tensor<B, 2> {
    let mut v = vec![0f32; n * dim];
    rng.fill_normal(&mut v);
    Tensor::from_data(TensorData::new(v, [n, dim]), device)
}

/// One interpolation weight α ~ U(0, 1) per sample, `[n, 1, 1]`.
pub fn alphas<B: Backend>(rng: &mut Rng, n: usize, device: &B::Device) -> Tensor<B, 3> {
    let v: Vec<f32> = (0..n).map(|_| rng.uniform() as f32).collect();
    Tensor::from_data(TensorData::new(v, [n, 1, 1]), device)
}

fn scalar<B: Backend>(t: Tensor<B, 1>) -> f64 {
    t.into_data()
        .convert::<f64>()
        .to_vec::<f64>()
        .expect("a float scalar")[0]
}

fn lift<A: AutodiffBackend>(net: &Net<A::InnerBackend>, track: bool) -> Net<A> {
    net.map(|t| {
        let t = Tensor::<A, 2>::from_inner(t);
        if track {
            t.require_grad()
        } else {
            t
        }
    })
}

fn grads_of<A: AutodiffBackend>(
    net: &Net<A>,
    grads: &A::Gradients,
) -> Vec<Tensor<A::InnerBackend, 2>> {
    net.params
        .iter()
        .map(|p| {
            p.grad(grads)
                .unwrap_or_else(|| Tensor::zeros(p.dims(), &p.device().clone()))
        })
        .collect()
}

/// `x̂ = real + α(fake − real)` with one α per sample (`alpha` is `[n, 1, 1]`).
pub fn interpolate<B: Backend>(
    real: Tensor<B, 3>,
    fake: Tensor<B, 3>,
    alpha: Tensor<B, 3>,
) -> Tensor<B, 3> {
    real.clone() + (fake - real) * alpha
}

/// One critic step on a batch of `real` one-hot rows, fakes from noise `z`, and per-sample
/// interpolation weights `alpha` (`[n, 1, 1]`): minimises
/// `mean D(fake) − mean D(real) + λ · mean (‖∇ₓD(x̂)‖ − 1)²`, `x̂ = real + α(fake − real)`.
#[allow(clippy::too_many_arguments)]
pub fn critic_step<A: AutodiffBackend>(
    gen: &Net<A::InnerBackend>,
    critic_net: &mut Net<A::InnerBackend>,
    adam: &mut Adam<A::InnerBackend>,
    real: Tensor<A::InnerBackend, 3>,
    z: Tensor<A::InnerBackend, 2>,
    alpha: Tensor<A::InnerBackend, 3>,
    lambda: f64,
    gp_eps: f64,
) -> CriticStats {
    let engine = Engine::for_backend::<A::InnerBackend>();
    critic_step_with::<A>(
        engine, gen, critic_net, adam, real, z, alpha, lambda, gp_eps,
    )
}

/// [`critic_step`] on the given engine ([`Engine::Cpu`] reads the tensors back to the host).
#[allow(clippy::too_many_arguments)]
pub fn critic_step_with<A: AutodiffBackend>(
    engine: Engine,
    gen: &Net<A::InnerBackend>,
    critic_net: &mut Net<A::InnerBackend>,
    adam: &mut Adam<A::InnerBackend>,
    real: Tensor<A::InnerBackend, 3>,
    z: Tensor<A::InnerBackend, 2>,
    alpha: Tensor<A::InnerBackend, 3>,
    lambda: f64,
    gp_eps: f64,
) -> CriticStats {
    match engine {
        Engine::Cpu if real.dtype() == DType::F64 => {
            cpu_critic_step::<_, f64>(gen, critic_net, adam, real, z, alpha, lambda, gp_eps)
        }
        Engine::Cpu => {
            cpu_critic_step::<_, f32>(gen, critic_net, adam, real, z, alpha, lambda, gp_eps)
        }
        Engine::Burn => {
            let fake = generator::forward(gen, z);
            critic_step_on::<A>(critic_net, adam, real, fake, alpha, lambda, gp_eps)
        }
    }
}

/// Host copies of a tensor's values.
pub(crate) fn host<B: Backend, const D: usize, T: Element>(t: &Tensor<B, D>) -> Vec<T> {
    t.to_data()
        .convert::<T>()
        .to_vec::<T>()
        .expect("a float tensor")
}

/// A network's parameters on the host: shared handles of Flex's buffers when `B` is Flex
/// and the precision matches (no copy), host copies otherwise.
pub(crate) enum HostParams<T> {
    /// Flex tensors whose storage is read in place.
    Shared(Vec<burn_flex::FlexTensor>),
    /// Copies.
    Owned(Vec<Vec<T>>),
}

impl<T: crate::cpu::Real + Element + bytemuck::Pod> HostParams<T> {
    /// The parameters of `net`, shared when possible.
    pub(crate) fn of<B: Backend>(net: &Net<B>) -> HostParams<T> {
        let shared: Option<Vec<burn_flex::FlexTensor>> = net
            .params
            .iter()
            .map(|p| {
                let t =
                    (p as &dyn std::any::Any).downcast_ref::<Tensor<burn::backend::Flex, 2>>()?;
                let f = t.clone().into_primitive().tensor();
                f.as_slice::<T>().is_some().then_some(f)
            })
            .collect();
        match shared {
            Some(v) => HostParams::Shared(v),
            None => HostParams::Owned(net.params.iter().map(host).collect()),
        }
    }

    /// One slice per parameter, in layout order.
    pub(crate) fn slices(&self) -> Vec<&[T]> {
        match self {
            HostParams::Shared(v) => v.iter().map(|f| f.as_slice::<T>().unwrap()).collect(),
            HostParams::Owned(v) => v.iter().map(|x| x.as_slice()).collect(),
        }
    }
}

/// [`critic_step`] on the CPU engine in precision `T`.
#[allow(clippy::too_many_arguments)]
fn cpu_critic_step<B: Backend, T: crate::cpu::Real + Element + bytemuck::Pod>(
    gen: &Net<B>,
    critic_net: &mut Net<B>,
    adam: &mut Adam<B>,
    real: Tensor<B, 3>,
    z: Tensor<B, 2>,
    alpha: Tensor<B, 3>,
    lambda: f64,
    gp_eps: f64,
) -> CriticStats {
    let ms = critic_net.shape.clone();
    let n = z.dims()[0];
    let gp = HostParams::<T>::of(gen);
    let fake = crate::cpu::step::generate::<T>(&ms, &gp.slices(), &host(&z), n);
    drop(gp);
    let cp = HostParams::<T>::of(critic_net);
    let (stats, grads) = crate::cpu::step::critic_grads::<T>(
        &ms,
        &cp.slices(),
        &host(&real),
        &fake,
        &host(&alpha),
        lambda,
        gp_eps,
    );
    drop(cp); // releases the shared buffers, so that Adam can update them in place
    adam.step_host(&mut critic_net.params, grads);
    stats
}

/// The critic step of [`critic_step`] on given `fake` rows, through burn's autodiff.
pub fn critic_step_on<A: AutodiffBackend>(
    critic_net: &mut Net<A::InnerBackend>,
    adam: &mut Adam<A::InnerBackend>,
    real: Tensor<A::InnerBackend, 3>,
    fake: Tensor<A::InnerBackend, 3>,
    alpha: Tensor<A::InnerBackend, 3>,
    lambda: f64,
    gp_eps: f64,
) -> CriticStats {
    let (stats, g) = critic_grads_on::<A>(critic_net, real, fake, alpha, lambda, gp_eps);
    adam.step(&mut critic_net.params, g);
    stats
}

/// The loss terms and parameter gradient of the critic step on given `fake` rows, through
/// burn's autodiff (the reference the CPU engine is tested against).
pub fn critic_grads_on<A: AutodiffBackend>(
    critic_net: &Net<A::InnerBackend>,
    real: Tensor<A::InnerBackend, 3>,
    fake: Tensor<A::InnerBackend, 3>,
    alpha: Tensor<A::InnerBackend, 3>,
    lambda: f64,
    gp_eps: f64,
) -> (CriticStats, Vec<Tensor<A::InnerBackend, 2>>) {
    let n = real.dims()[0];
    let x_hat = interpolate(real.clone(), fake.clone(), alpha);
    let d = lift::<A>(critic_net, true);
    let both = Tensor::<A, 3>::from_inner(Tensor::cat(vec![real, fake], 0));
    let scores = critic::forward(&d, both);
    let d_real = scores.clone().narrow(0, 0, n).mean();
    let d_fake = scores.narrow(0, n, n).mean();
    let masks = critic::masks(critic_net, x_hat).map(Tensor::<A, 3>::from_inner);
    let gp = critic::gradient_penalty(critic::input_gradient(&d, &masks, n), gp_eps);
    let loss = d_fake.clone() - d_real.clone() + gp.clone().mul_scalar(lambda);
    let grads = loss.backward();
    let g = grads_of(&d, &grads);
    let stats = CriticStats {
        loss: scalar(loss.inner()),
        wasserstein: scalar(d_real.inner()) - scalar(d_fake.inner()),
        gp: scalar(gp.inner()),
    };
    (stats, g)
}

/// The generator step's loss `−mean D(G(z))` and the generator's parameter gradient,
/// through burn's autodiff.
pub fn generator_grads<A: AutodiffBackend>(
    gen: &Net<A::InnerBackend>,
    critic_net: &Net<A::InnerBackend>,
    z: Tensor<A::InnerBackend, 2>,
) -> (f64, Vec<Tensor<A::InnerBackend, 2>>) {
    let g = lift::<A>(gen, true);
    let d = lift::<A>(critic_net, false);
    let fake = generator::forward(&g, Tensor::from_inner(z));
    let loss = critic::forward(&d, fake).mean().neg();
    let grads = loss.backward();
    (scalar(loss.inner()), grads_of(&g, &grads))
}

/// One generator step with noise `z`: minimises `−mean D(G(z))`; the critic is constant.
/// Returns the generator loss.
pub fn generator_step<A: AutodiffBackend>(
    gen: &mut Net<A::InnerBackend>,
    critic_net: &Net<A::InnerBackend>,
    adam: &mut Adam<A::InnerBackend>,
    z: Tensor<A::InnerBackend, 2>,
) -> f64 {
    let engine = Engine::for_backend::<A::InnerBackend>();
    generator_step_with::<A>(engine, gen, critic_net, adam, z)
}

/// [`generator_step`] on the given engine.
pub fn generator_step_with<A: AutodiffBackend>(
    engine: Engine,
    gen: &mut Net<A::InnerBackend>,
    critic_net: &Net<A::InnerBackend>,
    adam: &mut Adam<A::InnerBackend>,
    z: Tensor<A::InnerBackend, 2>,
) -> f64 {
    match engine {
        Engine::Cpu if z.dtype() == DType::F64 => {
            cpu_generator_step::<_, f64>(gen, critic_net, adam, z)
        }
        Engine::Cpu => cpu_generator_step::<_, f32>(gen, critic_net, adam, z),
        Engine::Burn => {
            let (loss, gr) = generator_grads::<A>(gen, critic_net, z);
            adam.step(&mut gen.params, gr);
            loss
        }
    }
}

/// [`generator_step`] on the CPU engine in precision `T`.
fn cpu_generator_step<B: Backend, T: crate::cpu::Real + Element + bytemuck::Pod>(
    gen: &mut Net<B>,
    critic_net: &Net<B>,
    adam: &mut Adam<B>,
    z: Tensor<B, 2>,
) -> f64 {
    let n = z.dims()[0];
    let (gp, cp) = (HostParams::<T>::of(gen), HostParams::<T>::of(critic_net));
    let (loss, grads) = crate::cpu::step::generator_grads::<T>(
        &gen.shape,
        &gp.slices(),
        &cp.slices(),
        &host(&z),
        n,
    );
    drop(gp); // releases the shared buffers, so that Adam can update them in place
    adam.step_host(&mut gen.params, grads);
    loss
}
