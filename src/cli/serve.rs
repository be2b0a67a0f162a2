//! `ecoute serve`: the web server that collects answers (survey form, unsubscribe, open
//! link, admin API, health).

use std::path::PathBuf;

use anyhow::Context;
use axum::http::HeaderName;
use clap::Args;

use super::Exit;
use super::count::count;
use super::options::{LogArgs, StoreArgs, TemplatesArgs, WebArgs};

use crate::collect::{AppState, ServerOptions};
use crate::config::Settings;
use crate::program::{CheckContext, Program};
use crate::records::BackendKind;
use crate::redact::redact_url;
use crate::store::{Store, StoreOptions};
use crate::templates::Templates;

/// Arguments of `ecoute serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Folder (or file) of the programs whose surveys are served
    #[arg(long, default_value = "programs", value_name = "PATH")]
    programs: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub templates: TemplatesArgs,
    #[command(flatten)]
    pub web: WebArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

/// Loads every program under `path`; one with problems stops the server from starting, so
/// a half-valid program is never served.
pub fn load_programs(path: &PathBuf, settings: &Settings) -> anyhow::Result<Vec<Program>> {
    let files = crate::program::discover(std::slice::from_ref(path)).with_context(|| {
        format!(
            "cannot read the programs in {}: pass --programs with the folder of your program files",
            path.display()
        )
    })?;
    let context = CheckContext {
        templates: Templates::new(settings.templates.as_deref()),
    };
    let mut programs = Vec::new();
    let mut failed = 0;
    for file in files {
        match crate::program::load(&file, &context) {
            Ok(program) => programs.push(program),
            Err(problems) => {
                failed += 1;
                for problem in &problems {
                    eprintln!("{}\n", problem.render(false));
                }
            }
        }
    }
    if failed > 0 {
        anyhow::bail!(
            "{} with problems; run `ecoute check {}` and fix them first",
            count(failed, "program file"),
            path.display()
        );
    }
    Ok(programs)
}

/// Starts the server and runs until Ctrl-C or SIGTERM.
pub async fn run(args: &ServeArgs, settings: &Settings) -> anyhow::Result<Exit> {
    let programs = load_programs(&args.programs, settings)?;
    let store = open_store(settings).await?;
    let options = server_options(settings)?;
    let listener = listen(settings).await?;
    let address = listener
        .local_addr()
        .context("cannot read the listening address")?;
    // The handlers are in place before the banner: whoever reads it may stop the server at
    // once and gets a graceful stop, not death by signal.
    let shutdown = shutdown_signal().context("cannot install the SIGINT/SIGTERM handlers")?;
    let ids: Vec<&str> = programs.iter().map(Program::id).collect();
    args.log.init();
    tracing::info!(
        "ecoute serve: listening on http://{address} (public URL {}), programs: {}, admin API {}",
        settings.public_url,
        if ids.is_empty() {
            "none".to_owned()
        } else {
            ids.join(", ")
        },
        if options.admin_token.is_some() {
            "on"
        } else {
            "off"
        }
    );
    let templates = Templates::new(settings.templates.as_deref());
    let state = AppState::new(store.clone(), programs, templates, &options);
    crate::collect::serve(listener, state, shutdown)
        .await
        .context("the web server stopped")?;
    store.close().await;
    tracing::info!("ecoute serve: stopped");
    Ok(Exit::Success)
}

/// Opens the store for a web server. SQLite: one writer and a few readers (each connection
/// is a thread; more only add context switches on small machines). PostgreSQL: readers plus
/// the parallel writers.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let max_connections = match BackendKind::from_url(&settings.database_url)? {
        BackendKind::Sqlite => 4,
        BackendKind::Postgres => 16,
    };
    Store::open_with(
        &settings.database_url,
        &StoreOptions {
            max_connections,
            ..StoreOptions::default()
        },
    )
    .await
    .with_context(|| {
        format!(
            "cannot open the database {}",
            redact_url(&settings.database_url)
        )
    })
}

/// The web server's options from the settings.
pub fn server_options(settings: &Settings) -> anyhow::Result<ServerOptions> {
    let client_ip_header = settings
        .client_ip_header
        .as_deref()
        .map(|name| {
            HeaderName::try_from(name).with_context(|| {
                format!(
                    "client_ip_header `{name}` is not a valid header name (e.g. X-Forwarded-For)"
                )
            })
        })
        .transpose()?;
    Ok(ServerOptions {
        admin_token: settings.admin_token.clone(),
        client_ip_header,
        secure_cookies: settings.public_url.starts_with("https://"),
        ..ServerOptions::default()
    })
}

/// Binds the listening address, with what to do when it is taken.
pub async fn listen(settings: &Settings) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (another program may use it): choose another address with --listen (e.g. 127.0.0.1:8081)",
                settings.listen
            )
        })
}

/// Installs the Ctrl-C (SIGINT) and SIGTERM handlers now, and returns the future that
/// completes on the first of them.
#[cfg(unix)]
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static>
{
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Installs the Ctrl-C handler now, and returns the future that completes on it.
#[cfg(not(unix))]
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static>
{
    let mut interrupt = tokio::signal::windows::ctrl_c()?;
    Ok(async move {
        let _ = interrupt.recv().await;
    })
}
