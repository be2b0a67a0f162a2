//! `ecoute demo`: the whole loop on embedded defaults, in one command, so a newcomer sees
//! answers and a report rather than invitations only.
//!
//! In a folder of its own (a SQLite file, emails as `.eml` files, the web form on a free
//! loopback port) it copies the French example program, invents a few thousand customers
//! ([`population`]), runs the daemon's scheduler and dispatcher ([`crate::daemon`]) on a
//! rehearsal clock that crosses two months in seconds, lets simulated respondents read the
//! emails and post the real web form over HTTP ([`respondents`]), waits for the second
//! period to close, and writes the HTML, Markdown and JSON comparison reports. Nothing is
//! copied from those modules: the demo only wires them together.

mod folder;
pub mod population;
pub mod respondents;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::{Notify, watch};

use crate::clock::Clock;
use crate::collect::{AppState, LimitSettings, ServerOptions};
use crate::contacts::{ImportOptions, import_file};
use crate::daemon::{Daemon, Liveness, Tasks};
use crate::dispatch::engine::DispatchOptions;
use crate::dispatch::transport::MailSettings;
use crate::metrics::DEFAULT_ALPHA;
use crate::program::{CheckContext, Program};
use crate::report::render::{self, Renderer};
use crate::report::{Baseline, GroupBy, ReportPlan, ReportRequest};
use crate::store::{Store, StoreError};
use crate::templates::Templates;
use crate::token::LinkSecret;

pub use folder::MARKER;
pub use respondents::{Persona, Posted, Reaction, Respondents, persona};

/// The program the demo runs (the French example).
pub const PROGRAM: &str = "fidelite-clients";
/// The first period the demo runs, the report's baseline.
pub const FIRST_PERIOD: &str = "2026-10";
/// The second period, the one the report is about.
pub const SECOND_PERIOD: &str = "2026-11";
/// Where the rehearsal clock starts: just before the first period's wave (2 October,
/// 10:00 Paris, 08:00 UTC).
pub const START: &str = "2026-10-02T07:55:00Z";
/// Clock seconds per real second: the 75 days from the first wave to the second period's
/// close pass in about 26 seconds, slow enough for the respondents to keep up on two cores.
pub const CLOCK_RATE: f64 = 250_000.0;
/// How long the demo waits (real time) for the second period to close before giving up.
const PATIENCE: Duration = Duration::from_secs(300);

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The folder holds something else than a previous demo.
    #[error(
        "{dir} holds files that `ecoute demo` did not write (such as `{example}`), so it will \
         not touch it: choose another folder with --dir, or empty this one"
    )]
    Foreign {
        /// The folder.
        dir: PathBuf,
        /// One of its entries.
        example: String,
    },
    /// The path is a file.
    #[error("{0} is a file, not a folder: choose a folder with --dir")]
    NotAFolder(PathBuf),
    /// A file or folder could not be read or written.
    #[error(
        "cannot write the demo into {path}: {source}; choose a folder you can write to with --dir"
    )]
    Io {
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The loopback port is taken or cannot be bound.
    #[error(
        "cannot listen on 127.0.0.1:{port} for the survey form: {source}; \
         pass another --port, or --port 0 for any free one"
    )]
    Port {
        /// The port asked for (0: any).
        port: u16,
        /// Why.
        source: std::io::Error,
    },
    /// The embedded example program does not load (a bug of this build).
    #[error("the embedded example program does not load: {0}")]
    Program(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another step failed.
    #[error("{0}")]
    Step(String),
    /// The web form refused what a respondent posted.
    #[error("the survey form at {url} refused a simulated answer: {problem}")]
    Form {
        /// The page.
        url: String,
        /// What went wrong.
        problem: String,
    },
    /// A link the web form no longer opens (its period closed).
    #[error("the survey form at {0} answered 404 Not Found: its period has closed")]
    NotFound(String),
    /// The web server could not be reached.
    #[error("cannot reach the survey form at {url}: {problem}")]
    Http {
        /// The page.
        url: String,
        /// What went wrong.
        problem: String,
    },
    /// The second period did not close in time.
    #[error(
        "the second period did not close within {} s (the machine may be very busy): run \
         `ecoute demo` again",
        PATIENCE.as_secs()
    )]
    TooSlow,
}

/// What `ecoute demo` needs to know.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The demo's folder.
    pub dir: PathBuf,
    /// The loopback port of the web form (0: any free one).
    pub port: u16,
    /// How many customers to invent.
    pub contacts: usize,
}

/// What the demo did, for its closing words.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Emails written (invitations, reminders, alerts).
    pub emails: usize,
    /// Answers posted and accepted.
    pub answers: usize,
    /// People who unsubscribed.
    pub unsubscribed: usize,
    /// Answers that came after their period closed.
    pub too_late: usize,
    /// The HTML, Markdown and JSON reports.
    pub reports: [PathBuf; 3],
}

