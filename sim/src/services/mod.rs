//! The emulated IBM services: one table of them ([`SERVICES`]) with where each is mounted and
//! its hooks into the core (`seed`, `advance`, its fault error body, and what it does when
//! another service changes the world), so adding a service is one row, not four lists.

pub mod dra;
pub mod gc;
pub mod iam;
pub mod kit;
pub mod ksys;
pub mod power;
pub mod rc;
pub mod rm;
pub mod tg;
pub mod vpc;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::scenario::Scenario;
use crate::sim::{Sim, WorldRules};
use crate::store::World;

/// Where a REST service is mounted: its URL prefix (without `/`), its routes, and its error
/// body for injected faults.
pub struct Mount {
    pub prefix: &'static str,
    pub router: fn() -> Router<Arc<Sim>>,
    pub error_response: fn(StatusCode, &str) -> Response,
}

/// One emulated service and its hooks into the core.
pub struct Service {
    /// `None` for KSYS, which is reached over SSH, not REST.
    pub mount: Option<Mount>,
    /// Builds the scenario's initial objects; later services may read earlier ones' objects.
    pub seed: Option<fn(&mut World, &Scenario, u64)>,
    /// Applies the asynchronous transitions due at `now_ms`.
    pub advance: Option<fn(&mut World, u64)>,
    /// Follows a change another service made (see [`WorldEvent`]).
    pub on_event: Option<fn(&mut World, &WorldEvent, u64)>,
}

/// A change one service makes that others follow, so no service keeps what the world no
/// longer has.
#[derive(Debug)]
pub enum WorldEvent<'a> {
    /// A Resource Controller instance was created (`service` is its catalog name); its
    /// provisioning ends at `active_at` (`None`: active at once, as seeded instances are).
    InstanceCreated {
        service: &'a str,
        guid: &'a str,
        crn: &'a str,
        name: &'a str,
        zone: &'a str,
        resource_group_id: &'a str,
        active_at: Option<u64>,
    },
    /// A Resource Controller instance is being deleted (`service` is its catalog name).
    InstanceDeleted {
        service: &'a str,
        guid: &'a str,
        crn: &'a str,
    },
    /// A KSYS cluster (named by its DR instance's GUID) logged an event, which DR Automation
    /// publishes in the instance's event list.
    KsysEvent {
        cluster: &'a str,
        level: &'a str,
        resource: &'a str,
        message: &'a str,
    },
    /// The standby node left a KSYS cluster, so the DR instance is no longer HA.
    StandbyLeftCluster { cluster: &'a str },
}

fn seed_ksys(world: &mut World, _scenario: &Scenario, _now_ms: u64) {
    ksys::seed(world);
}

/// Every service, in the order they are seeded, advanced and told of events: the Transit
/// Gateway connects the workspaces' CRNs and the VPC, so it comes after both.
pub const SERVICES: &[Service] = &[
    Service {
        mount: Some(Mount {
            prefix: "iam",
            router: iam::router,
            error_response: iam::error_response,
        }),
        seed: Some(iam::seed),
        advance: None,
        on_event: None,
    },
    Service {
        mount: Some(Mount {
            prefix: "rc",
            router: rc::router,
            error_response: rc::error_response,
        }),
        seed: Some(rc::seed),
        advance: Some(rc::advance),
        on_event: None,
    },
    Service {
        mount: Some(Mount {
            prefix: "gc",
            router: gc::router,
            error_response: gc::error_response,
        }),
        seed: None,
        advance: None,
        on_event: None,
    },
    Service {
        mount: Some(Mount {
            prefix: "rm",
            router: rm::router,
            error_response: rm::error_response,
        }),
        seed: None,
        advance: None,
        on_event: None,
    },
    Service {
        mount: Some(Mount {
            prefix: "power",
            router: power::router,
            error_response: power::error_response,
        }),
        seed: Some(power::seed),
        advance: Some(power::advance),
        on_event: Some(power::on_event),
    },
    Service {
        mount: Some(Mount {
            prefix: "vpc",
            router: vpc::router,
            error_response: vpc::error_response,
        }),
        seed: Some(vpc::seed),
        advance: Some(vpc::advance),
        on_event: None,
    },
    Service {
        mount: Some(Mount {
            prefix: "tg",
            router: tg::router,
            error_response: tg::error_response,
        }),
        seed: Some(tg::seed),
        advance: Some(tg::advance),
        on_event: Some(tg::on_event),
    },
    Service {
        mount: Some(Mount {
            prefix: "dra",
            router: dra::router,
            error_response: dra::error_response,
        }),
        seed: Some(dra::seed),
        advance: Some(dra::advance),
        on_event: Some(dra::on_event),
    },
    Service {
        mount: None,
        seed: Some(seed_ksys),
        advance: Some(ksys::advance),
        on_event: None,
    },
];

/// Every REST service mounted under its prefix (`/iam`, `/rc`, ..., as
/// `docs/guides/dr-cloudsim.md` lists them).
pub fn router() -> Router<Arc<Sim>> {
    SERVICES
        .iter()
        .filter_map(|s| s.mount.as_ref())
        .fold(Router::new(), |router, mount| {
            router.nest(&format!("/{}", mount.prefix), (mount.router)())
        })
}

/// Builds the scenario's initial objects, service by service in table order.
/// What the world is seeded and advanced by: every service in table order.
pub const WORLD_RULES: WorldRules = WorldRules {
    seed: seed_all,
    advance: advance_all,
};

pub fn seed_all(world: &mut World, scenario: &Scenario, now_ms: u64) {
    for seed in SERVICES.iter().filter_map(|s| s.seed) {
        seed(world, scenario, now_ms);
    }
}

/// Applies every asynchronous transition that is due at `now_ms`.
pub fn advance_all(world: &mut World, now_ms: u64) {
    for advance in SERVICES.iter().filter_map(|s| s.advance) {
        advance(world, now_ms);
    }
}

/// Tells every service of a change another one made, in table order.
pub fn notify(world: &mut World, event: &WorldEvent, now_ms: u64) {
    for on_event in SERVICES.iter().filter_map(|s| s.on_event) {
        on_event(world, event, now_ms);
    }
}

/// An error in the body shape of the service that owns `path` (used for injected faults).
pub fn error_response_for_path(path: &str, status: StatusCode, message: &str) -> Response {
    let prefix = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match SERVICES
        .iter()
        .filter_map(|s| s.mount.as_ref())
        .find(|mount| mount.prefix == prefix)
    {
        Some(mount) => (mount.error_response)(status, message),
        None => (
            status,
            axum::Json(serde_json::json!({"errors": [{"code": status.as_u16().to_string(), "message": message}]})),
        )
            .into_response(),
    }
}
