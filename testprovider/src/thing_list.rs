//! `list "drtest_thing"`: finds the things in the store for `terraform query`, optionally only
//! those whose name starts with `name_prefix` or that live in `zone`, in id order.
//!
//! The things are taken one page of `PAGE` at a time, the way a cloud API returns them, so tests
//! see a listing that stops paging once Terraform's `limit` is reached: the number of pages
//! taken is added to the store's `list_pages` when the listing ends, or just before the object
//! that reaches the limit: Terraform hangs up once it has that object and may stop the provider
//! before the listing returns. (The store file is read
//! once per listing: it stands in for an API, and rereading it per page would only measure the
//! file.)

use async_trait::async_trait;
use serde::Deserialize;
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::list::{ListRequest, ListResource, ListResults};
use tf_framework::path;
use tf_framework::schema::{Attribute, Schema};
use tf_framework::typed::ConfigView;
use tf_framework::value::Attr;

use crate::store::Store;
use crate::thing::ThingState;

/// Things per page read from the store.
const PAGE: usize = 2;

pub struct ThingList;

#[derive(Debug, Deserialize)]
pub struct ThingListConfig {
    name_prefix: Option<String>,
    zone: Option<String>,
}

/// `thing-10` sorts after `thing-9`.
fn numeric_id(id: &str) -> u64 {
    id.rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

#[async_trait]
impl ListResource for ThingList {
    type Config = ThingListConfig;
    type State = ThingState;

    fn type_name(&self) -> &str {
        "drtest_thing"
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description("Finds the `drtest_thing` objects in the store.")
            .attribute(
                Attribute::string("name_prefix")
                    .optional()
                    .description("Only things whose name starts with this."),
            )
            .attribute(
                Attribute::string("zone")
                    .optional()
                    .description("Only things in this zone."),
            )
    }

    async fn validate(&self, _ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        match config.get::<String>(&path!("name_prefix")) {
            Ok(Attr::Known(prefix)) if prefix.is_empty() => Diagnostics::from_error_at(
                path!("name_prefix"),
                "Empty name_prefix",
                "name_prefix must not be empty; leave it out to list every thing.",
            ),
            _ => Diagnostics::new(),
        }
    }

    async fn list(
        &self,
        ctx: &Context,
        req: ListRequest<ThingListConfig>,
        results: &ListResults<ThingState>,
    ) -> Result<(), Diagnostics> {
        let store = ctx.provider_data::<Store>()?;
        let mut things = store.contents().await?.things;
        let mut ids: Vec<String> = things.keys().cloned().collect();
        ids.sort_by_key(|id| numeric_id(id));
        let mut pages = 0;
        let mut counted = false;
        let mut outcome = Ok(());
        'pages: for page in ids.chunks(PAGE) {
            pages += 1;
            for id in page {
                let Some(json) = things.remove(id) else {
                    continue;
                };
                let thing: ThingState = match serde_json::from_value(json) {
                    Ok(thing) => thing,
                    Err(e) => {
                        outcome = Err(Diagnostics::from_error(
                            "Store error",
                            format!("decoding {id}: {e}"),
                        ));
                        break 'pages;
                    }
                };
                let wanted = req
                    .config
                    .name_prefix
                    .as_deref()
                    .is_none_or(|p| thing.name.starts_with(p))
                    && req
                        .config
                        .zone
                        .as_deref()
                        .is_none_or(|z| thing.zone.as_deref() == Some(z));
                if !wanted {
                    continue;
                }
                if results.remaining() == Some(1) {
                    count_pages(&store, pages).await?;
                    counted = true;
                }
                if !results.push(thing.name.clone(), &thing).await {
                    break 'pages;
                }
            }
        }
        if !counted {
            count_pages(&store, pages).await?;
        }
        outcome
    }
}

async fn count_pages(store: &Store, pages: u64) -> Result<(), Diagnostics> {
    store
        .update(|c| {
            c.list_pages += pages;
            Ok(())
        })
        .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    #[test]
    fn ids_sort_numerically() {
        let mut ids = vec!["thing-10", "thing-9", "thing-1"];
        ids.sort_by_key(|id| numeric_id(id));
        assert_eq!(ids, ["thing-1", "thing-9", "thing-10"]);
    }
}