/// Writes the demo's program and contacts into `dir/programs/` (the program, and its CSV
/// of `contacts` synthetic customers); returns the program file.
pub fn write_program(dir: &Path, contacts: usize) -> Result<PathBuf, DemoError> {
    let program = population::program()
        .ok_or_else(|| DemoError::Program("its email pace is not the one expected".to_owned()))?;
    let file = dir.join("programs").join(format!("{PROGRAM}.yaml"));
    let csv = dir.join("programs/contacts/clients.csv");
    for (path, text) in [(&file, program), (&csv, population::contacts_csv(contacts))] {
        let io = |source| DemoError::Io {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(path, text).map_err(io)?;
    }
    Ok(file)
}

/// Imports the demo's contacts into the store too (the after-sales sample reads them there).
pub async fn import_contacts(store: &Store, dir: &Path) -> Result<(), DemoError> {
    import_file(
        store,
        &dir.join("programs/contacts/clients.csv"),
        &ImportOptions::default(),
    )
    .await
    .map_err(|e| DemoError::Step(format!("cannot import the demo's contacts: {e}")))?;
    Ok(())
}

/// The example program's two months of operational indicators (`programs/indicateurs/`).
const INDICATOR_FILES: [(&str, &str); 2] = [
    (
        "2026-10.csv",
        include_str!("../../programs/indicateurs/2026-10.csv"),
    ),
    (
        "2026-11.csv",
        include_str!("../../programs/indicateurs/2026-11.csv"),
    ),
];

/// Writes the example's indicator files into `dir/programs/indicateurs/` and imports them
/// as `ecoute indicators import` does, once the months are over (`now`); returns the rows
/// stored.
pub async fn import_indicators(
    store: &Store,
    program: &Program,
    dir: &Path,
    now: Timestamp,
) -> Result<u64, DemoError> {
    let folder = dir.join("programs/indicateurs");
    let mut stored = 0;
    for (name, text) in INDICATOR_FILES {
        let path = folder.join(name);
        let io = |source| DemoError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&folder).map_err(io)?;
        std::fs::write(&path, text).map_err(io)?;
        let parsed = crate::indicators::parse(text.as_bytes(), b';', program, now)
            .map_err(|e| DemoError::Step(format!("cannot read {}: {e}", path.display())))?;
        if let Some(error) = parsed.errors.first() {
            return Err(DemoError::Step(format!("{}: {error}", path.display())));
        }
        let rows: Vec<_> = parsed.rows.into_iter().map(|(_, row)| row).collect();
        stored += store
            .import_indicators(program.id(), &rows, now)
            .await?
            .imported;
    }
    Ok(stored)
}

