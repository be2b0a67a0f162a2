//! The dispatcher: claims due messages in batches, checks them once more (suppression,
//! fatigue, period, send window), renders and sends them over a few connections under the
//! rate limits, and records every outcome in group commits.
//!
//! Crash semantics: a message is claimed (state `sending`, fenced lease) before it is sent,
//! and its outcome is committed after. The dispatcher never holds more than `concurrency`
//! claimed-but-unrecorded messages (a claim's slot is freed only once its outcome is
//! committed), so after a `kill -9` at most `concurrency` messages are unresolved; when their
//! lease expires the next dispatcher sends them again and flags each "possibly sent twice".
//! Nothing is lost: every claimed message ends sent, failed, suppressed, expired or deferred.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use lettre::message::Mailbox;
use tokio::sync::{Mutex, Notify, OwnedSemaphorePermit, Semaphore, mpsc, watch};

use super::decide::{self, ChannelWindow, Facts, JudgeContext, ServerSignal, WavePlan, untried};
use super::message::Stationery;
use super::pace::Pacer;
use super::policy::{RetryPolicy, SendWindow};
use super::transport::{MailSettings, Session};
use crate::cases::ALERT_CHANNEL;
use crate::clock::Clock;
use crate::dispatch::outbox::{ClaimRequest, Claimed, Outcome, Resolution};
use crate::period::{Period, PeriodError};
use crate::program::model::Channel;
use crate::program::{CalendarError, Program, ResolvedChannel};
use crate::sampling::Fatigue;
use crate::store::{Store, StoreError};
use crate::templates::Templates;
use crate::token::LinkSecret;

/// Why a run could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A wave in the store names a period that does not parse.
    #[error("wave {wave} has period `{period}`: {source}")]
    WavePeriod {
        /// The wave's id.
        wave: i64,
        /// The period as stored.
        period: String,
        /// Why it does not parse.
        source: PeriodError,
    },
    /// A wave's period cannot be placed in time.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// A rate limit that is not a positive number of messages per second (at least one a
    /// day).
    #[error(
        "a rate limit must be a positive number of messages per second (at least one a day), not {0}"
    )]
    RateLimit(f64),
    /// A rate limit too high for the pacer to represent.
    #[error(
        "a rate limit of {0} messages per second is too high to pace; give at most 1000000000, or no limit at all"
    )]
    RateTooHigh(f64),
}

/// Knobs of a run; the defaults suit a production relay.
#[derive(Debug, Clone)]
pub struct DispatchOptions {
    /// Who claims, recorded in leases.
    pub owner: String,
    /// Most messages claimed and not yet recorded at once: the bound on duplicates after a
    /// crash.
    pub concurrency: usize,
    /// SMTP connections kept open.
    pub connections: usize,
    /// How long a claim is exclusive.
    pub lease: Duration,
    /// Backoff of temporary failures.
    pub retry: RetryPolicy,
    /// Cap on messages per second for the whole run, over every channel.
    pub max_rate: Option<f64>,
    /// Consecutive failures to reach the server before the run gives up.
    pub connect_budget: u32,
    /// Keep running while deferred messages come due within this long.
    pub wait: Duration,
    /// The clock the run acts on: the real time in production, a rehearsal clock for
    /// `send --at` and the daemon's compressed time.
    pub clock: Clock,
}

impl Default for DispatchOptions {
    fn default() -> Self {
        DispatchOptions {
            owner: format!("pid {}", std::process::id()),
            concurrency: 64,
            connections: 8,
            lease: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            max_rate: None,
            connect_budget: 3,
            wait: Duration::ZERO,
            clock: Clock::real(),
        }
    }
}

/// What a run needs besides its options.
pub struct Dispatch {
    /// The store.
    pub store: Store,
    /// The program being sent.
    pub program: Arc<Program>,
    /// Email templates.
    pub templates: Arc<Templates>,
    /// Key of the personal links.
    pub secret: LinkSecret,
    /// Base of the links (`https://avis.example.org`).
    pub public_url: String,
    /// Where emails go.
    pub mail: MailSettings,
}

