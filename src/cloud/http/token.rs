//! What the core needs from whoever issues bearer tokens. IAM implements it; the core only
//! depends on this trait, so IAM can send its own token grants through the same core.

use async_trait::async_trait;

use crate::cloud::error::CloudError;

/// A source of bearer tokens for authenticated requests.
#[async_trait]
pub trait TokenSource: std::fmt::Debug + Send + Sync {
    /// A bearer token valid for at least the source's safety margin.
    async fn token(&self) -> Result<String, CloudError>;

    /// The account the tokens belong to (PowerVS puts it in its CRN header).
    async fn account_id(&self) -> Result<String, CloudError>;

    /// True when a new token can be obtained after the server rejected one.
    fn can_renew(&self) -> bool;

    /// Forgets `used` after the server rejected it, so the next call fetches a new one.
    fn invalidate(&self, used: &str);
}
