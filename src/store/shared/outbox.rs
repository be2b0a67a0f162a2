//! The outbox operations (see `store::outbox`): a claim is one `UPDATE … RETURNING` over the
//! backend's choice of due rows (`CLAIM`); outcomes are applied in one transaction per batch.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;

use sqlx::types::Json;
use sqlx::{QueryBuilder, Row};

use super::Result;
use super::{BEGIN_WRITE, BackendStore, Db, DbConnection, DbRow};
use crate::dispatch::outbox::{
    ClaimRequest, Claimed, FailureEvent, InvitationEvent, OutboxRow, OutboxWave, Outcome, Pending,
    Recorded, Resolution, WaveStatus,
};
use crate::records::Attributes;
use crate::store::outbox::{self, code, count, resolution_set, small};
use crate::store::{ROWS_PER_STATEMENT, moment, sql, timestamp};

operations! {
    /// Claims up to `limit` due messages of a program under a lease, storing each new
    /// invitation's link-token hash (`token_hash(id)`) in the same transaction so the link
    /// works before the email leaves.
    pub async fn claim(&self, request: &ClaimRequest<'_>,
        token_hash: &(dyn Fn(i64) -> [u8; 32] + Sync)) -> Result<Vec<Claimed>> {
        let now = request.now.as_second();
        let lease = i64::try_from(request.lease.as_secs()).unwrap_or(i64::MAX / 2);
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let rows = sqlx::query(super::super::CLAIM)
            .bind(request.owner)
            .bind(now.saturating_add(lease))
            .bind(now)
            .bind(request.program_id)
            .bind(i64::from(request.limit))
            .fetch_all(&mut *tx)
            .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        let mut hashes = Vec::new();
        for row in &rows {
            let item = claimed_row(row)?;
            if row.try_get::<bool, _>("needs_token")? {
                hashes.push((item.invitation_id, token_hash(item.invitation_id)));
            }
            claimed.push(item);
        }
        for chunk in hashes.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Db>::new("");
            push_token_hashes(&mut query, chunk);
            query.build().execute(&mut *tx).await?;
        }
        claimed.sort_by_key(|c| c.invitation_id);
        let since = request.fatigue_since.map(|t| t.as_second());
        take_guards(&mut tx, &mut claimed, since, now).await?;
        let emails: Vec<String> = claimed.iter().map(|c| c.email.clone()).collect();
        let suppressed = email_set(
            &among(&mut tx, &emails, || {
                QueryBuilder::new(outbox::SUPPRESSED_AMONG)
            })
            .await?,
        )?;
        for item in &mut claimed {
            item.suppressed = suppressed.contains(&item.email);
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records outcomes in one transaction (group commit), each checked against its fence;
    /// `now` is the dispatcher's clock (sent times, reminder bases, event times).
    pub async fn record(&self, outcomes: &[Outcome], now: Timestamp) -> Result<Recorded> {
        let now = now.as_second();
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let mut applied_rows: HashSet<(i64, i64)> = HashSet::new();
        for group in outbox::resolution_groups(outcomes) {
            for chunk in group.chunks(ROWS_PER_STATEMENT) {
                let mut query = QueryBuilder::<Db>::new("");
                push_resolution(&mut query, chunk, now);
                for row in query.build().fetch_all(&mut *tx).await? {
                    applied_rows.insert((row.try_get("id")?, row.try_get("fence")?));
                }
            }
        }
        let (applied, fenced): (Vec<&Outcome>, Vec<&Outcome>) = outcomes
            .iter()
            .partition(|o| applied_rows.contains(&(o.invitation_id, o.fence)));
        let contacts: Vec<&(String, String)> =
            applied.iter().filter_map(|o| o.contact.as_ref()).collect();
        for chunk in contacts.chunks(ROWS_PER_STATEMENT / 3) {
            let mut query = QueryBuilder::<Db>::new(
                "INSERT INTO contact_history (email, program_id, contacted_at) ",
            );
            query.push_values(chunk, |mut row, (email, program)| {
                row.push_bind(email.clone())
                    .push_bind(program.clone())
                    .push_bind(now);
            });
            query.build().execute(&mut *tx).await?;
        }
        for o in &applied {
            if let Some(email) = &o.bounce_email {
                sqlx::query(sql::SUPPRESS)
                    .bind(email)
                    .bind("bounced")
                    .bind(o.detail.as_deref())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let mut recorded = Recorded::default();
        let mut stale = Vec::with_capacity(fenced.len());
        for o in fenced {
            recorded.fenced_out.push(o.invitation_id);
            let delivered =
                o.maybe_delivered || matches!(o.resolution, Resolution::Sent { .. });
            sqlx::query(outbox::FLAG_STALE)
                .bind(o.invitation_id)
                .bind(delivered)
                .execute(&mut *tx)
                .await?;
            stale.push(Outcome {
                reason: "stale lease".to_owned(),
                detail: Some(format!(
                    "not applied: another dispatcher took this message over ({})",
                    o.reason
                )),
                ..o.clone()
            });
        }
        // The events of applied outcomes, then those of fenced-out ones.
        let events: Vec<&Outcome> = applied.iter().copied().chain(&stale).collect();
        for chunk in events.chunks(ROWS_PER_STATEMENT / 8) {
            let mut query = QueryBuilder::<Db>::new("");
            push_events(&mut query, chunk, now);
            query.build().execute(&mut *tx).await?;
        }
        // Invitations that will never leave give their person's contact back. Last, so this
        // transaction locks guard rows only after every invitation row (claims lock them the
        // other way round, and skip locked invitations): the two never wait on each other.
        let released: Vec<i64> = applied
            .iter()
            .filter(|o| o.message == 0 && o.resolution.never_sent())
            .map(|o| o.invitation_id)
            .collect();
        for chunk in released.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Db>::new(outbox::RELEASE_GUARD);
            let mut ids = query.separated(", ");
            for id in chunk {
                ids.push_bind(*id);
            }
            query.push(")");
            query.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(recorded)
    }

    /// The waves of a program.
    pub async fn program_waves(&self, program_id: &str) -> Result<Vec<OutboxWave>> {
        let rows = sqlx::query(outbox::PROGRAM_WAVES)
            .bind(program_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(wave_row).collect()
    }

    /// When something of the program next becomes due, and what others hold.
    pub async fn pending(&self, program_id: &str, now: Timestamp) -> Result<Pending> {
        let now = now.as_second();
        let row = sqlx::query(outbox::PENDING)
            .bind(program_id)
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
        Ok(Pending {
            next_due: moment(row.try_get(0)?)?,
            held: count(row.try_get(1)?),
        })
    }

    /// Per-wave counts and the last failures, for one program or all.
    pub async fn outbox_status(&self, program_id: Option<&str>, last_failures: u32)
        -> Result<(Vec<WaveStatus>, Vec<FailureEvent>)> {
        let rows = sqlx::query(outbox::STATUS)
            .bind(program_id)
            .fetch_all(&self.pool)
            .await?;
        let mut waves: Vec<WaveStatus> = Vec::new();
        for row in &rows {
            let wave = wave_row(row)?;
            if waves.last().is_none_or(|w| w.wave.id != wave.id) {
                waves.push(WaveStatus {
                    program_id: row.try_get("program_id")?,
                    wave,
                    states: BTreeMap::new(),
                    reminders_sent: 0,
                    possibly_duplicate: 0,
                    sent: 0,
                    responses: 0,
                    unsubscribed: 0,
                    bounced: 0,
                    sent_between: None,
                });
            }
            if let Some(current) = waves.last_mut() {
                let reminders: Option<i64> = row.try_get("reminders")?;
                let duplicates: Option<i64> = row.try_get("duplicates")?;
                current
                    .states
                    .insert(row.try_get("state")?, count(row.try_get("n")?));
                current.reminders_sent += count(reminders.unwrap_or(0));
                current.possibly_duplicate += count(duplicates.unwrap_or(0));
            }
        }
        let outcomes = sqlx::query(outbox::OUTCOMES)
            .bind(program_id)
            .fetch_all(&self.pool)
            .await?;
        for row in &outcomes {
            let id: i64 = row.try_get("id")?;
            if let Some(wave) = waves.iter_mut().find(|w| w.wave.id == id) {
                wave.sent = count(row.try_get("sent")?);
                wave.responses = count(row.try_get("responses")?);
                wave.unsubscribed = count(row.try_get("unsubscribed")?);
                wave.bounced = count(row.try_get("bounced")?);
                let first = moment(row.try_get("first_sent")?)?;
                wave.sent_between = first.zip(moment(row.try_get("last_sent")?)?);
            }
        }
        let failures = sqlx::query(outbox::LAST_FAILURES)
            .bind(program_id)
            .bind(i64::from(last_failures))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(FailureEvent {
                    program_id: row.try_get("program_id")?,
                    invitation_id: row.try_get("invitation_id")?,
                    email: row.try_get("email")?,
                    message: small(row.try_get("message")?),
                    state: row.try_get("to_state")?,
                    reason: row.try_get("reason")?,
                    detail: row.try_get("detail")?,
                    smtp_code: code(row.try_get("smtp_code")?),
                    at: timestamp(row.try_get("at")?)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((waves, failures))
    }

    /// SMTP replies recorded per code class (2, 4, 5), for `/metrics`.
    pub async fn smtp_reply_classes(&self) -> Result<Vec<(u16, u64)>> {
        let rows = sqlx::query(outbox::SMTP_CLASSES)
            .fetch_all(&self.pool)
            .await?;
        let class = |row: &DbRow| -> Result<_> {
            Ok((
                code(row.try_get("class")?).unwrap_or(0),
                count(row.try_get("n")?),
            ))
        };
        rows.iter().map(class).collect()
    }

    /// Proves the database answers and holds ecoute's tables (`/healthz`); the caller
    /// bounds the wait.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query(outbox::PING).fetch_optional(&self.pool).await?;
        Ok(())
    }

    /// An invitation's events, oldest first.
    pub async fn invitation_events(&self, id: i64) -> Result<Vec<InvitationEvent>> {
        sqlx::query(outbox::INVITATION_EVENTS)
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(InvitationEvent {
                    message: small(row.try_get("message")?),
                    from_state: row.try_get("from_state")?,
                    to_state: row.try_get("to_state")?,
                    reason: row.try_get("reason")?,
                    detail: row.try_get("detail")?,
                    smtp_code: code(row.try_get("smtp_code")?),
                    at: timestamp(row.try_get("at")?)?,
                })
            })
            .collect()
    }

    /// An invitation's outbox columns.
    pub async fn outbox_row(&self, id: i64) -> Result<Option<OutboxRow>> {
        let Some(row) = sqlx::query(outbox::OUTBOX_ROW)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(OutboxRow {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            state: row.try_get("state")?,
            attempts: small(row.try_get("attempts")?),
            next_attempt_at: moment(row.try_get("next_attempt_at")?)?,
            sent_at: moment(row.try_get("sent_at")?)?,
            reminders_sent: small(row.try_get("reminders_sent")?),
            next_reminder_at: moment(row.try_get("next_reminder_at")?)?,
            fence: row.try_get("fence")?,
            possibly_duplicate: row.try_get("possibly_duplicate")?,
            has_token: row.try_get("has_token")?,
            last_error: row.try_get("last_error")?,
        }))
    }

    /// The invitation a link token belongs to, looked up by the token's hash.
    pub async fn invitation_by_token_hash(&self, hash: &[u8; 32]) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(outbox::INVITATION_BY_TOKEN)
            .bind(&hash[..])
            .fetch_optional(&self.pool)
            .await?)
    }
}