/// Running totals, shown by the progress bar and the final summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Invitations accepted.
    pub sent: u64,
    /// Reminders accepted.
    pub reminders: u64,
    /// Deferred for a later attempt.
    pub deferred: u64,
    /// Failed for good.
    pub failed: u64,
    /// Suppressed at send time (unsubscribed, bounced, fatigued).
    pub suppressed: u64,
    /// Expired with their period.
    pub expired: u64,
    /// Handed back untried (send window, stop).
    pub postponed: u64,
    /// Sent again after a takeover or an ambiguous drop: possibly twice.
    pub possibly_duplicate: u64,
    /// Outcomes refused because another dispatcher owned the message.
    pub fenced_out: u64,
}

impl Tally {
    /// Counts one outcome the store took; `fenced_out` when it refused it because another
    /// dispatcher owns the message now.
    fn count(&mut self, outcome: &Outcome, fenced_out: bool) {
        if fenced_out {
            self.fenced_out += 1;
            return;
        }
        match (outcome.resolution, outcome.message) {
            (Resolution::Sent { .. }, 0) => self.sent += 1,
            (Resolution::Sent { .. }, _) => self.reminders += 1,
            (Resolution::Retry { .. }, _) => self.deferred += 1,
            (Resolution::Failed, _) => self.failed += 1,
            (Resolution::Suppressed, _) => self.suppressed += 1,
            (Resolution::Expired, _) => self.expired += 1,
            (Resolution::Postponed { .. }, _) => self.postponed += 1,
        }
        if outcome.maybe_delivered {
            self.possibly_duplicate += 1;
        }
    }
}

/// Why a run ended early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C.
    Interrupted,
    /// The server could not be reached within the budget.
    Unreachable(String),
    /// A problem no retry fixes (credentials, sender, outbox folder).
    Fatal(String),
}

/// The end of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// Totals.
    pub tally: Tally,
    /// Why it ended early, if it did.
    pub stop: Option<Stop>,
    /// When something next becomes due.
    pub next_due: Option<Timestamp>,
    /// Messages held by another dispatcher.
    pub held: u64,
}

/// A channel as the dispatcher needs it.
struct ChannelPlan {
    template: String,
    reminder_template: String,
    reminder_days: Vec<i64>,
    window: Option<SendWindow>,
    limiter: Option<Pacer>,
}

struct Shared {
    dispatch: Dispatch,
    options: DispatchOptions,
    zone: TimeZone,
    sender: Mailbox,
    reply_to: Option<Mailbox>,
    channels: HashMap<String, ChannelPlan>,
    /// The program's waves, read again when a claim meets one planned after they were read
    /// (a tick of the daemon, an event posted to the API).
    waves: std::sync::RwLock<HashMap<i64, WavePlan>>,
    global: Option<Pacer>,
    sessions: Mutex<Vec<Session>>,
    connection_slots: Semaphore,
    stopping: AtomicBool,
    stop: std::sync::Mutex<Option<Stop>>,
    connect_failures: AtomicU32,
}

/// One outcome on its way to the writer, holding its in-flight slot until committed.
struct Done {
    outcome: Outcome,
    _permit: OwnedSemaphorePermit,
}