/// Loads a program file as the daemon does (embedded templates).
pub fn load_program(file: &Path) -> Result<Program, DemoError> {
    let context = CheckContext {
        templates: Templates::new(None),
    };
    crate::program::load(file, &context).map_err(|problems| {
        DemoError::Program(
            problems
                .iter()
                .map(|p| p.render(false))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })
}

/// Runs the whole demo; `progress` receives a line now and then.
pub async fn run(options: &DemoOptions, progress: &dyn Fn(&str)) -> Result<Summary, DemoError> {
    let dir = &options.dir;
    folder::prepare(dir)?;
    let program = Arc::new(load_program(&write_program(dir, options.contacts)?)?);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|source| DemoError::Port {
            port: options.port,
            source,
        })?;
    let address = listener.local_addr().map_err(|source| DemoError::Port {
        port: options.port,
        source,
    })?;
    let store = Store::open(&format!("sqlite://{}", dir.join("ecoute.db").display())).await?;
    import_contacts(&store, dir).await?;
    progress(&format!(
        "{} customers invented, program {PROGRAM} copied into {}",
        options.contacts,
        dir.display()
    ));
    let secret = LinkSecret::load_or_create(&dir.join("ecoute.secret"))
        .map_err(|e| DemoError::Step(e.to_string()))?;
    let outbox = dir.join("outbox");
    let start: Timestamp = START
        .parse()
        .map_err(|e| DemoError::Step(format!("start instant: {e}")))?;
    let clock = Clock::starting_at(start, CLOCK_RATE);
    let (programs_tx, programs_rx) = watch::channel(Arc::new(vec![Arc::clone(&program)]));
    // Every respondent comes from 127.0.0.1: the per-address limits would stop them.
    let limits = LimitSettings {
        bad_links_burst: 1_000_000,
        open_link_burst: 1_000_000,
        ..LimitSettings::default()
    };
    let server_options = ServerOptions {
        clock,
        limits,
        ..ServerOptions::default()
    };
    let state = AppState::live(
        store.clone(),
        programs_rx,
        Templates::new(None),
        &server_options,
    );
    let dispatch = DispatchOptions {
        owner: format!("ecoute demo (pid {})", std::process::id()),
        clock,
        // A claim must outlast the real seconds a batch takes, or the dispatcher would take
        // its own messages over as "possibly sent twice": on the rehearsal clock, 30 real
        // seconds are 87 days.
        lease: Duration::from_secs((30.0 * CLOCK_RATE) as u64),
        ..DispatchOptions::default()
    };
    let base = format!("http://{address}");
    let daemon = Arc::new(Daemon {
        store: store.clone(),
        owner: dispatch.owner.clone(),
        clock,
        dispatch,
        templates: Arc::new(Templates::new(None)),
        secret,
        public_url: base.clone(),
        mail: MailSettings::Files(outbox.clone()),
        programs: programs_tx,
        wake: Notify::new(),
        liveness: Liveness::default(),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let tasks = Tasks::spawn(&daemon, listener, state, &stop_rx);
    progress(&format!(
        "daemon started on a rehearsal clock ({:.1} days a second), survey form on {base}",
        CLOCK_RATE / 86_400.0
    ));
    let mut respondents = Respondents::new(&base, PROGRAM, SECOND_PERIOD);
    let outcome = simulate(&store, &mut respondents, &outbox, clock, progress).await;
    let _ = stop_tx.send(true);
    tasks.join().await;
    outcome?;
    let emails = eml_count(&outbox);
    let indicators = import_indicators(&store, &program, dir, clock.now()).await?;
    progress(&format!(
        "{indicators} rows of operational indicators imported from programs/indicateurs/"
    ));
    let reports = write_reports(&store, &program, dir, clock.now()).await?;
    store.close().await;
    Ok(Summary {
        emails,
        answers: respondents.posted.len(),
        unsubscribed: respondents.unsubscribed.len(),
        too_late: respondents.too_late,
        reports,
    })
}

/// Lets respondents read their mail until the second period closes, with a progress line
/// about once a second.
async fn simulate(
    store: &Store,
    respondents: &mut Respondents,
    outbox: &Path,
    clock: Clock,
    progress: &dyn Fn(&str),
) -> Result<(), DemoError> {
    let started = Instant::now();
    let mut last_line = Instant::now();
    let mut closed_seen = 0;
    loop {
        respondents.read_mail(store, outbox).await?;
        let closed = store.closed_periods(PROGRAM).await?;
        if closed.len() > closed_seen {
            closed_seen = closed.len();
            progress(&format!("period {} closed", closed.join(", ")));
        }
        if closed.iter().any(|p| p == SECOND_PERIOD) {
            return Ok(());
        }
        if last_line.elapsed() >= Duration::from_secs(1) {
            last_line = Instant::now();
            progress(&format!(
                "{}  {} emails, {} answers, {} unsubscribed",
                clock.now().strftime("%Y-%m-%d"),
                eml_count(outbox),
                respondents.posted.len(),
                respondents.unsubscribed.len()
            ));
        }
        if started.elapsed() > PATIENCE {
            return Err(DemoError::TooSlow);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn eml_count(folder: &Path) -> usize {
    std::fs::read_dir(folder).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .count()
    })
}

/// Writes the second period's report against the first as HTML, Markdown and JSON into
/// `dir/reports/`.
async fn write_reports(
    store: &Store,
    program: &Program,
    dir: &Path,
    now: Timestamp,
) -> Result<[PathBuf; 3], DemoError> {
    let step = |e: &dyn std::fmt::Display| DemoError::Step(format!("cannot write the report: {e}"));
    let mut texts = Vec::new();
    for details in [true, false] {
        let request = ReportRequest {
            period: Some(SECOND_PERIOD.to_owned()),
            vs: Baseline::Previous,
            group_by: GroupBy::Touchpoint,
            alpha: DEFAULT_ALPHA,
            details,
        };
        let built = ReportPlan::new(program, request, now)
            .map_err(|e| step(&e))?
            .build(store)
            .await
            .map_err(|e| step(&e))?;
        if details {
            let renderer = Renderer::new(None);
            texts.push(renderer.html(&built).map_err(|e| step(&e))?);
            texts.push(renderer.markdown(&built).map_err(|e| step(&e))?);
        } else {
            texts.push(render::json(&built).map_err(|e| step(&e))?);
        }
    }
    let folder = dir.join("reports");
    std::fs::create_dir_all(&folder).map_err(|source| DemoError::Io {
        path: folder.clone(),
        source,
    })?;
    let paths =
        ["html", "md", "json"].map(|ext| folder.join(format!("rapport-{SECOND_PERIOD}.{ext}")));
    for (path, text) in paths.iter().zip(texts) {
        std::fs::write(path, text).map_err(|source| DemoError::Io {
            path: path.clone(),
            source,
        })?;
    }
    Ok(paths)
}
