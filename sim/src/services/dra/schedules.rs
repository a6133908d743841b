//! Recurring DR tests (`/dra/orchestrator/v1/{instance_id}/test_schedules`), part of the
//! project's own orchestrator API (IBM's orchestrator schedules tests in its UI only).
//!
//! A schedule is a standard 5-field cron expression (minute, hour, day of month, month,
//! day of week; `*`, lists, ranges, steps, and `jan`-`dec` / `sun`-`sat` names; day of week
//! 0 or 7 is Sunday; when both day fields are restricted either may match, as in cron) read
//! in a time zone. The emulator has no tz database: it knows the fixed zones and DST rules
//! of [`ZONES`] (US, EU and south-east Australian rules as in force since 2007), which is
//! exact for those zones today; any other zone name is refused with a 400 listing them.
//! A wall time skipped by a spring-forward change does not run; an ambiguous one (autumn)
//! runs once, at its first occurrence.
//!
//! When `next_run` passes, [`advance`] starts a `test` operation (the emulator advances
//! lazily, so it starts with the first request after that time, and an idle emulator
//! catches up with one run, not many); a run that cannot start
//! (another operation running, orchestrator not active) is recorded as `skipped`. The
//! schedule keeps the time scale it was written with, since `advance` cannot see it.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::{Date, Month};

use super::operations::{self, OpKind, OpStatus};
use super::{
    DEPLOYMENTS, DraError, DraResult, SERVICE, authenticate, dr_instance, guid_of, parse_body,
    record_event,
};
use crate::sim::Sim;
use crate::store::{World, public_view};
use crate::util;

pub(super) const TEST_SCHEDULES: &str = "test_schedules";
const MAX_SCHEDULES_PER_INSTANCE: usize = 20;
const DEFAULT_TIME_ZONE: &str = "UTC";
/// How far ahead a next run is looked for (covers `0 0 29 2 *`).
const SEARCH_DAYS: i64 = 8 * 366;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct LastResult {
    pub operation_id: Option<String>,
    pub status: String,
    pub finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Schedule {
    pub id: String,
    pub instance_id: String,
    pub cron: String,
    pub time_zone: String,
    pub enabled: bool,
    pub next_run: Option<String>,
    pub last_result: Option<LastResult>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(rename = "_next_run_ms", default)]
    next_run_ms: Option<u64>,
    #[serde(rename = "_time_scale", default = "unit_scale")]
    time_scale: f64,
}

fn unit_scale() -> f64 {
    1.0
}

pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route(
            "/orchestrator/v1/{instance_id}/test_schedules",
            get(list).post(create),
        )
        .route(
            "/orchestrator/v1/{instance_id}/test_schedules/{schedule_id}",
            get(show).patch(update).delete(remove),
        )
}

// ---------------------------------------------------------------------------------------
// Cron

/// A parsed 5-field cron expression, one bit per allowed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cron {
    minutes: u64,
    hours: u32,
    days_of_month: u32,
    months: u16,
    days_of_week: u8,
    any_day_of_month: bool,
    any_day_of_week: bool,
}

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

struct FieldSpec {
    label: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Value of the first name (1 for months, 0 for days of week).
    names_start: u32,
}

const FIELDS: [FieldSpec; 5] = [
    FieldSpec {
        label: "minute",
        min: 0,
        max: 59,
        names: &[],
        names_start: 0,
    },
    FieldSpec {
        label: "hour",
        min: 0,
        max: 23,
        names: &[],
        names_start: 0,
    },
    FieldSpec {
        label: "day of month",
        min: 1,
        max: 31,
        names: &[],
        names_start: 0,
    },
    FieldSpec {
        label: "month",
        min: 1,
        max: 12,
        names: &MONTH_NAMES,
        names_start: 1,
    },
    FieldSpec {
        label: "day of week",
        min: 0,
        max: 7,
        names: &DAY_NAMES,
        names_start: 0,
    },
];

fn field_value(spec: &FieldSpec, text: &str) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = spec.names.iter().position(|n| *n == lower) {
        return Ok(spec.names_start + i as u32);
    }
    let value: u32 = text
        .parse()
        .map_err(|_| format!("{} value {text:?} is not a number", spec.label))?;
    if value < spec.min || value > spec.max {
        return Err(format!(
            "{} value {value} is out of range {}-{}",
            spec.label, spec.min, spec.max
        ));
    }
    Ok(value)
}

