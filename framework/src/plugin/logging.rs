//! Logs in the shape Terraform understands: one hclog-style JSON object per line on stderr.
//!
//! Terraform reads a provider's stderr line by line; JSON lines with `@level`, `@message` and
//! `@timestamp` are re-logged at their own level (and filtered by `TF_LOG_PROVIDER`), anything
//! else is treated as DEBUG text. Lines beginning `panic: ` are kept even with logging off and
//! shown as the crash report, hence the panic hook below.
//!
//! Stdout is never written: it carries the handshake line, and go-plugin discards the rest.
//! When no log level is configured no subscriber is installed at all, so idle logging costs
//! nothing at startup or per RPC.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer, Registry};

/// Crates whose internals are not the provider's story; shown only at WARN and above.
const NOISY_TARGETS: &[&str] = &[
    "h2",
    "hyper",
    "hyper_util",
    "tower",
    "tonic",
    "rustls",
    "tokio_rustls",
    "mio",
];

/// The level the environment asks for, or `None` for "logging off".
///
/// Looks at `TF_LOG_PROVIDER_<suffix>`, then `TF_LOG_PROVIDER`, then `TF_LOG`, like the Go
/// SDKs. `JSON` means TRACE (Terraform's own "everything as JSON" switch).
pub fn level_from_env(env: impl Fn(&str) -> Option<String>, suffix: Option<&str>) -> Option<Level> {
    let mut keys = Vec::with_capacity(3);
    if let Some(suffix) = suffix.filter(|s| !s.is_empty()) {
        keys.push(format!("TF_LOG_PROVIDER_{}", suffix.to_ascii_uppercase()));
    }
    keys.push("TF_LOG_PROVIDER".to_owned());
    keys.push("TF_LOG".to_owned());
    // The first variable that is set decides, even if its value is invalid (then: off).
    let value = keys
        .iter()
        .find_map(|k| env(k).filter(|v| !v.trim().is_empty()))?;
    match value.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        _ => None,
    }
}

/// Installs the stderr JSON logger if a level is configured. Safe to call more than once
/// (later calls are ignored), so tests and embedders that set their own subscriber win.
pub fn init(level: Option<Level>, module: &str) {
    let Some(level) = level else { return };
    let layer = HclogLayer {
        module: module.to_owned(),
    }
    .with_filter(tracing_subscriber::filter::filter_fn(move |meta| {
        let noisy = NOISY_TARGETS
            .iter()
            .any(|t| meta.target() == *t || meta.target().starts_with(&format!("{t}::")));
        let max = if noisy { Level::WARN.min(level) } else { level };
        *meta.level() <= max
    }));
    let _ = Registry::default().with(layer).try_init();
}

/// Formats events as hclog JSON lines.
struct HclogLayer {
    module: String,
}

/// Span fields, stored in the span's extensions so events inside it inherit them.
struct SpanFields(Map<String, Value>);

impl<S> Layer<S> for HclogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut visitor = JsonVisitor::default();
        attrs.record(&mut visitor);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(visitor.fields));
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        if let Some(span) = ctx.span(id) {
            let mut ext = span.extensions_mut();
            if let Some(SpanFields(fields)) = ext.get_mut::<SpanFields>() {
                let mut visitor = JsonVisitor::default();
                values.record(&mut visitor);
                fields.extend(visitor.fields);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut line = BTreeMap::<String, Value>::new();
        // Outer spans first so inner spans and the event itself override them.
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                    line.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
        let mut visitor = JsonVisitor::default();
        event.record(&mut visitor);
        line.extend(visitor.fields);
        let message = line
            .remove("message")
            .map(|m| match m {
                Value::String(s) => s,
                other => other.to_string(),
            })
            .unwrap_or_default();
        line.insert(
            "@level".to_owned(),
            Value::from(hclog_level(*event.metadata().level())),
        );
        line.insert("@message".to_owned(), Value::from(message));
        line.insert("@timestamp".to_owned(), Value::from(hclog_timestamp_now()));
        line.insert("@module".to_owned(), Value::from(self.module.as_str()));
        line.insert("@caller".to_owned(), Value::from(caller(event)));
        if let Ok(mut json) = serde_json::to_vec(&line) {
            json.push(b'\n');
            // One write per line keeps lines whole when several threads log at once.
            let _ = std::io::stderr().lock().write_all(&json);
        }
    }
}

