//! The steps every `terraform query` listing (`<resource>/list.rs`) takes the same way, so a
//! list resource only says what it reads and how it names what it finds.
//!
//! - [`push_all`]: report found objects in order until Terraform wants no more.
//! - [`read_each`]: read objects that each need their own requests a few at a time, in the
//!   listing's order, skipping those that turn out to be gone.
//! - [`OrchestratorListing`]: a listing of what one orchestrator's KSYS holds: it needs the
//!   provider's `orchestrator_ssh`, and a wrong `orchestrator_id` is reported at that argument.

use std::future::Future;

use futures::StreamExt;
use serde::Serialize;
use tf_framework::diag::Diagnostics;
use tf_framework::list::ListResults;
use tf_framework::path;

use super::orchestrator_access::not_configured;
use super::{Action, diagnose};
use crate::cloud::{Clients, CloudError};

/// Objects a listing reads at the same time when each needs its own requests (orchestrators,
/// standbys): enough to overlap round trips, few enough not to be rate-limited.
pub const CONCURRENT_READS: usize = 4;

/// Reports each `(display name, state)` in order; stops as soon as Terraform wants no more.
pub async fn push_all<S: Serialize>(
    results: &ListResults<S>,
    found: impl IntoIterator<Item = (String, S)>,
) {
    for (display_name, state) in found {
        if !results.push(display_name, &state).await {
            break;
        }
    }
}

/// Reads the object behind each key ([`CONCURRENT_READS`] at a time, reported in the keys'
/// order) and pushes what it finds under `display_name`. An object gone between the listing
/// and its read (`Ok(None)` or a 404) is not importable and is left out; any other failure
/// ends the listing with `fail`'s diagnostic.
pub async fn read_each<K, S, Fut>(
    keys: impl IntoIterator<Item = K>,
    read: impl Fn(K) -> Fut,
    results: &ListResults<S>,
    display_name: impl Fn(&K, &S) -> String,
    fail: impl Fn(&K, &CloudError) -> Diagnostics,
) -> Result<(), Diagnostics>
where
    K: Clone,
    S: Serialize,
    Fut: Future<Output = Result<Option<S>, CloudError>>,
{
    let mut reads = futures::stream::iter(keys)
        .map(|key| {
            let found = read(key.clone());
            async move { (key, found.await) }
        })
        .buffered(CONCURRENT_READS);
    while let Some((key, found)) = reads.next().await {
        match found {
            Ok(Some(state)) => {
                if !results.push(display_name(&key, &state), &state).await {
                    break;
                }
            }
            Ok(None) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(fail(&key, &e)),
        }
    }
    Ok(())
}

/// A listing of what one orchestrator's KSYS holds (its managed VMs, its test schedules).
pub struct OrchestratorListing<'a> {
    type_name: &'a str,
    /// The `orchestrator_id` argument.
    pub orchestrator_id: String,
    /// What is listed, for diagnostics: `VMs of orchestrator <id>`.
    object: String,
    /// How the not-found diagnostic describes a `dr_orchestrator`'s id.
    id_hint: &'a str,
}

impl<'a> OrchestratorListing<'a> {
    /// Starts the listing of `items` (`"VMs"`) of `orchestrator_id`, or says that `listing`
    /// (`Listing the VMs an orchestrator manages (list "dr_managed_vm")`) needs
    /// `orchestrator_ssh`. `id_hint` follows "Use the id of a dr_orchestrator" in the
    /// diagnostic for an unknown id (empty, or e.g. ` (its DR Automation service instance GUID)`).
    pub fn start(
        clients: &Clients,
        type_name: &'a str,
        orchestrator_id: Option<String>,
        items: &str,
        listing: &str,
        id_hint: &'a str,
    ) -> Result<Self, Diagnostics> {
        if clients.ksys.is_none() {
            return Err(not_configured(listing));
        }
        let orchestrator_id = orchestrator_id.unwrap_or_default();
        Ok(Self {
            type_name,
            object: format!("{items} of orchestrator {orchestrator_id}"),
            orchestrator_id,
            id_hint,
        })
    }

    /// The diagnostic for a failed cloud call of this listing.
    pub fn fail(&self, e: &CloudError) -> Diagnostics {
        diagnose(Action::List, self.type_name, &self.object, e)
    }

    /// `orchestrator_id` names no DR orchestrator.
    pub fn not_found(&self) -> Diagnostics {
        Diagnostics::from_error_at(
            path!("orchestrator_id"),
            "Orchestrator not found",
            format!(
                "orchestrator_id: no DR orchestrator has the id {:?}. Use the id of a dr_orchestrator{}; \
                 list \"dr_orchestrator\" finds them.",
                self.orchestrator_id, self.id_hint
            ),
        )
    }

    /// [`Self::not_found`] for a 404 (the orchestrator's instance is gone), else [`Self::fail`].
    pub fn fail_or_not_found(&self, e: &CloudError) -> Diagnostics {
        if e.is_not_found() {
            self.not_found()
        } else {
            self.fail(e)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    fn listing(id_hint: &'static str) -> OrchestratorListing<'static> {
        OrchestratorListing {
            type_name: "dr_x",
            orchestrator_id: "o-1".into(),
            object: "things of orchestrator o-1".into(),
            id_hint,
        }
    }

    #[test]
    fn an_unknown_orchestrator_is_reported_at_its_argument() {
        let d = listing(" (its DR Automation service instance GUID)").not_found();
        let d = d.iter().next().unwrap();
        assert_eq!(
            d.path.as_ref().map(ToString::to_string).as_deref(),
            Some("orchestrator_id")
        );
        assert_eq!(
            d.detail,
            "orchestrator_id: no DR orchestrator has the id \"o-1\". Use the id of a dr_orchestrator (its DR \
             Automation service instance GUID); list \"dr_orchestrator\" finds them."
        );
        let d = listing("").not_found();
        assert_eq!(
            d.iter().next().unwrap().detail,
            "orchestrator_id: no DR orchestrator has the id \"o-1\". Use the id of a dr_orchestrator; list \
             \"dr_orchestrator\" finds them."
        );
    }
}
