//! `drtest_thing`: one resource that uses every value type and schema feature the framework
//! offers, so acceptance tests can prove each one survives a real Terraform round trip.
//!
//! Its identity is `{id, zone}`: `id` names the object, `zone` (optional when importing) is
//! where it lives; a zone changed behind Terraform's back is an identity change the framework
//! refuses. A `password_wo` issued by `drtest_token` must still be open when the thing uses it,
//! and one that asked to be renewed is accepted only once Terraform renewed it, so the
//! acceptance tests see Terraform keep ephemeral values alive while they are in use.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::identity::{IdentityAttribute, IdentityData, IdentitySchema};
use tf_framework::path;
use tf_framework::resource::{CreateRequest, Resource, UpdateRequest};
use tf_framework::schema::{Attribute, Block, NestedBlock, Schema};
use tf_framework::timeouts::{self, Operation, TimeoutDefaults, Timeouts};
use tf_framework::typed::ConfigView;
use tf_framework::validators::{conflicts_with, int_between, one_of, regex_match};
use tf_framework::value::{Number, Type};

use crate::store::Store;

pub struct Thing;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub host: Option<String>,
    pub port: Option<Number>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disk {
    pub size_gb: Number,
    pub kind: Option<String>,
    pub uuid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Network {
    pub name: String,
    pub cidr: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Port {
    pub port: Number,
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    pub size: Number,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub cidr: String,
    pub action: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub mode: Option<String>,
    pub verbose: Option<bool>,
}

/// The state of a `drtest_thing`; field names are the schema's attribute names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThingState {
    pub id: Option<String>,
    pub name: String,
    pub zone: Option<String>,
    pub size: Option<Number>,
    pub big: Option<Number>,
    pub enabled: Option<bool>,
    pub tier: Option<String>,
    pub tags: Option<Vec<String>>,
    pub labels: Option<BTreeSet<String>>,
    pub meta: Option<BTreeMap<String, String>>,
    pub endpoint: Option<Endpoint>,
    pub anything: Option<serde_json::Value>,
    pub password_wo: Option<String>,
    pub api_key: Option<String>,
    pub revision: Option<i64>,
    pub disk: Option<Disk>,
    pub networks: Option<Vec<Network>>,
    pub ports: Option<Vec<Port>>,
    pub volumes: Option<BTreeMap<String, Volume>>,
    #[serde(default)]
    pub rule: Vec<Rule>,
    pub settings: Option<Settings>,
    pub timeouts: Option<Timeouts>,
}

/// The identity of a thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThingIdentity {
    pub id: Option<String>,
    pub zone: Option<String>,
}

/// The write-only `password_wo` as given, once it may be used (see [`await_usable_token`]).
async fn usable_secret(
    ctx: &Context,
    store: &Store,
    password_wo: Option<String>,
) -> Result<Option<String>, Diagnostics> {
    if let Some(secret) = &password_wo {
        await_usable_token(ctx, store, secret).await?;
    }
    Ok(password_wo)
}

