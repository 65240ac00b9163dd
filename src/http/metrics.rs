//! `GET /metrics` in the Prometheus text format: appends, group-commit sizes, fsync latency, request
//! counts and latencies, projection lag. Counters are plain atomics; the text is written by hand
//! because there are only a handful of series.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::service::records::LedgerFigures;

/// Upper bounds (seconds) of the request-latency histogram buckets.
const LATENCY_BUCKETS_SECONDS: [f64; 10] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5];

#[derive(Default)]
pub struct Metrics {
    requests_by_class: [AtomicU64; 5],
    latency_buckets: [AtomicU64; LATENCY_BUCKETS_SECONDS.len()],
    latency_micros_total: AtomicU64,
    requests_total: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, status: u16, micros: u64) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.requests_by_class[class].fetch_add(1, Ordering::Relaxed);
        self.requests_total.fetch_add(1, Ordering::Relaxed);
        self.latency_micros_total.fetch_add(micros, Ordering::Relaxed);
        let seconds = micros as f64 / 1e6;
        if let Some(bucket) = LATENCY_BUCKETS_SECONDS.iter().position(|bound| seconds <= *bound) {
            self.latency_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The exposition text; `projection_seq` is how far the read models have folded.
    pub fn render(&self, ledger: LedgerFigures, projection_seq: u64) -> String {
        let LedgerFigures {
            head_seq: head, group_commits: groups, appended_events: events, fsync_calls: syncs, ..
        } = ledger;
        let sync_seconds = ledger.fsync_micros as f64 / 1e6;
        let mut text = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        };
        metric("kpi_ledger_head_seq", "gauge", "Sequence number of the newest durable event.", head.to_string());
        metric("kpi_ledger_appended_events_total", "counter", "Events appended since start.", events.to_string());
        metric(
            "kpi_ledger_group_commits_total",
            "counter",
            "Group commits (one flush and fsync each).",
            groups.to_string(),
        );
        let average = if groups == 0 { 0.0 } else { events as f64 / groups as f64 };
        metric(
            "kpi_ledger_group_commit_events_average",
            "gauge",
            "Average events per group commit.",
            format!("{average:.3}"),
        );
        metric("kpi_ledger_fsync_total", "counter", "fdatasync calls after sled flushes.", syncs.to_string());
        metric("kpi_ledger_fsync_seconds_total", "counter", "Time spent in fdatasync.", format!("{sync_seconds:.6}"));
        metric(
            "kpi_ledger_projection_lag_events",
            "gauge",
            "Durable events not yet folded into the read models.",
            head.saturating_sub(projection_seq).to_string(),
        );
        self.render_requests(&mut text);
        text
    }

    fn render_requests(&self, text: &mut String) {
        let _ = writeln!(text, "# HELP kpi_ledger_http_requests_total HTTP requests by status class.\n# TYPE kpi_ledger_http_requests_total counter");
        for (index, class) in ["1xx", "2xx", "3xx", "4xx", "5xx"].iter().enumerate() {
            let count = self.requests_by_class[index].load(Ordering::Relaxed);
            let _ = writeln!(text, "kpi_ledger_http_requests_total{{class=\"{class}\"}} {count}");
        }
        let _ = writeln!(text, "# HELP kpi_ledger_http_request_duration_seconds HTTP request latency.\n# TYPE kpi_ledger_http_request_duration_seconds histogram");
        let mut cumulative = 0;
        for (index, bound) in LATENCY_BUCKETS_SECONDS.iter().enumerate() {
            cumulative += self.latency_buckets[index].load(Ordering::Relaxed);
            let _ = writeln!(text, "kpi_ledger_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let total = self.requests_total.load(Ordering::Relaxed);
        let seconds = self.latency_micros_total.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(text, "kpi_ledger_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {total}");
        let _ = writeln!(text, "kpi_ledger_http_request_duration_seconds_sum {seconds:.6}\nkpi_ledger_http_request_duration_seconds_count {total}");
    }
}
