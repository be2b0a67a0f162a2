//! Group commit: one writer task stores the responses of many concurrent requests in one
//! transaction, so a burst of submissions costs one durable commit (one `fsync` on SQLite)
//! instead of one each. Every request still gets its answer only after that commit.
//!
//! SQLite has one writer at a time anyway, so it gets one writer task; PostgreSQL commits
//! transactions in parallel, so it gets a few, each fed in turn.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{mpsc, oneshot};

use crate::store::{BackendKind, NewResponse, Store, StoreError};

/// Responses per transaction at most.
const MAX_BATCH: usize = 256;
/// Requests waiting for the writer at most before senders wait too (back-pressure).
const QUEUE: usize = 4_096;

type Reply = oneshot::Sender<Result<Option<i64>, StoreError>>;

/// Writer tasks on PostgreSQL.
const POSTGRES_WRITERS: usize = 4;

/// A handle on the writer tasks; cheap to clone.
#[derive(Debug, Clone)]
pub struct Ingest {
    lanes: Arc<[mpsc::Sender<(NewResponse, Reply)>]>,
    next: Arc<AtomicUsize>,
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
    /// Starts the writer tasks on the current runtime; they end when every handle is
    /// dropped.
    pub fn start(store: Store) -> Ingest {
        let writers = match store.backend() {
            BackendKind::Sqlite => 1,
            BackendKind::Postgres => POSTGRES_WRITERS,
        };
        let lanes: Vec<_> = (0..writers)
            .map(|_| {
                let (jobs, receiver) = mpsc::channel(QUEUE);
                tokio::spawn(run(store.clone(), receiver));
                jobs
            })
            .collect();
        Ingest {
            lanes: lanes.into(),
            next: Arc::new(AtomicUsize::new(0)),
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
}

/// Why a response could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The writer is gone.
    #[error(transparent)]
    Stopped(WriterStopped),
    /// The database refused it.
    #[error(transparent)]
    Store(StoreError),
}

async fn run(store: Store, mut receiver: mpsc::Receiver<(NewResponse, Reply)>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (responses, replies): (Vec<NewResponse>, Vec<Reply>) = jobs.drain(..).unzip();
        match store.insert_responses(&responses).await {
            Ok(ids) => {
                for (reply, id) in replies.into_iter().zip(ids) {
                    // The request may have gone (client hung up): its response is stored anyway.
                    let _ = reply.send(Ok(id));
                }
            }
            Err(_) => {
                // One bad response must not fail its neighbours: store them one by one, each
                // with its own outcome.
                for (reply, response) in replies.into_iter().zip(&responses) {
                    let _ = reply.send(store.insert_response(response).await);
                }
            }
        }
    }
}