/// Waits until the `drtest_token` that issued `secret` (if any) may be used: open, and renewed
/// once when it asked for renewals. Other secrets are taken as they are.
async fn await_usable_token(ctx: &Context, store: &Store, secret: &str) -> Result<(), Diagnostics> {
    if !secret.starts_with("tok-") {
        return Ok(());
    }
    ctx.run("waiting for Terraform to renew the drtest_token", async {
        loop {
            let contents = store.contents().await?;
            let token = contents.tokens.values().find(|t| t.value == secret);
            match token {
                None => {
                    return Err(Diagnostics::from_error_at(
                        path!("password_wo"),
                        "Unknown token",
                        "password_wo holds a drtest token that was never issued.",
                    ));
                }
                Some(t) if t.closed => {
                    return Err(Diagnostics::from_error_at(
                        path!("password_wo"),
                        "Token already closed",
                        format!(
                            "The drtest token {:?} was closed before the thing used it.",
                            t.name
                        ),
                    ));
                }
                Some(t) if t.renew_in_ms.is_none() || t.renewals > 0 => return Ok(()),
                Some(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await
}

/// Schema version 0 called `name` `title`.
fn upgrade_v0(mut state: serde_json::Value) -> serde_json::Value {
    if let Some(object) = state.as_object_mut()
        && let Some(title) = object.remove("title")
    {
        object.insert("name".into(), title);
    }
    state
}

/// What the store keeps: the state without write-only values and timeouts.
fn stored(state: &ThingState) -> Result<serde_json::Value, Diagnostics> {
    let mut s = state.clone();
    s.password_wo = None;
    s.timeouts = None;
    serde_json::to_value(&s)
        .map_err(|e| Diagnostics::from_error("Store error", format!("encoding the thing: {e}")))
}

fn from_store(json: serde_json::Value) -> Result<ThingState, Diagnostics> {
    serde_json::from_value(json)
        .map_err(|e| Diagnostics::from_error("Store error", format!("decoding the thing: {e}")))
}

/// Fills the values the "cloud" computes.
fn fill_computed(state: &mut ThingState, id: &str) {
    if let Some(disk) = state.disk.as_mut()
        && disk.uuid.is_none()
    {
        disk.uuid = Some(format!("disk-{id}-{}", disk.size_gb));
    }
}

#[async_trait]
impl Resource for Thing {
    type State = ThingState;

    fn type_name(&self) -> &str {
        "drtest_thing"
    }

    fn schema(&self) -> Schema {
        let string = || Type::String;
        Schema::new()
            .version(1)
            .description("A test object stored in the provider's JSON file.")
            .attribute(
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .description("Identifier assigned on create."),
            )
            .attribute(
                Attribute::string("name")
                    .required()
                    .description("Name.")
                    .validator(regex_match(
                        "^[a-z0-9-]+$",
                        "lowercase letters, digits and dashes",
                    )),
            )
            .attribute(
                Attribute::string("zone")
                    .optional()
                    .default_string("dal10")
                    .requires_replace()
                    .description("Changing the zone replaces the thing."),
            )
            .attribute(
                Attribute::number("size")
                    .optional()
                    .validator(int_between(0, 1000)),
            )
            .attribute(
                Attribute::number("big")
                    .optional()
                    .description("Arbitrary precision."),
            )
            .attribute(Attribute::bool("enabled").optional().default_bool(true))
            .attribute(
                Attribute::string("tier")
                    .optional()
                    .validator(one_of(["tier1", "tier3"])),
            )
            .attribute(Attribute::list("tags", string()).optional())
            .attribute(Attribute::set("labels", string()).optional())
            .attribute(Attribute::map("meta", string()).optional())
            .attribute(
                Attribute::object("endpoint", [("host", Type::String), ("port", Type::Number)])
                    .optional(),
            )
            .attribute(Attribute::dynamic("anything").optional())
            .attribute(
                Attribute::string("password_wo")
                    .optional()
                    .sensitive()
                    .write_only()
                    .description("Write-only: sent on create and update, never stored."),
            )
            .attribute(Attribute::string("api_key").optional().sensitive())
            .attribute(
                Attribute::number("revision")
                    .computed()
                    .description("Increases on every update."),
            )
            .attribute(
                Attribute::single_nested(
                    "disk",
                    vec![
                        Attribute::number("size_gb").required(),
                        Attribute::string("kind").optional().default_string("ssd"),
                        Attribute::string("uuid").computed().use_state_for_unknown(),
                    ],
                )
                .optional(),
            )
            .attribute(
                Attribute::list_nested(
                    "networks",
                    vec![
                        Attribute::string("name").required(),
                        Attribute::string("cidr").optional(),
                    ],
                )
                .optional(),
            )
            .attribute(
                Attribute::set_nested(
                    "ports",
                    vec![
                        Attribute::number("port").required(),
                        Attribute::string("protocol").optional(),
                    ],
                )
                .optional(),
            )
            .attribute(
                Attribute::map_nested("volumes", vec![Attribute::number("size").required()])
                    .optional(),
            )
            .block(
                NestedBlock::list(
                    "rule",
                    Block::new()
                        .attribute(Attribute::string("cidr").required())
                        .attribute(
                            Attribute::string("action")
                                .optional()
                                .default_string("allow")
                                .validator(one_of(["allow", "deny"])),
                        ),
                )
                .max_items(5),
            )
            .block(NestedBlock::single(
                "settings",
                Block::new()
                    .attribute(Attribute::string("mode").optional())
                    .attribute(Attribute::bool("verbose").optional()),
            ))
            .block(timeouts::block(&[
                Operation::Create,
                Operation::Update,
                Operation::Delete,
            ]))
            .config_validator(conflicts_with([path!("password_wo"), path!("api_key")]))
    }

    fn timeout_defaults(&self) -> TimeoutDefaults {
        TimeoutDefaults::all(Duration::from_secs(60))
    }

    async fn validate(&self, _ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        let mut diags = Diagnostics::new();
        // A cross-attribute rule in code: a `deny` rule needs a name that says so.
        if let Ok(rules) = config.get::<Vec<Rule>>(&path!("rule"))
            && let Some(rules) = rules.known()
            && let Ok(name) = config.get::<String>(&path!("name"))
            && let Some(name) = name.known()
        {
            for (i, rule) in rules.iter().enumerate() {
                if rule.action.as_deref() == Some("deny") && !name.contains("deny") {
                    diags.error_at(
                        path!("rule", i, "action"),
                        "Deny rules need a deny name",
                        format!(
                            "A thing with a deny rule must have \"deny\" in its name; got {name:?}."
                        ),
                    );
                }
            }
        }
        diags
    }

    async fn create(
        &self,
        ctx: &Context,
        req: CreateRequest<ThingState>,
    ) -> Result<ThingState, Diagnostics> {
        let store = ctx.provider_data::<Store>()?;
        let mut state = req.planned;
        let secret = usable_secret(ctx, &store, req.config.password_wo.clone()).await?;
        let saved = ctx
            .run("storing the thing", async {
                store
                    .update(|c| {
                        c.next_id += 1;
                        let id = format!("thing-{}", c.next_id);
                        state.id = Some(id.clone());
                        state.revision = Some(1);
                        fill_computed(&mut state, &id);
                        c.things.insert(id.clone(), stored(&state)?);
                        if let Some(secret) = secret {
                            c.secrets.insert(id, secret);
                        }
                        Ok(state.clone())
                    })
                    .await
            })
            .await?;
        Ok(saved)
    }

    async fn read(
        &self,
        ctx: &Context,
        state: ThingState,
    ) -> Result<Option<ThingState>, Diagnostics> {
        let store = ctx.provider_data::<Store>()?;
        let Some(id) = state.id.clone() else {
            return Ok(None);
        };
        let Some(json) = store.get(&id).await? else {
            return Ok(None);
        };
        let mut found = from_store(json)?;
        // Timeouts live only in configuration/state, not in the "cloud".
        found.timeouts = state.timeouts;
        Ok(Some(found))
    }

    async fn update(
        &self,
        ctx: &Context,
        req: UpdateRequest<ThingState>,
    ) -> Result<ThingState, Diagnostics> {
        let store = ctx.provider_data::<Store>()?;
        let mut state = req.planned;
        let id = req.prior.id.clone().unwrap_or_default();
        state.id = Some(id.clone());
        state.revision = req.prior.revision;
        fill_computed(&mut state, &id);
        // Terraform also applies "updates" that change nothing but sensitivity marks; the
        // framework then plans the revision as known, so it may only move on a real change.
        if stored(&state)? != stored(&req.prior)? {
            state.revision = Some(req.prior.revision.unwrap_or(0) + 1);
        }
        let secret = usable_secret(ctx, &store, req.config.password_wo.clone()).await?;
        let to_store = stored(&state)?;
        store
            .update(|c| {
                c.things.insert(id.clone(), to_store);
                match secret {
                    Some(s) => c.secrets.insert(id, s),
                    None => c.secrets.remove(&id),
                };
                Ok(())
            })
            .await?;
        Ok(state)
    }

    async fn delete(&self, ctx: &Context, state: ThingState) -> Result<(), Diagnostics> {
        let store = ctx.provider_data::<Store>()?;
        if let Some(id) = state.id {
            store
                .update(|c| {
                    c.things.remove(&id);
                    c.secrets.remove(&id);
                    Ok(())
                })
                .await?;
        }
        Ok(())
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<ThingState, Diagnostics> {
        let store = ctx.provider_data::<Store>()?;
        match store.get(id).await? {
            Some(json) => from_store(json),
            None => Err(Diagnostics::from_error(
                "Cannot import non-existent remote object",
                format!("No drtest_thing has id {id:?}."),
            )),
        }
    }

    async fn upgrade_state(
        &self,
        _ctx: &Context,
        from_version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        match from_version {
            0 => Ok(upgrade_v0(state)),
            v => Err(Diagnostics::from_error(
                "Unable to upgrade resource state",
                format!("drtest_thing has no upgrader from schema version {v}."),
            )),
        }
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(
            IdentitySchema::new()
                .attribute(
                    IdentityAttribute::string("id")
                        .required_for_import()
                        .description("The thing's id, `thing-<n>`."),
                )
                .attribute(
                    IdentityAttribute::string("zone")
                        .optional_for_import()
                        .description("Where the thing lives; found from the id when omitted."),
                ),
        )
    }

    fn identity(&self, state: &ThingState) -> Result<IdentityData, Diagnostics> {
        IdentityData::new(&ThingIdentity {
            id: state.id.clone(),
            zone: state.zone.clone(),
        })
    }

    async fn import_by_identity(
        &self,
        ctx: &Context,
        identity: IdentityData,
    ) -> Result<ThingState, Diagnostics> {
        let wanted: ThingIdentity = identity.get()?;
        let id = wanted.id.unwrap_or_default();
        let found = self.import(ctx, &id).await?;
        match wanted.zone {
            Some(zone) if found.zone.as_deref() != Some(zone.as_str()) => {
                Err(Diagnostics::from_error(
                    "Cannot import non-existent remote object",
                    format!("No drtest_thing {id:?} lives in zone {zone:?}."),
                ))
            }
            _ => Ok(found),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    #[test]
    fn v0_title_becomes_name() {
        let v0 = serde_json::json!({"id": "thing-1", "title": "old"});
        let v1 = upgrade_v0(v0);
        assert_eq!(v1["name"], "old");
        assert!(v1.get("title").is_none());
    }

    #[test]
    fn identity_is_id_and_zone() {
        let s: ThingState = serde_json::from_value(serde_json::json!({
            "id": "thing-3", "name": "a", "zone": "dal12"
        }))
        .expect("state");
        let identity = Thing.identity(&s).expect("identity");
        assert_eq!(
            identity.get::<ThingIdentity>().expect("typed"),
            ThingIdentity {
                id: Some("thing-3".into()),
                zone: Some("dal12".into())
            }
        );
        assert_eq!(Thing.identity_schema().expect("declared").check(), Ok(()));
    }

    #[test]
    fn disk_uuid_is_derived_once() {
        let mut s: ThingState = serde_json::from_value(serde_json::json!({
            "name": "a", "disk": {"size_gb": 5}
        }))
        .expect("state");
        fill_computed(&mut s, "thing-1");
        assert_eq!(
            s.disk.as_ref().and_then(|d| d.uuid.as_deref()),
            Some("disk-thing-1-5")
        );
        fill_computed(&mut s, "thing-2");
        assert_eq!(
            s.disk.and_then(|d| d.uuid).as_deref(),
            Some("disk-thing-1-5")
        );
    }
}