/// Runs until nothing is due (or due within `options.wait`), the run is stopped by
/// `interrupt`, or a fatal problem stops it. `progress` sees the totals after each commit.
///
/// Two loops run side by side: the claimer (claim, screen, hand each message to a sending
/// task) and the writer (group-commit the outcomes, then free their in-flight slots), so a
/// commit never holds up the next claim.
pub async fn run(
    dispatch: Dispatch,
    options: DispatchOptions,
    interrupt: watch::Receiver<bool>,
    progress: &(dyn Fn(&Tally) + Sync),
) -> Result<RunReport, DispatchError> {
    let shared = Arc::new(prepare(dispatch, options).await?);
    let in_flight = Arc::new(Semaphore::new(shared.options.concurrency));
    let committed = Notify::new();
    let (done_tx, done_rx) = mpsc::channel::<Done>(shared.options.concurrency * 2);
    let claimer = claim_loop(&shared, &in_flight, &committed, interrupt, done_tx);
    let writer = write_loop(&shared, &committed, done_rx, progress);
    let (claimed, written) = tokio::join!(claimer, writer);
    {
        let mut sessions = shared.sessions.lock().await;
        for session in sessions.iter_mut() {
            session.close().await;
        }
    }
    let tally = written?;
    claimed?;
    let program_id = shared.dispatch.program.id();
    let pending = shared
        .dispatch
        .store
        .pending(program_id, shared.now())
        .await?;
    let stop = shared.stop.lock().map(|s| s.clone()).unwrap_or(None);
    Ok(RunReport {
        tally,
        stop,
        next_due: pending.next_due,
        held: pending.held,
    })
}

