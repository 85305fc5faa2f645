// Source: https://github.com/dsx-ai-factory/infra-controller/pull/2762 (dsx-ai-factory/infra-controller#2762, review thread on crates/nvlink-manager/src/switch_cert_monitor.rs)
// What happened: a reviewer flagged that `cancel_token` was only observed after `run_single_iteration()`
// returned. The iteration probes every switch endpoint in turn (connect + TLS handshake, each with a
// timeout), so shutdown could wait for every target's timeout. The suggested fix was to pass the
// token into the probe path and select on `cancelled()` around each target's work.
// Reduction note: `run_single_iteration` is inlined, so the per-target loop sits where `cancel_token`
// is in scope. That is the state the suggested fix produces, minus the check.
use tokio_util::sync::CancellationToken;

struct SwitchCertificateMonitor { targets: Vec<Target> }
struct Target { endpoint_url: String }

impl SwitchCertificateMonitor {
    pub async fn run(&self, cancel_token: CancellationToken) {
        loop {
            // --- inlined run_single_iteration() ---
            // BUG: `cancel_token` is in scope, but this loop never consults it. Each probe waits for its
            // own connect/handshake timeout, even during shutdown.
            for target in &self.targets {
                if let Err(e) = probe_mtls(&target.endpoint_url).await {
                    tracing::warn!("SwitchCertificateMonitor error: {}", e);
                }
            }
            // --- end iteration ---
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
                _ = cancel_token.cancelled() => return,
            }
        }
    }
}

async fn probe_mtls(_url: &str) -> Result<(), String> { Ok(()) }
