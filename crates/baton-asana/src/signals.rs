//! Stopping on SIGTERM (Kubernetes, systemd) or SIGINT (Ctrl-C).

use baton_connector::sync::CancellationToken;

/// Cancels `token` on the first SIGTERM or SIGINT, logging `what` happens next.
pub async fn cancel_on_signal(token: CancellationToken, what: &'static str) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch for SIGTERM; only SIGINT stops this run");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::warn!("signal received: {what}");
    token.cancel();
}
