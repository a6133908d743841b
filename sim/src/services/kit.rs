//! What the emulated IBM services share, so that a new handler is written the same way in
//! every service: one error type whose body each service lays out in its own API's shape,
//! the platform services' error body, the `version` date check of the regional APIs, and
//! the authenticated-request and request-body extractors ([`CheckedRequest`],
//! [`CheckedBody`]) and the paging ([`page_window`]) of VPC and Transit Gateway.
//!
//! Each IBM API has its own error body (VPC's `errors[]` with `more_info` and `target`,
//! Transit Gateway's without `status_code`, DR Automation's bare `errors[]`, PowerVS's flat
//! `{code, description, error, message}`), and the official SDKs parse exactly those; so the
//! error is one type, [`IbmError`], and the layout is a per-service [`ErrorStyle`].

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::sim::Sim;
use crate::store::public_view;
use crate::util;

/// The field of the request an error is about, as the VPC and Transit Gateway APIs name it.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorTarget {
    pub name: String,
    /// `field` (a body field) or `query` (a query parameter).
    pub kind: &'static str,
    /// The rejected value, when the API echoes it (VPC does).
    pub value: Option<String>,
}

/// How one service lays out an [`IbmError`] in its response body.
pub trait ErrorStyle {
    fn body(error: &IbmError<Self>) -> Value
    where
        Self: Sized;
}

/// An IBM API error: status, IBM's error code, message and optional target; `S` says whose
/// body shape it answers with. Each service gives its own constructors (`not_found`, ...) in
/// an `impl IbmError<ItsStyle>` block next to its handlers.
#[derive(Debug, Clone, PartialEq)]
pub struct IbmError<S> {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub target: Option<ErrorTarget>,
    style: PhantomData<S>,
}

impl<S> IbmError<S> {
    pub fn with_status(
        status: StatusCode,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        IbmError {
            status,
            code: code.into(),
            message: message.into(),
            target: None,
            style: PhantomData,
        }
    }

    pub fn with_target(mut self, target: ErrorTarget) -> Self {
        self.target = Some(target);
        self
    }
}

impl<S: ErrorStyle> IntoResponse for IbmError<S> {
    fn into_response(self) -> Response {
        let body = S::body(&self);
        (self.status, Json(body)).into_response()
    }
}

/// A trace id of 32 hex digits, as Transit Gateway and DR Automation return it.
pub(crate) fn hex_trace_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// A trace id in the UUID layout the VPC API returns.
pub(crate) fn uuid_trace_id() -> String {
    let n: u128 = rand::random();
    util::uuid_layout(&format!("{n:032x}"))
}

/// The resource group a create names (by id or name) among `groups`, or with none named the
/// account's default group (else the first), as VPC and Transit Gateway pick it.
pub(crate) fn pick_resource_group<'a>(
    groups: &[&'a Value],
    wanted: Option<&str>,
) -> Option<&'a Value> {
    match wanted {
        Some(w) => groups
            .iter()
            .find(|g| g["id"].as_str() == Some(w) || g["name"].as_str() == Some(w)),
        None => groups
            .iter()
            .find(|g| g["default"].as_bool() == Some(true))
            .or_else(|| groups.first()),
    }
    .copied()
}

/// The platform services' (Resource Controller, Resource Manager, Global Catalog) error body:
/// `{error_code, message, status_code, transaction_id}`.
pub fn platform_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({
        "error_code": code,
        "message": message,
        "status_code": status.as_u16(),
        "transaction_id": format!("sim-{}", util::now_ms()),
    });
    (status, Json(body)).into_response()
}

/// The error code a service gives a fault-injected `status`: its own code for the statuses
/// in `codes`, `server` for another 5xx, `other` for the rest.
pub fn fault_code<'a>(
    status: StatusCode,
    codes: &[(u16, &'a str)],
    server: &'a str,
    other: &'a str,
) -> &'a str {
    match codes.iter().find(|(s, _)| *s == status.as_u16()) {
        Some((_, code)) => code,
        None if status.is_server_error() => server,
        None => other,
    }
}

/// A platform API (Resource Controller, Resource Manager), for the error code of its 401.
pub trait Platform {
    const UNAUTHORIZED: &'static str;
}

/// A caller of platform API `P` with a valid token, and the simulator; without a valid token
/// the request gets `P`'s 401. Handlers take it after their path and query, where they
/// checked the token before.
pub struct PlatformCaller<P> {
    pub sim: Arc<Sim>,
    api: PhantomData<P>,
}

impl<P: Platform> FromRequestParts<Arc<Sim>> for PlatformCaller<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, sim: &Arc<Sim>) -> Result<Self, Response> {
        match sim.authenticate(&parts.headers) {
            Ok(_) => Ok(PlatformCaller {
                sim: Arc::clone(sim),
                api: PhantomData,
            }),
            Err(e) => Err(platform_error(
                StatusCode::UNAUTHORIZED,
                P::UNAUTHORIZED,
                &e.to_string(),
            )),
        }
    }
}