/// Claims due messages in batches while in-flight slots are free and hands them out.
async fn claim_loop(
    shared: &Arc<Shared>,
    in_flight: &Arc<Semaphore>,
    committed: &Notify,
    mut interrupt: watch::Receiver<bool>,
    done_tx: mpsc::Sender<Done>,
) -> Result<(), DispatchError> {
    let window = shared.options.concurrency;
    let program_id = shared.dispatch.program.id().to_owned();
    let secret = shared.dispatch.secret.clone();
    let token_hash = move |id: i64| secret.invitation_token(id).hash();
    loop {
        if *interrupt.borrow() {
            shared.request_stop(Stop::Interrupted);
        }
        if shared.stopping.load(Ordering::SeqCst) {
            return Ok(());
        }
        // With messages in flight, wait until an eighth of the window is free, so claims
        // stay few and large (one transaction each).
        let busy = in_flight.available_permits() < window;
        let want = if busy { (window / 8).max(1) } else { 1 };
        let acquired = tokio::select! {
            permit = Arc::clone(in_flight).acquire_many_owned(u32::try_from(want).unwrap_or(1)) => permit.ok(),
            () = interrupted(&mut interrupt) => None,
        };
        let Some(mut permit) = acquired else {
            continue;
        };
        if let Ok(more) = Arc::clone(in_flight)
            .try_acquire_many_owned(u32::try_from(in_flight.available_permits()).unwrap_or(0))
        {
            permit.merge(more);
        }
        let now = shared.now();
        let fatigue = Fatigue::of(shared.dispatch.program.file.rules.fatigue.as_ref(), now);
        let request = ClaimRequest {
            owner: &shared.options.owner,
            program_id: &program_id,
            now,
            lease: shared.options.lease,
            limit: u32::try_from(permit.num_permits()).unwrap_or(u32::MAX),
            fatigue_since: fatigue.and_then(|rule| rule.recent_since()),
        };
        let claimed = shared.dispatch.store.claim(&request, &token_hash).await?;
        if claimed.is_empty() {
            drop(permit);
            if in_flight.available_permits() < window {
                // Outcomes are on their way: come back after the next commit.
                tokio::select! {
                    () = committed.notified() => {}
                    () = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
                continue;
            }
            let pending = shared.dispatch.store.pending(&program_id, now).await?;
            let horizon = now
                .checked_add(shared.options.wait)
                .unwrap_or(Timestamp::MAX);
            match pending.next_due {
                Some(due) if due > now && due <= horizon => {
                    let pause = now.duration_until(due).unsigned_abs();
                    tokio::select! {
                        () = tokio::time::sleep(pause.clamp(Duration::from_millis(50), Duration::from_secs(5))) => {}
                        () = interrupted(&mut interrupt) => {}
                    }
                    continue;
                }
                _ => return Ok(()),
            }
        }
        // Keep one slot per claimed message; the rest go back at once.
        let used = permit.split(claimed.len()).unwrap_or(permit);
        let mut permits = split(used, claimed.len());
        let screened = screen(shared, claimed, now).await?;
        for (item, verdict) in screened {
            let Some(permit) = permits.pop() else { break };
            match verdict {
                Some(outcome) => {
                    let _ = done_tx
                        .send(Done {
                            outcome,
                            _permit: permit,
                        })
                        .await;
                }
                None => {
                    let shared = Arc::clone(shared);
                    let done_tx = done_tx.clone();
                    tokio::spawn(async move {
                        let outcome = deliver(&shared, item).await;
                        let _ = done_tx
                            .send(Done {
                                outcome,
                                _permit: permit,
                            })
                            .await;
                    });
                }
            }
        }
    }
}

/// Resolves when Ctrl-C is pressed; never, once nobody can press it any more.
async fn interrupted(interrupt: &mut watch::Receiver<bool>) {
    if interrupt.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Commits outcomes as they come, in batches, until every sender is gone; nothing is left
/// in `sending`. A failed commit stops the run.
async fn write_loop(
    shared: &Shared,
    committed: &Notify,
    mut done_rx: mpsc::Receiver<Done>,
    progress: &(dyn Fn(&Tally) + Sync),
) -> Result<Tally, DispatchError> {
    let mut tally = Tally::default();
    while let Some(first) = done_rx.recv().await {
        let batch = drain(first, &mut done_rx);
        if let Err(err) = commit(shared, batch, &mut tally).await {
            shared.request_stop(Stop::Fatal(format!("cannot record outcomes: {err}")));
            return Err(err.into());
        }
        committed.notify_one();
        progress(&tally);
    }
    Ok(tally)
}

impl Shared {
    fn now(&self) -> Timestamp {
        self.options.clock.now()
    }

    fn stationery(&self) -> Stationery<'_> {
        Stationery {
            program: &self.dispatch.program,
            templates: &self.dispatch.templates,
            secret: &self.dispatch.secret,
            public_url: &self.dispatch.public_url,
            sender: &self.sender,
            reply_to: self.reply_to.as_ref(),
        }
    }

    fn request_stop(&self, stop: Stop) {
        if let Ok(mut current) = self.stop.lock()
            && current.is_none()
        {
            *current = Some(stop);
        }
        self.stopping.store(true, Ordering::SeqCst);
    }
}

fn split(mut permit: OwnedSemaphorePermit, n: usize) -> Vec<OwnedSemaphorePermit> {
    let mut permits = Vec::with_capacity(n);
    for _ in 1..n {
        if let Some(one) = permit.split(1) {
            permits.push(one);
        }
    }
    permits.push(permit);
    permits
}

fn drain(first: Done, rx: &mut mpsc::Receiver<Done>) -> Vec<Done> {
    let mut batch = vec![first];
    while batch.len() < 1024 {
        match rx.try_recv() {
            Ok(done) => batch.push(done),
            Err(_) => break,
        }
    }
    batch
}

/// Records a batch in one transaction, then frees the batch's in-flight slots.
async fn commit(shared: &Shared, batch: Vec<Done>, tally: &mut Tally) -> Result<(), StoreError> {
    let outcomes: Vec<Outcome> = batch.iter().map(|d| d.outcome.clone()).collect();
    let recorded = shared
        .dispatch
        .store
        .record(&outcomes, shared.now())
        .await?;
    let mut batch_tally = Tally::default();
    for outcome in &outcomes {
        let fenced_out = recorded.fenced_out.contains(&outcome.invitation_id);
        tally.count(outcome, fenced_out);
        batch_tally.count(outcome, fenced_out);
    }
    drop(batch);
    log_batch(shared.dispatch.program.id(), &batch_tally, &outcomes);
    Ok(())
}

/// One log line per committed batch: what became of its messages, and the first error's
/// words with email addresses masked (mail servers quote the recipient).
fn log_batch(program: &str, batch: &Tally, outcomes: &[Outcome]) {
    let error = outcomes
        .iter()
        .filter(|o| matches!(o.resolution, Resolution::Failed | Resolution::Retry { .. }))
        .find_map(Outcome::error_text)
        .map(|text| crate::redact::mask_emails(&text));
    tracing::info!(
        program,
        messages = outcomes.len(),
        sent = batch.sent,
        reminders = batch.reminders,
        deferred = batch.deferred,
        failed = batch.failed,
        suppressed = batch.suppressed,
        expired = batch.expired,
        postponed = batch.postponed,
        possibly_duplicate = batch.possibly_duplicate,
        fenced_out = batch.fenced_out,
        error,
        "send batch"
    );
}

async fn prepare(dispatch: Dispatch, options: DispatchOptions) -> Result<Shared, DispatchError> {
    let program = &dispatch.program;
    let calendar = program.calendar();
    let zone = calendar.zone().clone();
    let sender = program.sender().clone();
    let reply_to = program.reply_to().cloned();
    let mut channels = HashMap::new();
    for channel in &program.file.channels {
        let resolved = program.channel(&channel.id).cloned().unwrap_or_default();
        channels.insert(channel.id.to_string(), channel_plan(channel, &resolved)?);
    }
    let waves = program_waves(&dispatch.store, program).await?;
    let global = options.max_rate.map(limiter).transpose()?;
    let connections = options.connections.max(1);
    Ok(Shared {
        dispatch,
        zone,
        sender,
        reply_to,
        channels,
        waves: std::sync::RwLock::new(waves),
        global,
        sessions: Mutex::new(Vec::new()),
        connection_slots: Semaphore::new(connections),
        stopping: AtomicBool::new(false),
        stop: std::sync::Mutex::new(None),
        connect_failures: AtomicU32::new(0),
        options,
    })
}

/// The waves of the program with what their messages need.
async fn program_waves(
    store: &Store,
    program: &Program,
) -> Result<HashMap<i64, WavePlan>, DispatchError> {
    let calendar = program.calendar();
    let mut waves = HashMap::new();
    for wave in store.program_waves(program.id()).await? {
        if wave.channel_id == ALERT_CHANNEL {
            continue;
        }
        let period: Period = wave
            .period
            .parse()
            .map_err(|source| DispatchError::WavePeriod {
                wave: wave.id,
                period: wave.period.clone(),
                source,
            })?;
        let closes_at = calendar.closes_at(&period)?.timestamp();
        waves.insert(
            wave.id,
            WavePlan {
                survey_id: wave.survey_id,
                channel_id: wave.channel_id,
                closes_at,
            },
        );
    }
    Ok(waves)
}

fn channel_plan(
    channel: &Channel,
    resolved: &ResolvedChannel,
) -> Result<ChannelPlan, DispatchError> {
    let template = channel
        .template
        .as_ref()
        .map(|t| t.to_string())
        .unwrap_or_else(|| "invitation".to_owned());
    let reminder_template = channel
        .reminder_template
        .as_ref()
        .map(|t| t.to_string())
        .unwrap_or_else(|| template.clone());
    let window = resolved.send_window.as_ref().map(SendWindow::from);
    Ok(ChannelPlan {
        template,
        reminder_template,
        reminder_days: channel
            .reminder_days
            .iter()
            .map(|d| i64::from(**d))
            .collect(),
        window,
        limiter: resolved.rate_per_second.map(limiter).transpose()?,
    })
}

/// The pacer of a limit of `per_second` messages per second (see [`super::pace`]).
fn limiter(per_second: f64) -> Result<Pacer, DispatchError> {
    if !(per_second.is_finite() && per_second > 0.0) {
        return Err(DispatchError::RateLimit(per_second));
    }
    Pacer::new(per_second).ok_or(if per_second > 1.0 {
        DispatchError::RateTooHigh(per_second)
    } else {
        DispatchError::RateLimit(per_second)
    })
}

/// Settles what can be without sending (the period closed, the person suppressed or
/// fatigued, the send window shut) from what the claim read in its transaction
/// (suppression, and fatigue decided atomically across senders), then screens each
/// message. `None` means "send it".
async fn screen(
    shared: &Shared,
    claimed: Vec<Claimed>,
    now: Timestamp,
) -> Result<Vec<(Claimed, Option<Outcome>)>, DispatchError> {
    let unknown = {
        let waves = shared.waves.read().unwrap_or_else(|e| e.into_inner());
        claimed
            .iter()
            .any(|c| c.case_id.is_none() && !waves.contains_key(&c.wave_id))
    };
    if unknown {
        let fresh = program_waves(&shared.dispatch.store, &shared.dispatch.program).await?;
        *shared.waves.write().unwrap_or_else(|e| e.into_inner()) = fresh;
    }
    let waves = shared.waves.read().unwrap_or_else(|e| e.into_inner());
    let screened = claimed
        .into_iter()
        .map(|item| {
            let wave = waves.get(&item.wave_id);
            let channel = match wave.and_then(|w| shared.channels.get(&w.channel_id)) {
                None => ChannelWindow::Gone,
                // Files never leave this machine: the send window, which spares
                // recipients' evenings, does not hold them back (see README, `send`).
                Some(_) if matches!(shared.dispatch.mail, MailSettings::Files(_)) => {
                    ChannelWindow::Anytime
                }
                Some(ChannelPlan {
                    window: Some(window),
                    ..
                }) => ChannelWindow::Within(window),
                Some(_) => ChannelWindow::Anytime,
            };
            let facts = Facts {
                wave,
                channel,
                suppressed: item.suppressed,
                contacted_recently: item.fatigued,
            };
            let verdict = match item.case_id {
                Some(_) => decide::screen_alert(&item),
                None => decide::screen(&item, &facts, &shared.zone, now).outcome(&item),
            };
            (item, verdict)
        })
        .collect();
    Ok(screened)
}

/// Renders, paces and sends one message; always returns an outcome.
async fn deliver(shared: &Shared, item: Claimed) -> Outcome {
    let now = shared.now();
    if shared.stopping.load(Ordering::SeqCst) {
        return untried(&item, now);
    }
    let (outgoing, channel, closes_at) = match item.case_id {
        Some(case_id) => match alert_email(shared, &item, case_id).await {
            Ok(outgoing) => (outgoing, None, Timestamp::MAX),
            Err(outcome) => return *outcome,
        },
        None => {
            let wave = shared
                .waves
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(&item.wave_id)
                .cloned();
            let Some(wave) = wave else {
                return untried(&item, now);
            };
            let Some(channel) = shared.channels.get(&wave.channel_id) else {
                return untried(&item, now);
            };
            let template = if item.message == 0 {
                &channel.template
            } else {
                &channel.reminder_template
            };
            match shared
                .stationery()
                .render(&item, &wave.survey_id, template, wave.closes_at)
            {
                Ok(outgoing) => (outgoing, Some(channel), wave.closes_at),
                Err(error) => return cannot_build(&item, &error),
            }
        }
    };
    let Ok(_slot) = shared.connection_slots.acquire().await else {
        return untried(&item, now);
    };
    let mut session = shared
        .sessions
        .lock()
        .await
        .pop()
        .unwrap_or_else(|| Session::new(shared.dispatch.mail.clone()));
    // Connected first, then paced while holding the connection, so messages leave at the
    // paced instants: neither the time a connection takes to open nor queueing for one
    // comes between the paced instant and the message.
    let attempt = match session.open().await {
        Some(attempt) => attempt,
        None => {
            if let Some(pacer) = &shared.global {
                pacer.wait().await;
            }
            if let Some(pacer) = channel.and_then(|c| c.limiter.as_ref()) {
                pacer.wait().await;
            }
            if shared.stopping.load(Ordering::SeqCst) {
                shared.sessions.lock().await.push(session);
                return untried(&item, now);
            }
            session.send(&outgoing).await
        }
    };
    shared.sessions.lock().await.push(session);
    let mut judgement = decide::judge(
        &item,
        attempt,
        &JudgeContext {
            now: shared.now(),
            closes_at,
            retry: &shared.options.retry,
            jitter: rand::random(),
            reminder_days: channel.map_or(&[], |c| c.reminder_days.as_slice()),
            zone: &shared.zone,
            program_id: shared.dispatch.program.id(),
        },
    );
    if item.case_id.is_some() {
        // An alert is no contact of the customer's: the fatigue rule never counts it.
        judgement.outcome.contact = None;
    }
    match judgement.signal {
        ServerSignal::Accepted => shared.connect_failures.store(0, Ordering::SeqCst),
        ServerSignal::Unreachable(error) => {
            let failures = shared.connect_failures.fetch_add(1, Ordering::SeqCst) + 1;
            if failures >= shared.options.connect_budget {
                shared.request_stop(Stop::Unreachable(error));
            }
        }
        ServerSignal::Fatal(error) => shared.request_stop(Stop::Fatal(error)),
        ServerSignal::Quiet => {}
    }
    judgement.outcome
}

/// Renders an alert email from its case and response, read now so that it shows what the
/// store holds (nothing personal once the respondent was erased); the outcome to record
/// when it cannot be built.
async fn alert_email(
    shared: &Shared,
    item: &Claimed,
    case_id: i64,
) -> Result<super::message::Outgoing, Box<Outcome>> {
    let store = &shared.dispatch.store;
    let now = shared.now();
    let case = match store.case(case_id).await {
        Ok(Some(case)) => case,
        Ok(None) => return Err(Box::new(untried(item, now))),
        Err(error) => return Err(Box::new(cannot_build(item, &error))),
    };
    let response = match store.response(case.response_id).await {
        Ok(Some(response)) => response,
        Ok(None) => return Err(Box::new(untried(item, now))),
        Err(error) => return Err(Box::new(cannot_build(item, &error))),
    };
    shared
        .stationery()
        .render_alert(item, &case, &response)
        .map_err(|error| Box::new(cannot_build(item, &error)))
}

/// The outcome of a message that could not be built: it fails alone, with the reason.
fn cannot_build(item: &Claimed, error: &dyn std::error::Error) -> Outcome {
    decide::outcome(
        item,
        Resolution::Failed,
        "cannot build the email",
        Some(error.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(message: u32, resolution: Resolution, maybe_delivered: bool) -> Outcome {
        Outcome {
            invitation_id: 1,
            fence: 1,
            message,
            resolution,
            reason: String::new(),
            detail: None,
            smtp_code: None,
            maybe_delivered,
            bounce_email: None,
            contact: None,
        }
    }

    #[test]
    fn the_tally_tells_invitations_from_reminders_and_counts_possible_duplicates() {
        let sent = Resolution::Sent {
            next_reminder_at: None,
        };
        let mut tally = Tally::default();
        tally.count(&recorded(0, sent, false), false);
        tally.count(&recorded(2, sent, true), false);
        tally.count(&recorded(0, Resolution::Expired, false), false);
        // Refused by the store: counted as fenced out only, even when it was sent.
        tally.count(&recorded(0, sent, true), true);
        assert_eq!(
            tally,
            Tally {
                sent: 1,
                reminders: 1,
                expired: 1,
                possibly_duplicate: 1,
                fenced_out: 1,
                ..Tally::default()
            }
        );
    }
}