fn caller(event: &Event<'_>) -> String {
    let meta = event.metadata();
    match (meta.file(), meta.line()) {
        (Some(file), Some(line)) => format!("{file}:{line}"),
        _ => meta.target().to_owned(),
    }
}

fn hclog_level(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

#[derive(Default)]
struct JsonVisitor {
    fields: Map<String, Value>,
}

impl JsonVisitor {
    fn record(&mut self, field: &Field, value: impl Into<Value>) {
        self.fields.insert(field.name().to_owned(), value.into());
    }
}

impl Visit for JsonVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record(field, format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record(field, value);
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.record(field, value);
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.record(field, value);
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.record(field, value);
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.record(field, value.to_string());
    }
}

/// Current UTC time in Go layout `2006-01-02T15:04:05.000000Z07:00` (UTC prints as `Z`).
pub fn hclog_timestamp_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format_timestamp(now.as_secs(), now.subsec_micros())
}

fn format_timestamp(unix_secs: u64, micros: u32) -> String {
    let days = i64::try_from(unix_secs / 86_400).unwrap_or(0);
    let rem = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let mut out = String::with_capacity(27);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    );
    out
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day); H. Hinnant's algorithm.
pub fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        i32::try_from(year).unwrap_or(1970),
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
}

/// Makes a panic look like a Go panic to Terraform, then exits with Go's panic status (2).
///
/// Terraform records stderr from the first line starting `panic: ` and, when the plugin dies,
/// prints it as "The plugin crashed". Exiting (rather than letting tokio swallow the panic
/// in a task) keeps that behaviour: a handler panic is a provider bug, and a half-alive
/// process would only surface later as "Plugin did not respond".
///
/// A panic inside a guarded RPC handler is the exception: the framework catches it and answers
/// with an error diagnostic, so the hook only logs it and lets the unwinding continue.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "Box<dyn Any>".to_owned());
        if crate::server::in_guarded_handler() {
            let location = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            tracing::error!("handler panicked{location}: {message}; reported as a diagnostic");
            return;
        }
        let thread = std::thread::current();
        let mut report = format!("panic: {message}\n\n");
        let _ = write!(
            report,
            "thread '{}' panicked",
            thread.name().unwrap_or("<unnamed>")
        );
        if let Some(location) = info.location() {
            let _ = write!(
                report,
                " at {}:{}:{}",
                location.file(),
                location.line(),
                location.column()
            );
        }
        report.push('\n');
        let _ = writeln!(report, "{}", std::backtrace::Backtrace::force_capture());
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(report.as_bytes());
        let _ = stderr.flush();
        super::listener::remove_socket_dir_after_crash();
        std::process::exit(2);
    }));
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        let pairs = pairs.to_vec();
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn level_precedence_suffix_then_provider_then_tf_log() {
        let env = env_of(&[
            ("TF_LOG", "ERROR"),
            ("TF_LOG_PROVIDER", "INFO"),
            ("TF_LOG_PROVIDER_DR", "trace"),
        ]);
        assert_eq!(level_from_env(&env, Some("dr")), Some(Level::TRACE));
        assert_eq!(level_from_env(&env, None), Some(Level::INFO));
        let env = env_of(&[("TF_LOG", "WARN")]);
        assert_eq!(level_from_env(&env, Some("DR")), Some(Level::WARN));
        let env = env_of(&[("TF_LOG", "JSON")]);
        assert_eq!(level_from_env(&env, Some("DR")), Some(Level::TRACE));
    }

    #[test]
    fn unset_or_invalid_means_off() {
        assert_eq!(level_from_env(env_of(&[]), Some("DR")), None);
        assert_eq!(
            level_from_env(env_of(&[("TF_LOG", "loud")]), Some("DR")),
            None
        );
        // The most specific variable that is set decides, even when invalid.
        let env = env_of(&[("TF_LOG_PROVIDER_DR", "off"), ("TF_LOG", "DEBUG")]);
        assert_eq!(level_from_env(env, Some("DR")), None);
    }

    #[test]
    fn timestamp_matches_go_layout() {
        // 2021-03-04T05:06:07.000123Z
        assert_eq!(
            format_timestamp(1_614_834_367, 123),
            "2021-03-04T05:06:07.000123Z"
        );
        assert_eq!(format_timestamp(0, 0), "1970-01-01T00:00:00.000000Z");
        // Leap day.
        assert_eq!(
            format_timestamp(951_782_400, 999_999),
            "2000-02-29T00:00:00.999999Z"
        );
    }

    #[test]
    fn civil_dates_round_trip_known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }
}
