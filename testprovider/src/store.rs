//! The JSON file that stands in for a cloud API: `{"things": {id: object}, "secrets": {id: text},
//! "tokens": {id: token}}`.
//!
//! Write-only values go to `secrets`, so tests can prove the provider received them while the
//! Terraform state never holds them. `tokens` records what `drtest_token` (an ephemeral
//! resource) issued, renewed and revoked.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tf_framework::diag::Diagnostics;
use tokio::sync::Mutex;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Contents {
    #[serde(default)]
    pub things: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// Ids handed out so far (ids are never reused, so a re-create is visible).
    #[serde(default)]
    pub next_id: u64,
    /// Completed `drtest_touch` invocations per thing id.
    #[serde(default)]
    pub touches: BTreeMap<String, u64>,
    /// Tokens issued by `drtest_token`, by token id.
    #[serde(default)]
    pub tokens: BTreeMap<String, Token>,
    #[serde(default)]
    pub next_token: u64,
    /// Pages of things read by `terraform query` listings.
    #[serde(default)]
    pub list_pages: u64,
}

/// One issued token.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Token {
    pub name: String,
    pub value: String,
    /// Set when the token asked to be renewed: it is accepted only once renewed.
    #[serde(default)]
    pub renew_in_ms: Option<u64>,
    #[serde(default)]
    pub renewals: u64,
    #[serde(default)]
    pub closed: bool,
}

pub struct Store {
    path: PathBuf,
    /// Serialises read-modify-write cycles of concurrent operations in this process.
    lock: Mutex<()>,
}

fn io_error(what: &str, e: impl std::fmt::Display) -> Diagnostics {
    Diagnostics::from_error("Store error", format!("{what}: {e}"))
}

impl Store {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            lock: Mutex::new(()),
        }
    }

    async fn load(&self) -> Result<Contents, Diagnostics> {
        match tokio::fs::read(&self.path).await {
            Ok(bytes) if bytes.is_empty() => Ok(Contents::default()),
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| io_error(&format!("parsing {}", self.path.display()), e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Contents::default()),
            Err(e) => Err(io_error(&format!("reading {}", self.path.display()), e)),
        }
    }

    async fn save(&self, contents: &Contents) -> Result<(), Diagnostics> {
        let bytes = serde_json::to_vec_pretty(contents).map_err(|e| io_error("encoding", e))?;
        let tmp = self.path.with_extension("tmp");
        tokio::fs::write(&tmp, bytes)
            .await
            .map_err(|e| io_error(&format!("writing {}", tmp.display()), e))?;
        tokio::fs::rename(&tmp, &self.path)
            .await
            .map_err(|e| io_error(&format!("replacing {}", self.path.display()), e))
    }

    /// Reads the file, lets `change` modify it, writes it back.
    pub async fn update<T>(
        &self,
        change: impl FnOnce(&mut Contents) -> Result<T, Diagnostics>,
    ) -> Result<T, Diagnostics> {
        let _guard = self.lock.lock().await;
        let mut contents = self.load().await?;
        let out = change(&mut contents)?;
        self.save(&contents).await?;
        Ok(out)
    }

    pub async fn get(&self, id: &str) -> Result<Option<serde_json::Value>, Diagnostics> {
        let _guard = self.lock.lock().await;
        Ok(self.load().await?.things.get(id).cloned())
    }

    /// A snapshot of the whole file.
    pub async fn contents(&self) -> Result<Contents, Diagnostics> {
        let _guard = self.lock.lock().await;
        self.load().await
    }
}
