//! Choosing where to compute: the CPU (burn's flex backend) or, when built with
//! `--features cuda`, a CUDA GPU.

use anyhow::{bail, Result};

/// A device named on the command line: `cpu`, `cuda` or `cuda:<index>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    /// The CPU (flex backend; threads from `RAYON_NUM_THREADS` or `--threads`).
    Cpu,
    /// CUDA GPU number `index`.
    Cuda(usize),
}

impl DeviceChoice {
    /// Parses `cpu`, `cuda`, `cuda:N`; the error says what is accepted.
    pub fn parse(s: &str) -> Result<DeviceChoice> {
        match s {
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda(0)),
            _ => match s.strip_prefix("cuda:").and_then(|i| i.parse().ok()) {
                Some(i) => Ok(DeviceChoice::Cuda(i)),
                None => bail!("unknown device {s:?}: use cpu, cuda or cuda:<index>"),
            },
        }
    }

    /// Fails unless this build can use the device.
    pub fn check_available(self) -> Result<()> {
        if let DeviceChoice::Cuda(_) = self {
            if !cfg!(feature = "cuda") {
                bail!(
                    "this textwgan was built without CUDA; rebuild with \
                     `cargo build --release --features cuda` or use --device cpu"
                );
            }
        }
        Ok(())
    }
}

/// Sets the number of CPU worker threads (once per process; later calls are ignored).
pub fn set_threads(threads: Option<usize>) {
    if let Some(n) = threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_devices() {
        assert_eq!(DeviceChoice::parse("cpu").unwrap(), DeviceChoice::Cpu);
        assert_eq!(DeviceChoice::parse("cuda").unwrap(), DeviceChoice::Cuda(0));
        assert_eq!(
            DeviceChoice::parse("cuda:3").unwrap(),
            DeviceChoice::Cuda(3)
        );
        assert!(DeviceChoice::parse("gpu").is_err());
        assert!(DeviceChoice::parse("cuda:x").is_err());
    }
}
