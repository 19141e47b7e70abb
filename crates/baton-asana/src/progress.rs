//! Progress while a sync runs: a live line on a terminal, periodic log lines
//! otherwise (CI, Kubernetes).

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use asana_api::AsanaClient;
use baton_connector::sync::{Phase, SyncProgress};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::logging;

/// A running progress reporter; stop it when the sync ends.
pub struct ProgressReporter {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ProgressReporter {
    pub fn start(progress: Arc<SyncProgress>, client: AsanaClient) -> Self {
        let (stop, stopped) = watch::channel(false);
        let interactive = std::io::stderr().is_terminal();
        let task = tokio::spawn(async move {
            if interactive {
                live(progress, client, stopped).await
            } else {
                periodic(progress, client, stopped).await
            }
        });
        Self { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Starting => "validating",
        Phase::Syncing => "syncing",
        Phase::Finishing => "finishing",
        Phase::Done => "done",
    }
}

fn line(progress: &SyncProgress, client: &AsanaClient, started: Instant) -> String {
    let p = progress.snapshot();
    let requests = client.metrics().total_requests;
    let secs = started.elapsed().as_secs_f64().max(0.001);
    format!(
        "{}: {} resources, {} entitlements, {} grants; {} Asana requests ({:.1}/s); {} resources pending",
        phase_name(p.phase),
        p.resources,
        p.entitlements,
        p.grants,
        requests,
        requests as f64 / secs,
        p.pending_resources
    )
}

async fn live(
    progress: Arc<SyncProgress>,
    client: AsanaClient,
    mut stopped: watch::Receiver<bool>,
) {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    logging::attach_progress_bar(bar.clone());
    let started = Instant::now();
    loop {
        bar.set_message(line(&progress, &client, started));
        bar.tick();
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            _ = stopped.changed() => break,
        }
    }
    bar.finish_and_clear();
}

async fn periodic(
    progress: Arc<SyncProgress>,
    client: AsanaClient,
    mut stopped: watch::Receiver<bool>,
) {
    let started = Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(10)) => {
                let p = progress.snapshot();
                tracing::info!(
                    phase = phase_name(p.phase),
                    resources = p.resources,
                    entitlements = p.entitlements,
                    grants = p.grants,
                    requests = client.metrics().total_requests,
                    pending_resources = p.pending_resources,
                    elapsed_s = started.elapsed().as_secs(),
                    "sync progress"
                );
            }
            _ = stopped.changed() => break,
        }
    }
}