/// The set of values one field allows, as a bit mask.
fn parse_field(spec: &FieldSpec, text: &str) -> Result<u64, String> {
    let mut bits = 0u64;
    for item in text.split(',') {
        if item.is_empty() {
            return Err(format!(
                "{} field {text:?} has an empty list item",
                spec.label
            ));
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                    format!("{} step {s:?} must be a positive number", spec.label)
                })?;
                (r, step)
            }
            None => (item, 1),
        };
        let (start, end) = if range == "*" {
            (spec.min, spec.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (field_value(spec, a)?, field_value(spec, b)?);
            if a > b {
                return Err(format!("{} range {range} runs backwards", spec.label));
            }
            (a, b)
        } else {
            let a = field_value(spec, range)?;
            // `5/15` means from 5 to the end in steps of 15.
            (a, if item.contains('/') { spec.max } else { a })
        };
        let mut v = start;
        while v <= end {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok(bits)
}

impl Cron {
    pub(super) fn parse(expression: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = expression.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "cron {expression:?} must have 5 fields (minute hour day-of-month month day-of-week), found {}",
                fields.len()
            ));
        }
        let mut masks = [0u64; 5];
        for (i, (spec, text)) in FIELDS.iter().zip(&fields).enumerate() {
            masks[i] = parse_field(spec, text)
                .map_err(|e| format!("cron {expression:?} is not valid: {e}"))?;
        }
        // Day of week 7 is Sunday, like 0.
        let mut dow = masks[4];
        if dow & (1 << 7) != 0 {
            dow = (dow | 1) & !(1 << 7);
        }
        let unrestricted = |t: &str| t.starts_with('*');
        Ok(Cron {
            minutes: masks[0],
            hours: masks[1] as u32,
            days_of_month: masks[2] as u32,
            months: masks[3] as u16,
            days_of_week: dow as u8,
            any_day_of_month: unrestricted(fields[2]),
            any_day_of_week: unrestricted(fields[4]),
        })
    }

    fn matches_date(&self, date: Date) -> bool {
        if self.months & (1 << u8::from(date.month())) == 0 {
            return false;
        }
        let dom = self.days_of_month & (1 << date.day()) != 0;
        let dow = self.days_of_week & (1 << date.weekday().number_days_from_sunday()) != 0;
        match (self.any_day_of_month, self.any_day_of_week) {
            (true, true) => true,
            (true, false) => dow,
            (false, true) => dom,
            (false, false) => dom || dow,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Time zones

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DstRule {
    None,
    /// Second Sunday of March 02:00 local to first Sunday of November 02:00 local.
    Us,
    /// Last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC.
    Eu,
    /// First Sunday of October 02:00 standard to first Sunday of April 03:00 daylight.
    AuSouthEast,
}

/// Zones the emulator can schedule in: name, standard UTC offset in minutes, DST rule.
const ZONES: &[(&str, i64, DstRule)] = &[
    ("UTC", 0, DstRule::None),
    ("Etc/UTC", 0, DstRule::None),
    ("America/New_York", -300, DstRule::Us),
    ("America/Toronto", -300, DstRule::Us),
    ("America/Chicago", -360, DstRule::Us),
    ("America/Denver", -420, DstRule::Us),
    ("America/Phoenix", -420, DstRule::None),
    ("America/Los_Angeles", -480, DstRule::Us),
    ("America/Sao_Paulo", -180, DstRule::None),
    ("Europe/London", 0, DstRule::Eu),
    ("Europe/Dublin", 0, DstRule::Eu),
    ("Europe/Paris", 60, DstRule::Eu),
    ("Europe/Berlin", 60, DstRule::Eu),
    ("Europe/Madrid", 60, DstRule::Eu),
    ("Europe/Amsterdam", 60, DstRule::Eu),
    ("Asia/Kolkata", 330, DstRule::None),
    ("Asia/Singapore", 480, DstRule::None),
    ("Asia/Tokyo", 540, DstRule::None),
    ("Australia/Sydney", 600, DstRule::AuSouthEast),
];

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

fn zone(name: &str) -> Option<(i64, DstRule)> {
    ZONES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, offset, rule)| (*offset * MINUTE_MS, *rule))
}

fn epoch_day(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - 2_440_588
}

fn date_of_epoch_day(day: i64) -> Option<Date> {
    Date::from_julian_day(i32::try_from(day + 2_440_588).ok()?).ok()
}

