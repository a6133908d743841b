//! `dr_events`: the event log of a DR deployment (`GET .../service_instances/{id}/events`),
//! with the API's time filters and level/action filters applied here.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_framework::context::Context;
use tf_framework::data_source::DataSource;
use tf_framework::diag::Diagnostics;
use tf_framework::schema::{Attribute, Schema};
use tf_framework::validators::one_of;

use super::{
    computed_string, filter_argument, matches, orchestrator_id_argument, orchestrator_read_error,
};
use crate::cloud::dr_automation::EventFilter;
use crate::support::clients;

const TYPE_NAME: &str = "dr_events";

pub struct Events;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventItem {
    pub event_id: Option<String>,
    pub time: Option<String>,
    pub level: Option<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub message: Option<String>,
    pub api_source: Option<String>,
    pub user_name: Option<String>,
    pub user_email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventsState {
    pub orchestrator_id: String,
    pub time: Option<String>,
    pub from_time: Option<String>,
    pub to_time: Option<String>,
    pub level: Option<String>,
    pub action: Option<String>,
    pub events: Option<Vec<EventItem>>,
}

#[async_trait]
impl DataSource for Events {
    type State = EventsState;

    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description("The events of a DR deployment, newest last, optionally filtered by time, level and action.")
            .attribute(orchestrator_id_argument())
            .attribute(filter_argument("time", "Only events since this time (ISO-8601 or epoch seconds), as the API's \"events since a specific timestamp\"; `from_time` wins when both are set."))
            .attribute(filter_argument("from_time", "Only events from this time (ISO-8601 or epoch seconds)."))
            .attribute(filter_argument("to_time", "Only events until this time (ISO-8601 or epoch seconds)."))
            .attribute(
                Attribute::string("level")
                    .optional()
                    .validator(one_of(["notice", "info", "warning", "error"]))
                    .description("Only events of this level."),
            )
            .attribute(filter_argument("action", "Only events of this action, such as `create`."))
            .attribute(
                Attribute::list_nested(
                    "events",
                    vec![
                        computed_string("event_id", "Event id."),
                        computed_string("time", "When (RFC 3339)."),
                        computed_string("level", "`notice`, `info`, `warning` or `error`."),
                        computed_string("action", "Action."),
                        computed_string("resource", "Resource the event is about."),
                        computed_string("message", "Message."),
                        computed_string("api_source", "API that raised it."),
                        computed_string("user_name", "Who caused it."),
                        computed_string("user_email", "Their e-mail address."),
                    ],
                )
                .computed()
                .description("The matching events."),
            )
    }

    async fn read(
        &self,
        ctx: &Context,
        mut config: EventsState,
    ) -> Result<EventsState, Diagnostics> {
        let clients = clients(ctx)?;
        let filter = EventFilter {
            time: config.time.clone(),
            from_time: config.from_time.clone(),
            to_time: config.to_time.clone(),
        };
        let events = clients
            .dr_automation
            .list_events(&config.orchestrator_id, &filter)
            .await
            .map_err(|e| {
                orchestrator_read_error(
                    TYPE_NAME,
                    &config.orchestrator_id,
                    &format!("events of orchestrator {}", config.orchestrator_id),
                    &e,
                )
            })?;
        config.events = Some(
            events
                .into_iter()
                .filter(|e| matches(&config.level, e.level.as_deref()))
                .filter(|e| matches(&config.action, e.action.as_deref()))
                .map(|e| EventItem {
                    event_id: e.event_id,
                    time: e.time,
                    level: e.level,
                    action: e.action,
                    resource: e.resource,
                    message: e.message,
                    api_source: e.api_source,
                    user_name: e.user.as_ref().and_then(|u| u.name.clone()),
                    user_email: e.user.and_then(|u| u.email),
                })
                .collect(),
        );
        Ok(config)
    }
}
