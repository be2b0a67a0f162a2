//! `ecoute daemon` when what it depends on goes away during the run (issue 12, bad input):
//! PostgreSQL unreachable for a while (it retries with a backoff, `/healthz` turns 503 and
//! back, nothing is lost or sent twice) and an SMTP server that does not listen (messages
//! deferred, not failed, sent once the server comes up).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ecoute::dispatch::outbox::OutboxRow;
use ecoute::store::Store;

use crate::daemon::{WEEKLY, message_of, rows_of};
use crate::harness::{Daemon, Project, SmtpServer};
use crate::support::TestDb;

/// Week 46 of 2026: its wave leaves on Monday 9 November at 10:00 Paris (09:00 UTC).
const WEEK: &str = "2026-W46";

/// The weekly test program without reminders: one message per person.
fn without_reminders() -> String {
    WEEKLY.replace("reminder_days: [1, 3]", "reminder_days: []")
}

/// A TCP relay to the test PostgreSQL server that the test can cut (every open connection
/// closed, new ones accepted and closed at once, as a server that is restarting) and
/// restore, so one daemon loses its database while other tests keep theirs. Its threads
/// live as long as the test process.
struct PgRelay {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl PgRelay {
    fn start() -> PgRelay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("relay port");
        let port = listener.local_addr().expect("relay address").port();
        let up = Arc::new(AtomicBool::new(true));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (accepting, registry) = (Arc::clone(&up), Arc::clone(&open));
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if !accepting.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(PG_URL_ADDRESS) else {
                    continue;
                };
                let mut streams = registry.lock().expect("relay registry");
                for stream in [&client, &server] {
                    if let Ok(clone) = stream.try_clone() {
                        streams.push(clone);
                    }
                }
                drop(streams);
                pipe(&client, &server);
                pipe(&server, &client);
            }
        });
        PgRelay { port, up, open }
    }

    /// The test database's URL through the relay.
    fn url(&self, db: &TestDb) -> String {
        db.url
            .replace(PG_URL_ADDRESS, &format!("127.0.0.1:{}", self.port))
    }

    /// The database becomes unreachable: open connections are cut, new ones refused.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for stream in self.open.lock().expect("relay registry").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// The database is reachable again.
    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// Where the test PostgreSQL server (`support::PG_URL`) listens.
const PG_URL_ADDRESS: &str = "127.0.0.1:5432";