/// Epoch ms of midnight (as if UTC) of the `n`-th Sunday of a month, or the last if `n` is 0.
fn sunday(year: i32, month: Month, n: u8) -> Option<i64> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let to_sunday = i64::from((7 - first.weekday().number_days_from_sunday()) % 7);
    let first_sunday = epoch_day(first) + to_sunday;
    let day = if n == 0 {
        let mut d = first_sunday;
        while date_of_epoch_day(d + 7)?.month() == month {
            d += 7;
        }
        d
    } else {
        first_sunday + 7 * (i64::from(n) - 1)
    };
    Some(day * DAY_MS)
}

/// The UTC offset (ms) in force at `utc_ms`.
fn offset_at(utc_ms: i64, standard: i64, rule: DstRule) -> i64 {
    let Some(date) = date_of_epoch_day(utc_ms.div_euclid(DAY_MS)) else {
        return standard;
    };
    let year = date.year();
    let window = match rule {
        DstRule::None => None,
        DstRule::Us => sunday(year, Month::March, 2)
            .zip(sunday(year, Month::November, 1))
            .map(|(s, e)| {
                (
                    s + 2 * HOUR_MS - standard,
                    e + 2 * HOUR_MS - standard - HOUR_MS,
                )
            }),
        DstRule::Eu => sunday(year, Month::March, 0)
            .zip(sunday(year, Month::October, 0))
            .map(|(s, e)| (s + HOUR_MS, e + HOUR_MS)),
        DstRule::AuSouthEast => sunday(year, Month::October, 1)
            .zip(sunday(year, Month::April, 1))
            .map(|(s, e)| {
                (
                    s + 2 * HOUR_MS - standard,
                    e + 3 * HOUR_MS - standard - HOUR_MS,
                )
            }),
    };
    let in_dst = match (rule, window) {
        (DstRule::AuSouthEast, Some((start, end))) => utc_ms >= start || utc_ms < end,
        (_, Some((start, end))) => utc_ms >= start && utc_ms < end,
        _ => false,
    };
    if in_dst { standard + HOUR_MS } else { standard }
}

