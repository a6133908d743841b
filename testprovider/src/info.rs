//! `drtest_thing_info`: a data source that looks a thing up in the store by id.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_framework::context::Context;
use tf_framework::data_source::DataSource;
use tf_framework::diag::Diagnostics;
use tf_framework::path;
use tf_framework::schema::{Attribute, Schema};

use crate::store::Store;

pub struct ThingInfo;

#[derive(Debug, Serialize, Deserialize)]
pub struct ThingInfoState {
    pub id: String,
    pub name: Option<String>,
    pub revision: Option<i64>,
}

#[async_trait]
impl DataSource for ThingInfo {
    type State = ThingInfoState;

    fn type_name(&self) -> &str {
        "drtest_thing_info"
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description("Looks up a `drtest_thing` by id.")
            .attribute(
                Attribute::string("id")
                    .required()
                    .description("The thing's id."),
            )
            .attribute(
                Attribute::string("name")
                    .computed()
                    .description("Its name."),
            )
            .attribute(
                Attribute::number("revision")
                    .computed()
                    .description("Its revision."),
            )
    }

    async fn read(
        &self,
        ctx: &Context,
        mut config: ThingInfoState,
    ) -> Result<ThingInfoState, Diagnostics> {
        let store = ctx.provider_data::<Store>()?;
        let Some(found) = store.get(&config.id).await? else {
            return Err(Diagnostics::from_error_at(
                path!("id"),
                "Thing not found",
                format!("No drtest_thing has id {:?}.", config.id),
            ));
        };
        config.name = found
            .get("name")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        config.revision = found.get("revision").and_then(serde_json::Value::as_i64);
        Ok(config)
    }
}
