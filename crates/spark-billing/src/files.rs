//! Files that hold secrets: the data directory is made readable by its
//! owner alone, as are the files written in it (the operator key, the demo
//! keys), and a SQLite database — with the signing keys and key hashes it
//! may hold — that others can read is refused rather than used.

use std::path::Path;

use anyhow::{Context, bail};

/// Permission bits that let anyone but the owner in.
#[cfg(unix)]
const OTHERS: u32 = 0o077;

/// Creates `dir` (and its parents) readable by its owner alone; warns when
/// it exists already and others may read it.
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    if let Some(mode) = shared_mode(dir)? {
        tracing::warn!(
            "the data directory {} can be read by others (mode {mode:03o}); `chmod 700 {}` keeps its keys private",
            dir.display(),
            dir.display()
        );
    }
    Ok(())
}

/// Writes `text` to `path`, readable by its owner alone from its first byte.
pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("cannot write {}", path.display()))?;
    // A file that existed before keeps its mode through `open`.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private", path.display()))?;
    }
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Refuses `path` when it exists and others may read or write it, naming
/// the file and the fix; `what` says what it holds.
pub fn require_private(path: &Path, what: &str) -> anyhow::Result<()> {
    if let Some(mode) = shared_mode(path)? {
        bail!(
            "{} ({what}) can be read by others (mode {mode:03o}); make it private with `chmod 600 {}` and start again",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

/// Refuses a SQLite database of `url` whose file, write-ahead log or
/// shared-memory file others may read: it holds signing keys and key hashes.
pub fn require_private_database(url: &str) -> anyhow::Result<()> {
    let Some(file) = billing_store::sqlite_file(url) else { return Ok(()) };
    for path in billing_store::sqlite_files(&file) {
        require_private(&path, "the database, which holds signing keys and API key hashes")?;
    }
    Ok(())
}

/// The permission bits of `path` when others may use it; `None` when only
/// its owner may, or when it does not exist.
fn shared_mode(path: &Path) -> anyhow::Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o777;
                Ok((mode & OTHERS != 0).then_some(mode))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read the permissions of {}", path.display())),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(None)
    }
}
