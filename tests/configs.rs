//! The bundled configs parse, validate and hold what their comments say.

use std::path::Path;
use textwgan::train::TrainConfig;

fn load(name: &str) -> TrainConfig {
    TrainConfig::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("configs")
            .join(name),
    )
    .unwrap()
}

#[test]
fn paper_toml_has_the_papers_settings() {
    let c = load("paper.toml");
    let (m, t) = (&c.model, &c.train);
    assert_eq!((m.width, m.blocks, m.noise, m.kernel), (512, 5, 128, 5));
    assert_eq!(m.residual_scale, 0.3);
    assert_eq!((t.batch_size, t.n_critic, t.lambda_gp), (64, 10, 10.0));
    assert_eq!(
        (t.lr_critic, t.lr_generator, t.beta1, t.beta2, t.adam_eps),
        (1e-4, 1e-4, 0.5, 0.9, 1e-8)
    );
    assert_eq!(c.log.eval_samples, 640);
}

#[test]
fn cpu_and_tiny_configs_are_valid_and_small() {
    let cpu = load("cpu.toml");
    assert_eq!((cpu.train.iters, cpu.train.n_critic), (400, 10));
    assert!(cpu.log.checkpoint_seconds <= 60.0);
    let tiny = load("tiny.toml");
    assert!(tiny.model.width <= 32 && tiny.train.iters <= 50);
}