/// `YYYY-MM-DD` with a plausible month and day: the `version` query parameter the VPC and
/// Transit Gateway APIs require on every call.
pub(crate) fn is_version_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let digits = |range: std::ops::Range<usize>| {
        text.get(range)
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<u32>().ok())
    };
    matches!(
        (digits(0..4), digits(5..7), digits(8..10)),
        (Some(_), Some(1..=12), Some(1..=31))
    )
}

/// What a service checks on every request before its handler runs (for VPC: the token,
/// `version` and `generation=2`; for Transit Gateway: the token and `version`).
pub trait RequestCheck {
    /// The service's own error, answered when a check fails.
    type Error: IntoResponse;

    fn check(
        sim: &Sim,
        headers: &HeaderMap,
        params: &HashMap<String, String>,
    ) -> Result<(), Self::Error>;

    /// A request body as the JSON object every create and update sends, or the service's 400.
    fn parse_body(body: &Bytes) -> Result<Map<String, Value>, Self::Error>;
}

/// The preamble the VPC and Transit Gateway handlers share, as an extractor: the state, the
/// headers and the query, with `C`'s checks passed. It goes after the `Path` extractor, so a
/// handler sees the same errors in the same order as when it made the checks itself.
pub struct CheckedRequest<C> {
    pub sim: Arc<Sim>,
    pub headers: HeaderMap,
    pub params: HashMap<String, String>,
    check: PhantomData<C>,
}

impl<C: RequestCheck> FromRequestParts<Arc<Sim>> for CheckedRequest<C> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, sim: &Arc<Sim>) -> Result<Self, Response> {
        let headers = parts.headers.clone();
        let Query(params) = Query::<HashMap<String, String>>::from_request_parts(parts, sim)
            .await
            .map_err(IntoResponse::into_response)?;
        C::check(sim, &headers, &params).map_err(IntoResponse::into_response)?;
        Ok(CheckedRequest {
            sim: Arc::clone(sim),
            headers,
            params,
            check: PhantomData,
        })
    }
}

/// The JSON object body of a create or update, as an extractor: `C::parse_body` of the
/// bytes. It is the last extractor, so a bad body is answered after `C`'s checks, as when a
/// handler parsed the body itself first thing.
pub struct CheckedBody<C> {
    pub body: Map<String, Value>,
    check: PhantomData<C>,
}

impl<C: RequestCheck> FromRequest<Arc<Sim>> for CheckedBody<C> {
    type Rejection = Response;

    async fn from_request(request: Request, sim: &Arc<Sim>) -> Result<Self, Response> {
        let bytes = Bytes::from_request(request, sim)
            .await
            .map_err(IntoResponse::into_response)?;
        let body = C::parse_body(&bytes).map_err(IntoResponse::into_response)?;
        Ok(CheckedBody {
            body,
            check: PhantomData,
        })
    }
}

/// The emulator's own base URL as the client reached it.
pub(crate) fn base_url(sim: &Sim, headers: &HeaderMap) -> String {
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}"),
        None => format!("http://{}", sim.config().listen),
    }
}

/// The base URL of the client's view of a service (`http://<Host>/<service_path>`), for the
/// links of collection pages.
pub(crate) fn request_base(headers: &HeaderMap, service_path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}{service_path}")
}

/// One page of a collection, cut by the `limit` and `start` (an object id) query parameters.
pub(crate) struct PageWindow {
    pub limit: usize,
    /// The page's objects, as the API shows them.
    pub items: Vec<Value>,
    /// The id the next page starts at, when there is one.
    pub next_start: Option<String>,
}

/// Cuts one page out of `items` (in creation order): `limit` defaults to `default_limit` and
/// must be within `1..=max_limit`, `start` must be the id of one of the items; each service
/// answers a bad one with its own error (`bad_limit`, `bad_start` get the rejected text).
pub(crate) fn page_window<E>(
    params: &HashMap<String, String>,
    items: &[Value],
    (default_limit, max_limit): (usize, usize),
    bad_limit: impl FnOnce(&String) -> E,
    bad_start: impl FnOnce(&String) -> E,
) -> Result<PageWindow, E> {
    let limit = match params.get("limit") {
        None => default_limit,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=max_limit).contains(&n) => n,
            _ => return Err(bad_limit(l)),
        },
    };
    let start_index = match params.get("start") {
        None => 0,
        Some(start) => items
            .iter()
            .position(|item| item["id"].as_str() == Some(start.as_str()))
            .ok_or_else(|| bad_start(start))?,
    };
    Ok(PageWindow {
        limit,
        items: items
            .iter()
            .skip(start_index)
            .take(limit)
            .map(public_view)
            .collect(),
        next_start: items
            .get(start_index + limit)
            .and_then(|next| next["id"].as_str())
            .map(str::to_owned),
    })
}