/// The first minute strictly after `after_ms` that the cron allows in the zone.
pub(super) fn next_run(cron: &Cron, time_zone: &str, after_ms: u64) -> Option<u64> {
    let (standard, rule) = zone(time_zone)?;
    let after = i64::try_from(after_ms).ok()?;
    let local_after = after + offset_at(after, standard, rule);
    let first_day = local_after.div_euclid(DAY_MS) - 1;
    let offsets: Vec<i64> = if rule == DstRule::None {
        vec![standard]
    } else {
        vec![standard + HOUR_MS, standard]
    };
    for day in first_day..first_day + SEARCH_DAYS {
        let date = date_of_epoch_day(day)?;
        if !cron.matches_date(date) {
            continue;
        }
        for hour in (0..24).filter(|h| cron.hours & (1 << h) != 0) {
            for minute in (0..60).filter(|m| cron.minutes & (1u64 << m) != 0) {
                let local =
                    day * DAY_MS + i64::from(hour) * HOUR_MS + i64::from(minute) * MINUTE_MS;
                if local + 2 * HOUR_MS <= local_after {
                    continue;
                }
                // A wall time maps to the UTC instants whose offset is the one assumed:
                // none in a spring-forward gap, two in the autumn overlap (take the first).
                let found = offsets
                    .iter()
                    .map(|o| local - o)
                    .filter(|utc| offset_at(*utc, standard, rule) == local - utc)
                    .filter(|utc| *utc > after)
                    .min();
                if let Some(utc) = found {
                    return u64::try_from(utc).ok();
                }
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// Storage and time

fn load(world: &World, id: &str) -> Option<Schedule> {
    world
        .get(SERVICE, TEST_SCHEDULES, id)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn store(world: &mut World, schedule: &Schedule) {
    if let Ok(value) = serde_json::to_value(schedule) {
        world.insert(SERVICE, TEST_SCHEDULES, &schedule.id, value);
    }
}

fn view(schedule: &Schedule) -> Value {
    serde_json::to_value(schedule)
        .map(|v| public_view(&v))
        .unwrap_or(Value::Null)
}

/// Recomputes the next run after `now_ms` (none while disabled or when the cron never fires).
fn reschedule(schedule: &mut Schedule, now_ms: u64) {
    let next = if schedule.enabled {
        Cron::parse(&schedule.cron)
            .ok()
            .and_then(|c| next_run(&c, &schedule.time_zone, now_ms))
    } else {
        None
    };
    schedule.next_run_ms = next;
    schedule.next_run = next.map(util::rfc3339);
}

/// Starts the DR tests whose time has come.
pub(super) fn advance(world: &mut World, now_ms: u64) {
    let due = world.ids_where(SERVICE, TEST_SCHEDULES, |s| {
        s["enabled"].as_bool() == Some(true)
            && s["_next_run_ms"].as_u64().is_some_and(|t| t <= now_ms)
    });
    for id in due {
        let Some(mut schedule) = load(world, &id) else {
            continue;
        };
        let planned = schedule.next_run_ms.unwrap_or(now_ms);
        let started = operations::start_operation(
            world,
            &schedule.instance_id,
            OpKind::Test,
            None,
            schedule.time_scale,
            now_ms,
            None,
            Some(&id),
        );
        schedule.last_result = Some(match started {
            Ok(op) => LastResult {
                operation_id: Some(op.id),
                status: OpStatus::Running.as_str().into(),
                finished_at: None,
                message: None,
            },
            Err(e) => {
                record_event(
                    world,
                    &schedule.instance_id,
                    "test",
                    "warning",
                    "drtestschedule",
                    format!(
                        "Scheduled DR test {id} ({}, {}) was skipped: {}",
                        schedule.cron, schedule.time_zone, e.message
                    ),
                    None,
                    planned,
                );
                LastResult {
                    operation_id: None,
                    status: "skipped".into(),
                    finished_at: Some(util::rfc3339(planned)),
                    message: Some(e.message),
                }
            }
        });
        reschedule(&mut schedule, now_ms);
        store(world, &schedule);
    }
}

/// A scheduled test finished: it becomes the schedule's last result.
pub(super) fn on_operation_finished(
    world: &mut World,
    schedule_id: &str,
    operation_id: &str,
    status: OpStatus,
    at_ms: u64,
) {
    let Some(mut schedule) = load(world, schedule_id) else {
        return;
    };
    schedule.last_result = Some(LastResult {
        operation_id: Some(operation_id.to_owned()),
        status: status.as_str().into(),
        finished_at: Some(util::rfc3339(at_ms)),
        message: None,
    });
    store(world, &schedule);
}

pub(super) fn on_instance_deleted(world: &mut World, guid: &str) {
    for id in world.ids_where(SERVICE, TEST_SCHEDULES, |s| {
        s["instance_id"].as_str() == Some(guid)
    }) {
        world.remove(SERVICE, TEST_SCHEDULES, &id);
    }
}

/// The instance's schedules in creation order.
pub(super) fn schedules_of(world: &World, guid: &str) -> Vec<Schedule> {
    world
        .ids_where(SERVICE, TEST_SCHEDULES, |s| {
            s["instance_id"].as_str() == Some(guid)
        })
        .iter()
        .filter_map(|id| load(world, id))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Handlers

fn respond(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

fn check_cron(text: &str) -> Result<(), DraError> {
    Cron::parse(text).map(|_| ()).map_err(DraError::bad_request)
}

fn check_zone(text: &str) -> Result<(), DraError> {
    if zone(text).is_some() {
        return Ok(());
    }
    let known: Vec<&str> = ZONES.iter().map(|(n, _, _)| *n).collect();
    Err(DraError::bad_request(format!(
        "time_zone {text:?} is not supported by this orchestrator; use one of: {}",
        known.join(", ")
    )))
}

/// The fields a schedule body may carry, type-checked.
struct Fields {
    cron: Option<String>,
    time_zone: Option<String>,
    enabled: Option<bool>,
}

fn fields(body: &Map<String, Value>) -> Result<Fields, DraError> {
    if let Some(bad) = body
        .keys()
        .find(|k| !matches!(k.as_str(), "cron" | "time_zone" | "enabled"))
    {
        return Err(DraError::bad_request(format!(
            "unknown field {bad}; a test schedule takes cron, time_zone and enabled"
        )));
    }
    let text = |key: &str| match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(DraError::bad_request(format!("{key} must be a string"))),
    };
    let enabled = match body.get("enabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(DraError::bad_request("enabled must be a boolean")),
    };
    let out = Fields {
        cron: text("cron")?,
        time_zone: text("time_zone")?,
        enabled,
    };
    if let Some(c) = &out.cron {
        check_cron(c)?;
    }
    if let Some(z) = &out.time_zone {
        check_zone(z)?;
    }
    Ok(out)
}

fn find(world: &World, guid: &str, id: &str) -> Result<Schedule, DraError> {
    load(world, id)
        .filter(|s| s.instance_id == guid)
        .ok_or_else(|| {
            DraError::not_found(format!(
                "test schedule {id} was not found for service instance {guid}"
            ))
        })
}

async fn list(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let items: Vec<Value> = schedules_of(&world, &guid).iter().map(view).collect();
    Ok(respond(StatusCode::OK, json!({"test_schedules": items})))
}

async fn create(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> DraResult {
    let claims = authenticate(&sim, &headers)?;
    let body = parse_body(&body)?;
    let f = fields(&body)?;
    let cron = f
        .cron
        .ok_or_else(|| DraError::bad_request("cron is required, e.g. \"0 2 * * 0\""))?;
    let time_zone = f.time_zone.unwrap_or_else(|| DEFAULT_TIME_ZONE.to_owned());
    let mut world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    if world.get(SERVICE, DEPLOYMENTS, &guid).is_none() {
        return Err(DraError::bad_request(format!(
            "DR is not deployed for service instance {guid}; deploy the orchestrator (manage_dr) first"
        )));
    }
    if schedules_of(&world, &guid).len() >= MAX_SCHEDULES_PER_INSTANCE {
        return Err(DraError::bad_request(format!(
            "service instance {guid} already has {MAX_SCHEDULES_PER_INSTANCE} test schedules"
        )));
    }
    let now = sim.now_ms();
    let mut schedule = Schedule {
        id: world.new_id(),
        instance_id: guid.clone(),
        cron,
        time_zone,
        enabled: f.enabled.unwrap_or(true),
        next_run: None,
        last_result: None,
        created_at: util::rfc3339(now),
        updated_at: util::rfc3339(now),
        next_run_ms: None,
        time_scale: sim.config().time_scale,
    };
    reschedule(&mut schedule, now);
    store(&mut world, &schedule);
    record_event(
        &mut world,
        &guid,
        "create",
        "info",
        "drtestschedule",
        format!(
            "DR test schedule {} created: {} ({}), next run {}.",
            schedule.id,
            schedule.cron,
            schedule.time_zone,
            schedule.next_run.as_deref().unwrap_or("none")
        ),
        Some(&claims),
        now,
    );
    Ok(respond(StatusCode::CREATED, view(&schedule)))
}

async fn show(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path((id, schedule_id)): Path<(String, String)>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    Ok(respond(
        StatusCode::OK,
        view(&find(&world, &guid, &schedule_id)?),
    ))
}

async fn update(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path((id, schedule_id)): Path<(String, String)>,
    body: Bytes,
) -> DraResult {
    let claims = authenticate(&sim, &headers)?;
    let body = parse_body(&body)?;
    let f = fields(&body)?;
    let mut world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let mut schedule = find(&world, &guid, &schedule_id)?;
    let now = sim.now_ms();
    if let Some(c) = f.cron {
        schedule.cron = c;
    }
    if let Some(z) = f.time_zone {
        schedule.time_zone = z;
    }
    if let Some(e) = f.enabled {
        schedule.enabled = e;
    }
    schedule.time_scale = sim.config().time_scale;
    schedule.updated_at = util::rfc3339(now);
    reschedule(&mut schedule, now);
    store(&mut world, &schedule);
    record_event(
        &mut world,
        &guid,
        "update",
        "info",
        "drtestschedule",
        format!(
            "DR test schedule {schedule_id} changed: {} ({}), {}, next run {}.",
            schedule.cron,
            schedule.time_zone,
            if schedule.enabled {
                "enabled"
            } else {
                "disabled"
            },
            schedule.next_run.as_deref().unwrap_or("none")
        ),
        Some(&claims),
        now,
    );
    Ok(respond(StatusCode::OK, view(&schedule)))
}

async fn remove(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path((id, schedule_id)): Path<(String, String)>,
) -> DraResult {
    let claims = authenticate(&sim, &headers)?;
    let mut world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    find(&world, &guid, &schedule_id)?;
    world.remove(SERVICE, TEST_SCHEDULES, &schedule_id);
    let now = sim.now_ms();
    record_event(
        &mut world,
        &guid,
        "delete",
        "info",
        "drtestschedule",
        format!("DR test schedule {schedule_id} deleted."),
        Some(&claims),
        now,
    );
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> u64 {
        util::parse_rfc3339(text).unwrap()
    }

    fn next(cron: &str, zone: &str, after: &str) -> String {
        let c = Cron::parse(cron).unwrap();
        util::rfc3339(next_run(&c, zone, at(after)).unwrap())
    }

    #[test]
    fn sunday_two_am_in_chicago_follows_dst() {
        // 2026-01-01 is a Thursday; Chicago is UTC-6 in winter.
        assert_eq!(
            next("0 2 * * 0", "America/Chicago", "2026-01-01T00:00:00Z"),
            "2026-01-04T08:00:00Z"
        );
        // In July it is UTC-5.
        assert_eq!(
            next("0 2 * * 0", "America/Chicago", "2026-07-01T00:00:00Z"),
            "2026-07-05T07:00:00Z"
        );
    }

    #[test]
    fn spring_forward_gap_is_skipped_and_autumn_overlap_runs_once() {
        // 2026-03-08 02:30 does not exist in Chicago; the next valid 02:30 is a day later.
        assert_eq!(
            next("30 2 * * *", "America/Chicago", "2026-03-08T00:00:00Z"),
            "2026-03-09T07:30:00Z"
        );
        // 2026-11-01 01:30 happens twice; the first (CDT, UTC-5) is taken.
        assert_eq!(
            next("30 1 1 11 *", "America/Chicago", "2026-10-01T00:00:00Z"),
            "2026-11-01T06:30:00Z"
        );
    }

    #[test]
    fn eu_and_southern_rules() {
        assert_eq!(
            next("0 12 * * *", "Europe/Berlin", "2026-06-01T00:00:00Z"),
            "2026-06-01T10:00:00Z"
        );
        assert_eq!(
            next("0 12 * * *", "Europe/Berlin", "2026-12-01T00:00:00Z"),
            "2026-12-01T11:00:00Z"
        );
        // Sydney is on daylight time (UTC+11) in January.
        assert_eq!(
            next("0 3 * * *", "Australia/Sydney", "2026-01-10T00:00:00Z"),
            "2026-01-10T16:00:00Z"
        );
        assert_eq!(
            next("0 0 * * *", "Asia/Kolkata", "2026-01-10T00:00:00Z"),
            "2026-01-10T18:30:00Z"
        );
    }

    #[test]
    fn cron_fields_lists_ranges_steps_and_names() {
        assert_eq!(
            next("*/15 9-17 * * mon-fri", "UTC", "2026-01-03T10:00:00Z"),
            "2026-01-05T09:00:00Z"
        );
        assert_eq!(
            next("5,35 */6 1 jan,jul *", "UTC", "2026-01-01T06:36:00Z"),
            "2026-01-01T12:05:00Z"
        );
        // Both day fields restricted: either matches (the 13th, or any Friday).
        assert_eq!(
            next("0 0 13 * 5", "UTC", "2026-01-01T00:00:00Z"),
            "2026-01-02T00:00:00Z"
        );
        assert_eq!(
            next("0 0 * * 7", "UTC", "2026-01-01T00:00:00Z"),
            "2026-01-04T00:00:00Z"
        );
        assert_eq!(
            next("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z"),
            "2028-02-29T00:00:00Z"
        );
    }

    #[test]
    fn bad_expressions_are_explained() {
        for (cron, words) in [
            ("0 2 * *", "5 fields"),
            ("60 * * * *", "minute value 60 is out of range 0-59"),
            ("0 24 * * *", "hour value 24"),
            ("0 0 * * 8", "day of week value 8"),
            ("0 0 * foo *", "month value \"foo\""),
            ("*/0 * * * *", "step"),
            ("0 5-1 * * *", "backwards"),
            ("0,,1 * * * *", "empty"),
        ] {
            let e = Cron::parse(cron).unwrap_err();
            assert!(e.contains(words), "{cron}: {e}");
        }
        assert!(check_zone("Mars/Olympus").is_err());
        assert!(check_zone("America/Chicago").is_ok());
    }

    #[test]
    fn a_cron_that_never_fires_has_no_next_run() {
        let c = Cron::parse("0 0 31 2 *").unwrap();
        assert_eq!(next_run(&c, "UTC", at("2026-01-01T00:00:00Z")), None);
    }
}
