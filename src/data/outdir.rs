//! Writing a directory atomically: build it beside the target, then rename it into place.

use anyhow::{bail, Context, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Refuses `out` if it exists and `force` is off, or if it exists and is not something
/// `--force` may replace: only a directory that is empty or holds a `meta.json` (a dataset).
pub fn check_replaceable(out: &Path, force: bool) -> Result<()> {
    let Ok(md) = fs::symlink_metadata(out) else {
        return Ok(());
    };
    if !force {
        bail!(
            "{} already exists; use --force to replace it",
            out.display()
        );
    }
    let empty = md.is_dir() && fs::read_dir(out).is_ok_and(|mut d| d.next().is_none());
    if !md.is_dir() || !(empty || out.join("meta.json").is_file()) {
        bail!(
            "refusing to replace {}: it is not a dataset directory (no meta.json); \
             remove it yourself or choose another --out",
            out.display()
        );
    }
    Ok(())
}

fn sibling(out: &Path, tag: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    out.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

/// Writes `files` (name, bytes) as the directory `out`, atomically: they go to a temporary
/// directory beside `out`, each flushed to disk, which is then renamed to `out`. With
/// `force`, an existing `out` (see [`check_replaceable`]) is first moved aside, and removed
/// once the new directory is in place. On any error the temporary directory is removed and
/// `out` is as before.
pub fn write_dir_atomic(out: &Path, files: &[(&str, &[u8])], force: bool) -> Result<()> {
    check_replaceable(out, force)?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create directory {}", parent.display()))?;
    }
    let tmp = sibling(out, "tmp");
    let _ = fs::remove_dir_all(&tmp);
    let result = fill_and_swap(out, &tmp, files);
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

fn fill_and_swap(out: &Path, tmp: &Path, files: &[(&str, &[u8])]) -> Result<()> {
    fs::create_dir(tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    for (name, bytes) in files {
        let p = tmp.join(name);
        let mut f =
            fs::File::create(&p).with_context(|| format!("cannot create {}", p.display()))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    if let Ok(d) = fs::File::open(tmp) {
        let _ = d.sync_all();
    }
    if fs::symlink_metadata(out).is_ok() {
        let old = sibling(out, "old");
        let _ = fs::remove_dir_all(&old);
        fs::rename(out, &old)
            .with_context(|| format!("cannot move the old {} aside", out.display()))?;
        if let Err(e) = fs::rename(tmp, out) {
            let _ = fs::rename(&old, out);
            return Err(e).with_context(|| format!("cannot move the new {} in", out.display()));
        }
        crate::util::sync_parent(out);
        fs::remove_dir_all(&old).with_context(|| {
            format!(
                "new {} is in place but cannot remove {}",
                out.display(),
                old.display()
            )
        })?;
    } else {
        fs::rename(tmp, out)
            .with_context(|| format!("cannot move {} to {}", tmp.display(), out.display()))?;
    }
    crate::util::sync_parent(out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_replaces_with_force_and_leaves_nothing_else() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("ds");
        write_dir_atomic(&out, &[("meta.json", b"1"), ("a", b"x")], false).unwrap();
        let e = write_dir_atomic(&out, &[("meta.json", b"2")], false).unwrap_err();
        assert!(e.to_string().contains("--force"), "{e}");
        assert_eq!(fs::read(out.join("meta.json")).unwrap(), b"1");
        write_dir_atomic(&out, &[("meta.json", b"2")], true).unwrap();
        assert_eq!(listing(&out), ["meta.json"]);
        assert_eq!(fs::read(out.join("meta.json")).unwrap(), b"2");
        assert_eq!(listing(root.path()), ["ds"]);
    }

    #[test]
    fn force_refuses_a_non_dataset_and_a_failed_write_changes_nothing() {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("home");
        fs::create_dir(&home).unwrap();
        fs::write(home.join("precious"), b"p").unwrap();
        let e = write_dir_atomic(&home, &[("meta.json", b"1")], true).unwrap_err();
        assert!(e.to_string().contains("not a dataset"), "{e}");
        let out = root.path().join("ds");
        write_dir_atomic(&out, &[("meta.json", b"1")], false).unwrap();
        // A file name that cannot be created makes the write fail half-way.
        let bad = write_dir_atomic(&out, &[("meta.json", b"2"), ("no/such/dir", b"")], true);
        assert!(bad.is_err());
        assert_eq!(fs::read(out.join("meta.json")).unwrap(), b"1");
        assert_eq!(listing(root.path()), ["ds", "home"]);
    }
}