/// Copies bytes from one side to the other on a thread of its own until either closes.
fn pipe(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buffer) {
            if n == 0 || to.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

fn health(daemon: &Daemon) -> String {
    daemon.request("GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
}

/// Asks `/healthz` until its reply starts with `status` (a safety net of a minute: the
/// pool replaces its connections and the loops back off first).
fn wait_health(daemon: &Daemon, status: &str) -> String {
    let started = Instant::now();
    loop {
        let reply = health(daemon);
        if reply.starts_with(status) {
            return reply;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "/healthz never answered {status}; last reply:\n{reply}\nlog:\n{}",
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until the week's wave has `count` invitations, all in `state`.
async fn wait_rows(
    store: &Store,
    count: usize,
    state: &str,
    daemon: &Daemon,
) -> HashMap<String, OutboxRow> {
    let started = Instant::now();
    loop {
        let rows = rows_of(store, WEEK).await;
        if rows.len() == count && rows.values().all(|r| r.state == state) {
            return rows;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the wave's invitations never all became {state}: {rows:?}\nlog:\n{}",
            daemon.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How many times the SMTP server received each invitation of `rows`.
fn received(smtp: &SmtpServer, rows: &HashMap<String, OutboxRow>) -> HashMap<i64, usize> {
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for (message_id, _) in smtp.received() {
        let (id, _) = message_of(&message_id);
        if rows.values().any(|r| r.id == id) {
            *seen.entry(id).or_default() += 1;
        }
    }
    seen
}

#[tokio::test]
async fn postgresql_lost_during_the_run_is_retried_and_the_wave_is_sent_once() {
    let smtp = SmtpServer::start(&[]);
    let mut csv = String::from("email\n");
    for i in 0..10 {
        csv.push_str(&format!("client{i}@example.org\n"));
    }
    let db = TestDb::postgres().await;
    let relay = PgRelay::start();
    let relayed = relay.url(&db);
    let project = Project::new()
        .program("essai", &without_reminders())
        .contacts(&csv)
        .database(db)
        .mail(&smtp.url())
        .public_url("https://avis.example.org");
    let store = project.store().await;
    // Twenty clock seconds before the wave, at two clock seconds per real second.
    let started = Instant::now();
    let daemon = project.daemon(&[
        "--database-url",
        &relayed,
        "--at",
        "2026-11-09T08:59:40Z",
        "--clock-rate",
        "2",
    ]);
    daemon.wait_for_log("next wave 1 of 2026-W46", Duration::from_secs(60));
    // Healthy once the scheduler completed its first pass.
    let up = wait_health(&daemon, "HTTP/1.1 200");
    assert!(up.contains(r#""store":"ok""#), "{up}");

    relay.cut();
    let down = wait_health(&daemon, "HTTP/1.1 503");
    assert!(down.contains(r#""store":"unreachable""#), "{down}");
    // The scheduler keeps trying, waiting longer each time.
    daemon.wait_for_log("trying again in 2 s", Duration::from_secs(60));
    // Down until the wave's tick has come due (10 real seconds after the start; the
    // assertions below hold whenever it fires, this only makes the outage cover it).
    let due = Duration::from_secs(12);
    if let Some(rest) = due.checked_sub(started.elapsed()) {
        std::thread::sleep(rest);
    }
    assert!(
        rows_of(&store, WEEK).await.is_empty(),
        "nothing planned while the database is unreachable"
    );
    relay.restore();

    let rows = wait_rows(&store, 10, "sent", &daemon).await;
    let back = wait_health(&daemon, "HTTP/1.1 200");
    assert!(back.contains(r#""store":"ok""#), "{back}");
    let (status, log) = daemon.stop();
    assert_eq!(status.code(), Some(0), "the daemon ran to its stop:\n{log}");
    assert!(!log.contains("panicked"), "{log}");
    assert!(
        log.lines()
            .any(|l| l.contains("scheduler:") && l.contains("trying again in 1 s")),
        "{log}"
    );
    for row in rows.values() {
        assert!(!row.possibly_duplicate, "{row:?}");
        assert_eq!(row.attempts, 1, "{row:?}");
    }
    let seen = received(&smtp, &rows);
    assert_eq!(seen.len(), 10, "every invitation arrived: {seen:?}");
    assert!(seen.values().all(|n| *n == 1), "each once: {seen:?}");
}

#[tokio::test]
async fn an_smtp_server_that_does_not_listen_defers_the_wave_until_it_comes_up() {
    let port = {
        let probe = TcpListener::bind("127.0.0.1:0").expect("a free port");
        probe.local_addr().expect("address").port()
    };
    let project = Project::new()
        .program("essai", &without_reminders())
        .contacts("email\nun@example.org\ndeux@example.org\ntrois@example.org\n")
        .database(TestDb::sqlite())
        .mail(&format!("smtp://127.0.0.1:{port}"))
        .public_url("https://avis.example.org");
    let store = project.store().await;
    // Just after the wave: it is planned at once and meets a closed port.
    let daemon = project.daemon(&[
        "--at",
        "2026-11-09T09:00:05Z",
        "--retry-base",
        "2",
        "--max-attempts",
        "100",
    ]);
    let deferred = wait_rows(&store, 3, "deferred", &daemon).await;
    for row in deferred.values() {
        assert!(row.attempts >= 1, "{row:?}");
        assert!(row.next_attempt_at.is_some(), "{row:?}");
        assert!(row.last_error.is_some(), "{row:?}");
    }
    // The store is fine and the scheduler alive: the daemon is healthy.
    let reply = health(&daemon);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains(r#""store":"ok""#), "{reply}");
    daemon.wait_for_log("the mail server cannot be reached", Duration::from_secs(60));

    let smtp = SmtpServer::start(&["--port", &port.to_string()]);
    let rows = wait_rows(&store, 3, "sent", &daemon).await;
    let (status, log) = daemon.stop();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    let seen = received(&smtp, &rows);
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    assert!(rows.values().all(|r| !r.possibly_duplicate), "{rows:?}");
}