/// The rows a query returns about `emails`, run on chunks of the list: `start` opens the
/// query up to its `IN (`.
async fn among(
    conn: &mut DbConnection,
    emails: &[String],
    start: impl Fn() -> QueryBuilder<Db>,
) -> Result<Vec<DbRow>> {
    let mut found = Vec::new();
    for chunk in emails.chunks(ROWS_PER_STATEMENT) {
        let mut query = start();
        let mut list = query.separated(", ");
        for email in chunk {
            list.push_bind(email);
        }
        query.push(")");
        found.extend(query.build().fetch_all(&mut *conn).await?);
    }
    Ok(found)
}

/// The first column of `rows`, as a set of emails.
fn email_set(rows: &[DbRow]) -> Result<HashSet<String>> {
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// Gives each claimed invitation its person's contact, or marks it `fatigued` (see
/// `ClaimRequest::fatigue_since`), inside the claim's transaction so that no other claim
/// takes the same person in between. Of several invitations to one person in the batch,
/// the one already holding the contact (taken over after a crash) is tried, else the
/// oldest; the others are fatigued, unless the program has no fatigue rule. One upsert takes them all in email order, the lock
/// order of every claim, so two claims never deadlock on PostgreSQL.
async fn take_guards(
    conn: &mut DbConnection,
    claimed: &mut [Claimed],
    since: Option<i64>,
    now: i64,
) -> Result<()> {
    let emails: Vec<String> = claimed
        .iter()
        .filter(|c| c.message == 0 && c.case_id.is_none())
        .map(|c| c.email.clone())
        .collect();
    if emails.is_empty() {
        return Ok(());
    }
    let recent = match since {
        Some(since) => email_set(
            &among(conn, &emails, || {
                let mut query = QueryBuilder::new(outbox::CONTACTED_AMONG);
                query.push_bind(since).push(" AND email IN (");
                query
            })
            .await?,
        )?,
        None => HashSet::new(),
    };
    let holders = among(conn, &emails, || QueryBuilder::new(outbox::GUARD_HOLDERS))
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<HashMap<String, i64>>>()?;
    let mut chosen: BTreeMap<&str, i64> = BTreeMap::new();
    for item in claimed
        .iter()
        .filter(|c| c.message == 0 && c.case_id.is_none())
    {
        if recent.contains(&item.email) {
            continue;
        }
        let holds = holders.get(&item.email) == Some(&item.invitation_id);
        match chosen.entry(item.email.as_str()) {
            Entry::Vacant(slot) => {
                slot.insert(item.invitation_id);
            }
            Entry::Occupied(mut slot) if holds => {
                slot.insert(item.invitation_id);
            }
            Entry::Occupied(_) => {}
        }
    }
    let rows: Vec<(&str, i64)> = chosen.into_iter().collect();
    let mut taken = HashSet::new();
    for chunk in rows.chunks(ROWS_PER_STATEMENT / 3) {
        let mut query = QueryBuilder::<Db>::new("");
        push_take_guard(&mut query, chunk, now, since.unwrap_or(i64::MAX));
        for row in query.build().fetch_all(&mut *conn).await? {
            taken.insert(row.try_get::<i64, _>(0)?);
        }
    }
    for item in claimed.iter_mut() {
        item.fatigued = since.is_some()
            && item.message == 0
            && item.case_id.is_none()
            && !taken.contains(&item.invitation_id);
    }
    Ok(())
}

fn claimed_row(row: &DbRow) -> Result<Claimed> {
    let state: String = row.try_get("state")?;
    let reminder: Option<i64> = row.try_get("reminder_in_flight")?;
    let message = if state == "sent" {
        small(reminder.unwrap_or(1))
    } else {
        0
    };
    let attempts = if message == 0 {
        row.try_get("attempts")?
    } else {
        row.try_get("reminder_attempts")?
    };
    Ok(Claimed {
        invitation_id: row.try_get("id")?,
        wave_id: row.try_get("wave_id")?,
        fence: row.try_get("fence")?,
        message,
        email: row
            .try_get::<Option<String>, _>("email")?
            .unwrap_or_default(),
        locale: row.try_get("locale")?,
        contact_data: row
            .try_get::<Option<Json<Attributes>>, _>("contact_data")?
            .map(|j| j.0)
            .unwrap_or_default(),
        attempts: small(attempts),
        sent_at: moment(row.try_get("sent_at")?)?,
        taken_over: row.try_get("taken_over")?,
        fatigued: false,
        suppressed: false,
        case_id: row.try_get("case_id")?,
    })
}

fn wave_row(row: &DbRow) -> Result<OutboxWave> {
    Ok(OutboxWave {
        id: row.try_get("id")?,
        survey_id: row.try_get("survey_id")?,
        channel_id: row.try_get("channel_id")?,
        period: row.try_get("period")?,
        wave: small(row.try_get("wave")?),
    })
}

/// Builds one statement storing the token hashes of newly claimed invitations; an existing
/// hash is never replaced.
fn push_token_hashes(query: &mut QueryBuilder<Db>, hashes: &[(i64, [u8; 32])]) {
    query.push("UPDATE invitations SET token_hash = CASE id");
    for (id, hash) in hashes {
        query
            .push(" WHEN ")
            .push_bind(*id)
            .push(" THEN ")
            .push_bind(hash.to_vec());
    }
    query.push(" END WHERE token_hash IS NULL AND id IN (");
    let mut ids = query.separated(", ");
    for (id, _) in hashes {
        ids.push_bind(*id);
    }
    query.push(")");
}

/// Builds `UPDATE invitations SET … WHERE id IN (…) AND (id, fence) IN (VALUES …)
/// RETURNING id, fence` for one group: a row whose fence moved on (another dispatcher took
/// it over) is not returned.
fn push_resolution(query: &mut QueryBuilder<Db>, group: &[&Outcome], now: i64) {
    let Some(first) = group.first() else {
        return;
    };
    let template = format!(
        "UPDATE invitations SET {}, possibly_duplicate = (possibly_duplicate OR {{dup}}), \
         last_error = {{err}}, lease_owner = NULL, lease_expires_at = NULL, updated_at = {{now}} \
         WHERE id IN (",
        resolution_set(first.resolution, first.message)
    );
    let mut rest = template.as_str();
    while let Some(start) = rest.find('{') {
        query.push(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        match &rest[start..end] {
            "{now}" => query.push_bind(now),
            "{time}" => query.push_bind(first.resolution.next_at().map(|t| t.as_second())),
            "{dup}" => query.push_bind(first.maybe_delivered),
            _ => query.push_bind(first.error_text()),
        };
        rest = &rest[end..];
    }
    query.push(rest);
    // `id IN (…)` lets SQLite find the rows by primary key; the row-value test alone made
    // it scan the whole table.
    let mut ids = query.separated(", ");
    for outcome in group {
        ids.push_bind(outcome.invitation_id);
    }
    query.push(") AND (id, fence) IN (VALUES ");
    let mut rows = query.separated(", ");
    for outcome in group {
        rows.push("(");
        rows.push_bind_unseparated(outcome.invitation_id);
        rows.push_unseparated(", ");
        rows.push_bind_unseparated(outcome.fence);
        rows.push_unseparated(")");
    }
    query.push(") RETURNING id, fence");
}

/// Builds one multi-row insert of the events of applied outcomes.
fn push_events(query: &mut QueryBuilder<Db>, applied: &[&Outcome], now: i64) {
    query.push(
        "INSERT INTO invitation_events (invitation_id, from_state, to_state, reason, detail, \
         smtp_code, at, message) ",
    );
    query.push_values(applied, |mut row, o| {
        row.push_bind(o.invitation_id)
            .push_bind(if o.message == 0 { "sending" } else { "sent" })
            .push_bind(o.resolution.state_name())
            .push_bind(o.reason.clone())
            .push_bind(o.detail.clone())
            .push_bind(o.smtp_code.map(i64::from))
            .push_bind(now)
            .push_bind(i64::from(o.message));
    });
}

/// Builds the conditional upsert that gives each `(email, invitation)` the person's
/// contact at `now`, unless another invitation has held it since `since`; returns the
/// invitations that got it. An invitation that already holds it keeps it (a takeover after
/// a crash). The emails must be distinct: one statement may not update a row twice.
fn push_take_guard(query: &mut QueryBuilder<Db>, rows: &[(&str, i64)], now: i64, since: i64) {
    query.push("INSERT INTO contact_guard (email, invitation_id, contacted_at) ");
    query.push_values(rows, |mut row, (email, id)| {
        row.push_bind((*email).to_owned())
            .push_bind(*id)
            .push_bind(now);
    });
    query.push(
        " ON CONFLICT (email) DO UPDATE SET invitation_id = excluded.invitation_id, \
         contacted_at = excluded.contacted_at \
         WHERE contact_guard.invitation_id = excluded.invitation_id \
         OR contact_guard.contacted_at < ",
    );
    query.push_bind(since);
    query.push(" RETURNING invitation_id");
}
