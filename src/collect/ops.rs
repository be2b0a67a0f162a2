//! The operators' endpoints: `GET /healthz` (store reachability and, inside the daemon,
//! scheduler liveness) and `GET /metrics` (Prometheus text, behind the admin token). The
//! numbers come from the store; [`crate::telemetry`] judges and writes them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Serialize;

use super::AppState;
use crate::cases::is_overdue;
use crate::store::StoreError;
use crate::telemetry::{self, Liveness, Snapshot};

/// What `ecoute daemon` tells its web server about its scheduler, for `/healthz` and
/// `/metrics`; `ecoute serve` has none and reports only the store.
#[derive(Clone)]
pub struct SchedulerProbe {
    /// When the scheduler last completed a pass (`None` before the first).
    pub last_pass: Arc<dyn Fn() -> Option<Timestamp> + Send + Sync>,
    /// When the scheduler next fires, per program.
    pub next_ticks: Arc<dyn Fn() -> Vec<(String, Timestamp)> + Send + Sync>,
    /// How old the last pass may be before `/healthz` answers 503.
    pub stale_after: Duration,
}

impl std::fmt::Debug for SchedulerProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerProbe")
            .field("stale_after", &self.stale_after)
            .finish_non_exhaustive()
    }
}

/// The body of `/healthz`: one word per part, no detail that could hold a secret (the
/// server log has the error).
#[derive(Serialize)]
struct Health {
    store: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scheduler: Option<String>,
}

/// `GET /healthz`: 200 when the store answers within the health timeout and the scheduler
/// (if any) is alive, 503 naming what failed otherwise.
pub(super) async fn healthz(State(state): State<AppState>) -> Response {
    let store = match tokio::time::timeout(state.0.health_timeout, state.0.store.ping()).await {
        Ok(Ok(())) => "ok",
        Ok(Err(error)) => {
            tracing::warn!(%error, "health check: the store does not answer");
            "unreachable"
        }
        Err(_) => {
            tracing::warn!(
                timeout_ms = state.0.health_timeout.as_millis(),
                "health check: the store did not answer in time"
            );
            "timeout"
        }
    };
    let liveness = state
        .0
        .scheduler
        .as_ref()
        .map(|probe| Liveness::judge((probe.last_pass)(), Timestamp::now(), probe.stale_after));
    let healthy = store == "ok" && liveness.is_none_or(Liveness::is_alive);
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Health {
        store,
        scheduler: liveness.map(Liveness::describe),
    };
    (status, Json(body)).into_response()
}

/// `GET /metrics` (behind the admin token, like the API: the counts are business figures).
pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    match snapshot(&state).await {
        Ok(snapshot) => (
            [(header::CONTENT_TYPE, telemetry::CONTENT_TYPE)],
            telemetry::render(&snapshot),
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "metrics: the store cannot be read");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the store cannot be read; see the server log\n",
            )
                .into_response()
        }
    }
}

/// Gathers the numbers of `/metrics`: the outbox per wave (summed per program and state, and
/// per program and channel), the SMTP replies, the responses, each served program's oldest
/// due message and overdue cases, and the scheduler's hooks.
async fn snapshot(state: &AppState) -> Result<Snapshot, StoreError> {
    let store = &state.0.store;
    let (waves, _) = store.outbox_status(None, 0).await?;
    let smtp_replies = store.smtp_reply_classes().await?;
    let responses = store.count_responses().await?;
    let mut invitations: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut sent: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for wave in &waves {
        for (name, n) in &wave.states {
            *invitations
                .entry((wave.program_id.clone(), name.clone()))
                .or_default() += n;
        }
        let channel = (wave.program_id.clone(), wave.wave.channel_id.clone());
        let entry = sent.entry(channel).or_default();
        entry.0 += wave.sent;
        entry.1 += wave.reminders_sent;
    }
    let now = Timestamp::now();
    let mut oldest_due_seconds = Vec::new();
    for program in state.1.keys() {
        let due = store.pending(program, now).await?.next_due;
        let age = due.map_or(0, |due| (now.as_second() - due.as_second()).max(0));
        oldest_due_seconds.push((program.clone(), age));
    }
    let cases = store.cases(None).await?;
    let overdue_cases = state
        .1
        .keys()
        .map(|program| {
            let overdue = cases
                .iter()
                .filter(|c| c.program_id == *program && is_overdue(c.status, c.due_at, now))
                .count();
            (program.clone(), overdue as u64)
        })
        .collect();
    let probe = state.0.scheduler.as_ref();
    Ok(Snapshot {
        overdue_cases,
        invitations: invitations
            .into_iter()
            .map(|((program, name), n)| (program, name, n))
            .collect(),
        sent: sent
            .into_iter()
            .map(|((program, channel), (invitations, reminders))| {
                (program, channel, invitations, reminders)
            })
            .collect(),
        smtp_replies,
        responses,
        oldest_due_seconds,
        next_ticks: probe.map(|p| (p.next_ticks)()).unwrap_or_default(),
        scheduler_last_pass: probe.and_then(|p| (p.last_pass)()),
    })
}
