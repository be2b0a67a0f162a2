//! Group commit: one writer task stores the responses of many concurrent requests in one
//! transaction, so a burst of submissions costs one durable commit (one `fsync` on SQLite)
//! and a few multi-row statements instead of one each. Every request still gets its answer
//! only after that commit. The link lookups of concurrent requests are grouped the same way:
//! one query finds the invitations of every request waiting at that moment.
//!
//! SQLite has one writer at a time anyway, so it gets one writer task; PostgreSQL commits
//! transactions in parallel, so it gets a few, each fed in turn.
//!
//! A batch the database refuses is split in halves until the refused response is alone:
//! it fails by itself and its neighbours are stored. A failure of the database as a whole
//! (unreachable, locked, read-only) fails every request of the batch at once, with the same
//! error, since retrying them one by one would only fail the same way, slower.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{mpsc, oneshot};

use crate::clock::Clock;
use crate::records::BackendKind;
use crate::records::{NewResponse, TokenInvitation};
use crate::store::{Store, StoreError};

/// Responses per transaction (and links per lookup) at most.
const MAX_BATCH: usize = 256;
/// Requests waiting for the writer at most before senders wait too (back-pressure).
const QUEUE: usize = 4_096;

/// What a request learns from a batch: the batch's error is shared by all its requests.
type Outcome<T> = Result<T, Arc<StoreError>>;
type Reply = oneshot::Sender<Outcome<Option<i64>>>;
type Found = oneshot::Sender<Outcome<Option<TokenInvitation>>>;

/// Writer tasks on PostgreSQL: while one waits for its commit, the others fill and write
/// their batches.
const POSTGRES_WRITERS: usize = 4;

/// A handle on the writer and lookup tasks; cheap to clone.
#[derive(Debug, Clone)]
pub struct Ingest {
    lanes: Arc<[mpsc::Sender<(NewResponse, Reply)>]>,
    next: Arc<AtomicUsize>,
    lookups: mpsc::Sender<([u8; 32], Found)>,
}

/// The writer task stopped (the server is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the response writer has stopped; the server is shutting down, retry in a moment")]
pub struct WriterStopped;

/// What a submission became.
#[derive(Debug)]
pub enum Stored {
    /// Stored under this id.
    New(i64),
    /// Already answered (same invitation or external id): nothing written.
    Duplicate,
}

impl Ingest {
    /// Starts the writer and lookup tasks on the current runtime; they end when every
    /// handle is dropped.
    pub fn start(store: Store, clock: Clock) -> Ingest {
        let writers = match store.backend() {
            BackendKind::Sqlite => 1,
            BackendKind::Postgres => POSTGRES_WRITERS,
        };
        let lanes: Vec<_> = (0..writers)
            .map(|_| {
                let (jobs, receiver) = mpsc::channel(QUEUE);
                tokio::spawn(write(store.clone(), clock, receiver));
                jobs
            })
            .collect();
        let (lookups, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(look_up(store, receiver));
        Ingest {
            lanes: lanes.into(),
            next: Arc::new(AtomicUsize::new(0)),
            lookups,
        }
    }

    /// Stores one response through the writer and waits for its durable commit.
    pub async fn submit(&self, response: NewResponse) -> Result<Stored, IngestError> {
        let (reply, answer) = oneshot::channel();
        let lane = self.next.fetch_add(1, Ordering::Relaxed) % self.lanes.len();
        self.lanes[lane]
            .send((response, reply))
            .await
            .map_err(|_| IngestError::Stopped(WriterStopped))?;
        match answer
            .await
            .map_err(|_| IngestError::Stopped(WriterStopped))?
        {
            Ok(Some(id)) => Ok(Stored::New(id)),
            Ok(None) => Ok(Stored::Duplicate),
            Err(e) => Err(IngestError::Store(e)),
        }
    }

    /// The invitation whose link token hashes to `hash`, if any: found with the links of
    /// every other request waiting at the same moment, in one query.
    pub async fn invitation(&self, hash: [u8; 32]) -> Result<Option<TokenInvitation>, IngestError> {
        let (reply, answer) = oneshot::channel();
        self.lookups
            .send((hash, reply))
            .await
            .map_err(|_| IngestError::Stopped(WriterStopped))?;
        answer
            .await
            .map_err(|_| IngestError::Stopped(WriterStopped))?
            .map_err(IngestError::Store)
    }
}

/// Why a response could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The writer is gone.
    #[error(transparent)]
    Stopped(WriterStopped),
    /// The database refused it, or the whole batch it was in.
    #[error(transparent)]
    Store(Arc<StoreError>),
}

