//! Prometheus metrics: request counts and latencies by route pattern (not by raw path, which
//! would grow without bound), the database pool's state, and the outbox, read at scrape time.

use crate::db::outbox::Stats;
use prometheus::core::Collector;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    outbox: IntGaugeVec,
    outbox_oldest: IntGauge,
}

fn gauge(name: &str, help: &str) -> IntGauge {
    IntGauge::new(name, help).expect("valid metric")
}

impl Metrics {
    pub fn new() -> Metrics {
        let requests = IntCounterVec::new(
            Opts::new(
                "permitflow_http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "permitflow_http_request_duration_seconds",
                "HTTP request latency by route",
            ),
            &["method", "route"],
        )
        .expect("valid metric");
        let outbox = IntGaugeVec::new(
            Opts::new(
                "permitflow_outbox_emails",
                "E-mails in the outbox by status (queued, sending, sent, failed)",
            ),
            &["status"],
        )
        .expect("valid metric");
        let metrics = Metrics {
            registry: Registry::new(),
            requests,
            duration,
            pool_connections: gauge(
                "permitflow_db_pool_connections",
                "Open database connections",
            ),
            pool_idle: gauge("permitflow_db_pool_idle", "Idle database connections"),
            outbox,
            outbox_oldest: gauge(
                "permitflow_outbox_oldest_queued_seconds",
                "Age of the oldest e-mail not yet delivered, in seconds",
            ),
        };
        let collectors: [Box<dyn Collector>; 6] = [
            Box::new(metrics.requests.clone()),
            Box::new(metrics.duration.clone()),
            Box::new(metrics.pool_connections.clone()),
            Box::new(metrics.pool_idle.clone()),
            Box::new(metrics.outbox.clone()),
            Box::new(metrics.outbox_oldest.clone()),
        ];
        for collector in collectors {
            metrics
                .registry
                .register(collector)
                .expect("metric registered once");
        }
        metrics
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.duration
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// Sets the outbox gauges from a fresh count (`now` for the oldest row's age).
    pub fn set_outbox(&self, stats: &Stats, now: chrono::NaiveDateTime) {
        let counts = [
            ("queued", stats.queued),
            ("sending", stats.sending),
            ("sent", stats.sent),
            ("failed", stats.failed),
        ];
        for (status, n) in counts {
            self.outbox.with_label_values(&[status]).set(n);
        }
        let oldest = stats.oldest_queued.map(|t| (now - t).num_seconds().max(0));
        self.outbox_oldest.set(oldest.unwrap_or(0));
    }

    pub fn render(&self, pool: &crate::db::Pool) -> String {
        let state = pool.state();
        self.pool_connections.set(i64::from(state.connections));
        self.pool_idle.set(i64::from(state.idle_connections));
        let mut buffer = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metrics.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buffer);
        String::from_utf8(buffer).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
