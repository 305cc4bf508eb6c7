//! One guard per user: the instance lock in the user's runtime folder.

use std::io::Write;
use std::path::PathBuf;

/// The user's runtime folder (private to the user), where the lock and the socket live. Without
/// `XDG_RUNTIME_DIR`, a folder of our own in the temporary directory, mode 0700.
pub fn runtime_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
    {
        return p;
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "user".into());
    let dir = std::env::temp_dir().join(format!("holdguard-{user}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    }
    dir
}

/// Takes the per-user instance lock, or says which process holds it. The kernel releases the
/// lock when the process ends, however it ends.
pub fn single_instance() -> Result<std::fs::File, InstanceError> {
    let path = runtime_dir().join("holdguard.lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| {
            InstanceError::Io(format!(
                "{}: cannot create the lock file: {e}",
                path.display()
            ))
        })?;
    if file.try_lock().is_err() {
        let pid = std::fs::read_to_string(&path).unwrap_or_default();
        return Err(InstanceError::Running(pid.trim().to_string()));
    }
    use std::io::Seek;
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(file, "{}", std::process::id());
    Ok(file)
}

/// Why this process cannot be the guard.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error(
        "Hold Guard is already running (process {0}); use `holdguard status`, or stop it first"
    )]
    Running(String),
    #[error("{0}")]
    Io(String),
}
