//! Logging to stderr: zap-style JSON (as baton-sdk's production encoder) or
//! human-readable console lines, and a writer that keeps log lines from
//! tearing the progress display.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use baton_connector::cli::{LogFormat, LogLevel};
use indicatif::ProgressBar;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

static PROGRESS_BAR: OnceLock<ProgressBar> = OnceLock::new();

/// Registers the live progress display so log lines are printed above it.
pub fn attach_progress_bar(bar: ProgressBar) {
    let _ = PROGRESS_BAR.set(bar);
}

/// Writes to stderr, suspending the progress display around each line.
#[derive(Clone, Copy, Default)]
pub struct StderrWriter;

impl Write for StderrWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match PROGRESS_BAR.get() {
            Some(bar) if !bar.is_finished() => bar.suspend(|| io::stderr().write_all(buf))?,
            _ => io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for StderrWriter {
    type Writer = StderrWriter;

    fn make_writer(&'a self) -> Self::Writer {
        StderrWriter
    }
}

fn level_filter(level: LogLevel) -> LevelFilter {
    match level {
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Error => LevelFilter::ERROR,
    }
}

/// The format to use when none was asked for: console on a terminal, else JSON.
pub fn default_format() -> LogFormat {
    if io::IsTerminal::is_terminal(&io::stderr()) {
        LogFormat::Console
    } else {
        LogFormat::Json
    }
}

/// Installs the global subscriber. Debug output of our crates only, so
/// dependencies' internals (HTTP frames, ...) never reach the log.
pub fn init(level: LogLevel, format: LogFormat) {
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(LevelFilter::WARN.min(level_filter(level)))
        .with_target("baton_asana", level_filter(level))
        .with_target("baton_connector", level_filter(level))
        .with_target("asana_connector", level_filter(level))
        .with_target("asana_api", level_filter(level))
        .with_target("asana_sim", level_filter(level).min(LevelFilter::INFO))
        .with_target("c1z", level_filter(level));
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let result = match format {
        LogFormat::Json => tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .event_format(ZapJson)
                    .with_writer(StderrWriter),
            )
            .with(filter)
            .try_init(),
        LogFormat::Console => tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(StderrWriter)
                    .with_target(false)
                    .compact(),
            )
            .with(filter)
            .try_init(),
    };
    // A subscriber already installed (tests) is fine.
    let _ = result;
}

/// One JSON object per line with zap's production keys: `level`, `ts`
/// (epoch seconds), `logger`, `msg`, then the event's fields.
struct ZapJson;

impl<S, N> FormatEvent<S, N> for ZapJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut visitor = JsonVisitor::default();
        event.record(&mut visitor);
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warn",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "debug",
        };
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        let mut record = Map::new();
        record.insert("level".into(), Value::from(level));
        record.insert("ts".into(), Value::from(ts));
        record.insert("logger".into(), Value::from(event.metadata().target()));
        record.insert(
            "msg".into(),
            Value::from(visitor.message.unwrap_or_default()),
        );
        for (k, v) in visitor.fields {
            record.insert(k, v);
        }
        let line = serde_json::to_string(&Value::Object(record)).map_err(|_| std::fmt::Error)?;
        writeln!(writer, "{line}")
    }
}

#[derive(Default)]
struct JsonVisitor {
    message: Option<String>,
    fields: Vec<(String, Value)>,
}

impl Visit for JsonVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        self.put(field, Value::from(text));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
}

impl JsonVisitor {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.fields.push((field.name().to_owned(), value));
        }
    }
}