/// Stores batches as they come; `clock` stamps them (a rehearsal clock in `ecoute demo` and
/// `daemon --clock-rate`, so the cases and alerts they open fall in rehearsal time).
async fn write(store: Store, clock: Clock, mut receiver: mpsc::Receiver<(NewResponse, Reply)>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (responses, replies): (Vec<NewResponse>, Vec<Reply>) = jobs.drain(..).unzip();
        let mut outcomes = Vec::with_capacity(responses.len());
        let mut pending: Vec<Range<usize>> = Vec::with_capacity(16);
        pending.push(0..responses.len());
        while let Some(range) = pending.pop() {
            let result = store
                .insert_responses(&responses[range.clone()], clock.now())
                .await;
            pending.extend(settle(range, result, &mut outcomes));
        }
        outcomes.sort_by_key(|(i, _)| *i);
        for (reply, (_, outcome)) in replies.into_iter().zip(outcomes) {
            // The request may have gone (client hung up): its response is stored anyway.
            let _ = reply.send(outcome);
        }
    }
}

/// Records what storing the responses `range` of a batch gave, each under its index in the
/// batch; returns the halves to try again when the database refused a row among several.
fn settle(
    range: Range<usize>,
    result: Result<Vec<Option<i64>>, StoreError>,
    outcomes: &mut Vec<(usize, Outcome<Option<i64>>)>,
) -> Vec<Range<usize>> {
    match result {
        Ok(ids) => {
            outcomes.extend(range.zip(ids.into_iter().map(Ok)));
            Vec::new()
        }
        Err(error) if range.len() == 1 || error.is_outage() => {
            let error = Arc::new(error);
            outcomes.extend(range.map(|i| (i, Err(Arc::clone(&error)))));
            Vec::new()
        }
        Err(_) => {
            let middle = range.start + range.len() / 2;
            vec![middle..range.end, range.start..middle]
        }
    }
}

async fn look_up(store: Store, mut receiver: mpsc::Receiver<([u8; 32], Found)>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (hashes, replies): (Vec<[u8; 32]>, Vec<Found>) = jobs.drain(..).unzip();
        match store.token_invitations(&hashes).await {
            Ok(found) => {
                let found: HashMap<[u8; 32], TokenInvitation> = found.into_iter().collect();
                for (hash, reply) in hashes.iter().zip(replies) {
                    let _ = reply.send(Ok(found.get(hash).cloned()));
                }
            }
            Err(error) => {
                let error = Arc::new(error);
                for reply in replies {
                    let _ = reply.send(Err(Arc::clone(&error)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_batch_is_halved_and_an_outage_fails_it_whole() {
        let mut outcomes = Vec::new();
        let refused = StoreError::Database(sqlx::Error::RowNotFound);
        assert_eq!(settle(0..5, Err(refused), &mut outcomes), [2..5, 0..2]);
        assert!(outcomes.is_empty());
        let outage = StoreError::Database(sqlx::Error::PoolTimedOut);
        assert!(settle(0..5, Err(outage), &mut outcomes).is_empty());
        assert_eq!(outcomes.len(), 5);
        assert!(outcomes.iter().all(|(_, o)| o.is_err()));
        let alone = StoreError::Database(sqlx::Error::RowNotFound);
        assert!(settle(7..8, Err(alone), &mut outcomes).is_empty());
        assert!(matches!(outcomes.last(), Some((7, Err(_)))));
        assert!(settle(8..10, Ok(vec![Some(3), None]), &mut outcomes).is_empty());
        assert!(matches!(outcomes[6..], [(8, Ok(Some(3))), (9, Ok(None))]));
    }
}
