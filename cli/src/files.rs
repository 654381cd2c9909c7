//! Files only their owner may read (keys of simulated locks).

use std::io::Write;
use std::path::Path;

use crate::exit::CliError;

/// Writes `bytes` to `path` (replacing it), mode 0600.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| CliError::failed(format!("cannot write {}: {e}", path.display())))?;
    f.write_all(bytes)
        .map_err(|e| CliError::failed(format!("cannot write {}: {e}", path.display())))?;
    Ok(())
}
