//! The SQLite file holds secrets (the console's and the quotes' signing
//! keys, unless they are given from outside, and the hashes of API keys):
//! it is made readable by its owner alone, before SQLite first opens it.
//! SQLite gives the write-ahead log and the shared-memory file it makes
//! beside the database the database file's permissions, so they are private
//! too.

use std::path::PathBuf;
use std::str::FromStr;

use billing_app::store::{StoreError, StoreResult};
use sqlx::sqlite::SqliteConnectOptions;

/// The file a `sqlite:` URL names; `None` for an in-memory database or
/// another backend's URL.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    if !url.starts_with("sqlite:") || crate::is_memory(url) {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    Some(options.get_filename().to_path_buf())
}

/// The files SQLite keeps for the database `file`: itself, its write-ahead
/// log and its shared-memory index.
pub fn sqlite_files(file: &std::path::Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [file.to_path_buf(), with("-wal"), with("-shm")]
}

/// Creates the database file of `url`, empty and readable by its owner
/// alone, when it does not exist yet (SQLite takes an empty file for a new
/// database).
pub(crate) fn create_private_sqlite_file(url: &str) -> StoreResult<()> {
    let Some(path) = sqlite_file(url) else { return Ok(()) };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // SQLite names what is wrong with the path more precisely.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::Database(format!("cannot create the database file {}: {e}", path.display()))),
    }
}
