//! The `--state` file: crash-safe writes of the whole world.
//!
//! The file is replaced by writing a temporary file in the same directory, fsyncing it,
//! renaming it over the old one and fsyncing the directory. A `kill -9` at any instant
//! therefore leaves either the previous or the new complete document, never a torn one, and
//! because the write finishes before the response is sent, no acknowledged write is lost.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::World;

/// Version tag of the file layout, checked on load.
const FORMAT: &str = "dr-cloudsim-state/1";

#[derive(Serialize, Deserialize)]
struct StateFile {
    format: String,
    world: World,
}

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("cannot read state file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("state file {path} is not a dr-cloudsim state document: {detail}")]
    Parse { path: PathBuf, detail: String },
    #[error("cannot write state file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The world saved in `path`, or `None` when the file does not exist yet.
pub fn load(path: &Path) -> Result<Option<World>, PersistError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(PersistError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let file: StateFile = serde_json::from_slice(&bytes).map_err(|e| PersistError::Parse {
        path: path.to_owned(),
        detail: e.to_string(),
    })?;
    if file.format != FORMAT {
        return Err(PersistError::Parse {
            path: path.to_owned(),
            detail: format!("format {:?}, expected {FORMAT:?}", file.format),
        });
    }
    Ok(Some(file.world))
}

/// Serializes the world into the document [`write_atomic`] stores.
pub fn encode(world: &World) -> Vec<u8> {
    let file = StateFile {
        format: FORMAT.to_owned(),
        world: world.clone(),
    };
    serde_json::to_vec(&file).unwrap_or_default()
}

/// Replaces `path` with `bytes` so that a crash leaves the old or the new content whole.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PersistError> {
    let wrap = |source| PersistError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_owned());
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    {
        let mut file = std::fs::File::create(&tmp).map_err(wrap)?;
        file.write_all(bytes).map_err(wrap)?;
        file.sync_all().map_err(wrap)?;
    }
    std::fs::rename(&tmp, path).map_err(wrap)?;
    // The rename itself is only durable once the directory entry is on disk.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_reports_missing_files_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(load(&path).unwrap().is_none());
        let mut world = World::new(3);
        world.new_id();
        world.insert(
            "power",
            "networks",
            "n1",
            json!({"name": "a", "_workspace": "w"}),
        );
        write_atomic(&path, &encode(&world)).unwrap();
        assert_eq!(load(&path).unwrap(), Some(world));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file remains");
    }

    #[test]
    fn refuses_foreign_documents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, b"{\"format\":\"other\",\"world\":{\"services\":{}}}").unwrap();
        assert!(matches!(load(&path), Err(PersistError::Parse { .. })));
        std::fs::write(&path, b"garbage").unwrap();
        assert!(matches!(load(&path), Err(PersistError::Parse { .. })));
    }
}
