//! The one fluent project builder of the integration tests, in the style of `just`'s tests:
//! a temporary project folder (programs, contacts, any file), its database (a [`TestDb`]:
//! SQLite file or PostgreSQL schema, `both_backends!` picks), its mail transport (the
//! `outbox` folder or a real [`SmtpServer`]), and the real `ecoute` binary run in it with a
//! clean environment: `Project::new().program(..).database(db).args(..).run().status(0)`.
//! Tests open the [`Store`] of the same database to check what the binary wrote.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ecoute::program::{CheckContext, Program};
use ecoute::records::StoredResponse;
use ecoute::store::Store;
use ecoute::templates::Templates;
use serde_json::Value;

use crate::support::TestDb;

/// The folder, relative to the project, that the file mail transport writes into.
const OUTBOX: &str = "outbox";

/// A project folder that lives for one test, with the settings every run in it shares.
pub struct Project {
    dir: tempfile::TempDir,
    db: Option<TestDb>,
    /// `ECOUTE_*` variables every run gets: each subcommand reads only the settings it uses.
    settings: Vec<(String, String)>,
}

impl Project {
    /// A new empty project folder; without `.database(..)` the binary uses its default
    /// SQLite file inside it.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("create a temporary folder"),
            db: None,
            settings: Vec::new(),
        }
    }

    /// A project holding the repository's example program and its contacts file.
    pub fn example() -> Self {
        Self::new()
            .repo_file("programs/fidelite-clients.yaml")
            .repo_file("programs/contacts/clients.csv")
    }

    /// Writes a file (text or bytes) relative to the project folder.
    pub fn file(self, relative: &str, content: impl AsRef<[u8]>) -> Self {
        self.write(relative, content);
        self
    }

    /// Writes `programs/<id>.yaml`.
    pub fn program(self, id: &str, yaml: &str) -> Self {
        self.file(&format!("programs/{id}.yaml"), yaml)
    }

    /// Writes `programs/contacts.csv`, the file the test programs read contacts from.
    pub fn contacts(self, csv: &str) -> Self {
        self.file("programs/contacts.csv", csv)
    }

    /// Copies a file of the repository to the same relative path in the project.
    pub fn repo_file(self, relative: &str) -> Self {
        let content = std::fs::read(repo_path(relative)).expect("read a repository file");
        self.file(relative, content)
    }

    /// Every run uses this database (kept, and dropped, with the project).
    pub fn database(mut self, db: TestDb) -> Self {
        self.settings
            .push(("ECOUTE_DATABASE_URL".to_owned(), db.url.clone()));
        self.db = Some(db);
        self
    }

    /// Every run sends mail through this transport URL (`smtp://…` or `file://…`).
    pub fn mail(mut self, url: &str) -> Self {
        self.settings
            .push(("ECOUTE_MAIL".to_owned(), url.to_owned()));
        self
    }

    /// Every run writes its emails into the project's `outbox` folder (see [`Self::emails`]).
    pub fn mail_folder(self) -> Self {
        self.mail(&format!("file://{OUTBOX}"))
    }

    /// Every run builds survey links on this base URL.
    pub fn public_url(mut self, url: &str) -> Self {
        self.settings
            .push(("ECOUTE_PUBLIC_URL".to_owned(), url.to_owned()));
        self
    }

    /// The project folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the project folder.
    pub fn join(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Writes a file into the project after it was built (what a user edits between runs).
    pub fn write(&self, relative: &str, content: impl AsRef<[u8]>) {
        let path = self.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent folder");
        }
        std::fs::write(path, content).expect("write test file");
    }

    /// Opens the store on the project's database, for assertions and set-up.
    pub async fn store(&self) -> Store {
        self.db
            .as_ref()
            .expect("a project with .database(..)")
            .open()
            .await
    }

    /// The emails the file transport wrote into the project's `outbox`, in name order.
    pub fn emails(&self) -> Vec<PathBuf> {
        eml_files(&self.join(OUTBOX))
    }

    /// Starts a run of the binary in the project with these arguments.
    pub fn args<I, S>(&self, args: I) -> Run<'_>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Run {
            project: self,
            args: Vec::new(),
            env: Vec::new(),
        }
        .args(args)
    }

    /// Starts `ecoute daemon` on a free port with these extra arguments, and waits for its
    /// banner; its log is collected in the background.
    pub fn daemon(&self, extra: &[&str]) -> Daemon {
        let mut child = self
            .args(["daemon", "--listen", "127.0.0.1:0"])
            .args(extra)
            .command()
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ecoute daemon");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (banner_tx, banner_rx) = std::sync::mpsc::channel();
        let lines = Arc::clone(&log);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("ecoute daemon: listening on http://") {
                    let _ = banner_tx.send(line.clone());
                }
                lines.lock().expect("log").push(line);
            }
        });
        let banner = banner_rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!(
                    "no banner from ecoute daemon; log:\n{}",
                    log.lock().expect("log").join("\n")
                )
            });
        let address = banner
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no listening address in {banner}"))
            .to_owned();
        Daemon {
            child,
            log,
            reader: Some(reader),
            address,
        }
    }

    /// Starts `ecoute serve` on a free port and waits for the banner with its address.
    pub fn serve(&self) -> Served {
        self.serve_with(&[])
    }

    /// `ecoute serve` on a free port with `extra` arguments (`--log-format json`…).
    pub fn serve_with(&self, extra: &[&str]) -> Served {
        let mut child = self
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .command()
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ecoute serve");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut banner = String::new();
        stderr.read_line(&mut banner).expect("banner");
        let address = banner
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no listening address in {banner}"))
            .to_owned();
        Served {
            child,
            stderr,
            banner,
            address,
        }
    }
}

/// One command line to run in a project.
pub struct Run<'p> {
    project: &'p Project,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Run<'_> {
    /// Appends command-line arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for this run only.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The command, in the project folder, with no `ECOUTE_*` variable inherited from the
    /// machine: only the project's settings and this run's arguments and variables count.
    pub fn command(self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ecoute"));
        command.current_dir(self.project.path()).args(&self.args);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ECOUTE_") {
                command.env_remove(key);
            }
        }
        command.envs(self.project.settings.iter().cloned());
        command.envs(self.env);
        command
    }

    /// Runs the binary to the end and returns what it did.
    pub fn run(self) -> Ran {
        Ran::from(self.command().output().expect("run the ecoute binary"))
    }

    /// Runs the binary to the end and asserts that it succeeded without a panic.
    pub fn success(self) -> Ran {
        self.run().status(0).no_panic()
    }

    /// Starts the binary in the background, its output captured for [`finished`].
    pub fn spawn(self) -> Child {
        self.command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the ecoute binary")
    }
}

/// Waits for a run started with [`Run::spawn`] and returns what it did.
pub fn finished(child: Child) -> Ran {
    Ran::from(child.wait_with_output().expect("the ecoute binary ends"))
}

/// The outcome of a run, with assertions that print everything on failure.
pub struct Ran {
    output: Output,
}

impl From<Output> for Ran {
    fn from(output: Output) -> Self {
        Self { output }
    }
}

impl Ran {
    /// Standard output as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Standard error as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Standard output parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.explain()))
    }

    fn explain(&self) -> String {
        format!(
            "exit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.output.status.code(),
            self.stdout(),
            self.stderr()
        )
    }

    /// Asserts the exit code.
    pub fn status(self, code: i32) -> Self {
        assert_eq!(self.output.status.code(), Some(code), "{}", self.explain());
        self
    }

    /// Asserts that stdout contains `needle`.
    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(
            self.stdout().contains(needle),
            "missing {needle:?} in stdout\n{}",
            self.explain()
        );
        self
    }

    /// Asserts that stderr contains `needle`.
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.stderr().contains(needle),
            "missing {needle:?} in stderr\n{}",
            self.explain()
        );
        self
    }

    /// Asserts that stderr does not contain `needle`.
    pub fn stderr_lacks(self, needle: &str) -> Self {
        assert!(
            !self.stderr().contains(needle),
            "unexpected {needle:?} in stderr\n{}",
            self.explain()
        );
        self
    }

    /// Asserts that no panic message reached the user.
    pub fn no_panic(self) -> Self {
        self.stderr_lacks("panicked")
    }
}

/// `ecoute serve` running in a project, stopped (SIGTERM) or killed on drop.
pub struct Served {
    child: Child,
    stderr: BufReader<ChildStderr>,
    /// The first line it printed.
    pub banner: String,
    /// The `host:port` it listens on.
    pub address: String,
}

impl Served {
    /// Sends one raw HTTP/1.1 request on a new connection and returns the raw reply.
    pub fn request(&self, raw: &str) -> String {
        let mut stream = std::net::TcpStream::connect(&self.address).expect("connect");
        stream.write_all(raw.as_bytes()).expect("request");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("reply");
        reply
    }

    /// Sends a signal (`-KILL`…).
    pub fn signal(&self, name: &str) {
        signal(&self.child, name);
    }

    /// Stops the server with SIGTERM; returns how it exited and what it printed after the
    /// banner.
    pub fn stop(mut self) -> (ExitStatus, String) {
        signal(&self.child, "-TERM");
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).expect("stderr");
        let status = self.child.wait().expect("wait for the server");
        (status, rest)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ecoute daemon` running in a project, its log collected as it comes; killed on drop.
pub struct Daemon {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    /// The `host:port` its web server listens on.
    pub address: String,
}

impl Daemon {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }

    /// Waits (at most `timeout`, a safety net) until a log line contains `needle`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) {
        let started = Instant::now();
        while !self.log().contains(needle) {
            assert!(
                started.elapsed() < timeout,
                "no {needle:?} in the daemon's log after {timeout:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal (`-HUP`, `-KILL`…).
    pub fn signal(&self, name: &str) {
        signal(&self.child, name);
    }

    /// Stops it with SIGTERM; returns how it exited and its whole log.
    pub fn stop(mut self) -> (ExitStatus, String) {
        signal(&self.child, "-TERM");
        let status = self.child.wait().expect("wait for the daemon");
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        (status, self.log())
    }

    /// Sends one raw HTTP/1.1 request on a new connection and returns the raw reply.
    pub fn request(&self, raw: &str) -> String {
        let mut stream = std::net::TcpStream::connect(&self.address).expect("connect");
        stream.write_all(raw.as_bytes()).expect("request");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("reply");
        reply
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a signal (`-TERM`, `-INT`, `-KILL`, `-STOP`, `-CONT`) to a child process.
pub fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill {signal}");
}

/// A running test SMTP server (Debian's python3-aiosmtpd, `tests/smtp/server.py`), killed
/// on drop.
pub struct SmtpServer {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts the server with extra options (`--delay`, `--auth`, `--close-after`,
    /// `--no-pipelining`).
    pub fn start(options: &[&str]) -> SmtpServer {
        let maildir = tempfile::tempdir().expect("maildir");
        let mut child = Command::new("/usr/bin/python3")
            .args(["-W", "ignore"])
            .arg(repo_path("tests/smtp/server.py"))
            .arg("--maildir")
            .arg(maildir.path())
            .args(options)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3-aiosmtpd is installed (see .ci/run)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the SMTP server prints its port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the SMTP server: {line:?}"));
        SmtpServer {
            child,
            port,
            maildir,
        }
    }

    /// The mail URL of this server.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every accepted message as (Message-ID, recipient), in order of arrival.
    pub fn received(&self) -> Vec<(String, String)> {
        let log =
            std::fs::read_to_string(self.maildir.path().join("received.log")).unwrap_or_default();
        log.lines()
            .filter_map(|line| {
                let mut fields = line.split('\t');
                Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
            })
            .collect()
    }

    /// When the server took each accepted message (Unix seconds, its own clock), sorted.
    pub fn received_times(&self) -> Vec<f64> {
        let log =
            std::fs::read_to_string(self.maildir.path().join("received.log")).unwrap_or_default();
        let mut times: Vec<f64> = log
            .lines()
            .filter_map(|line| line.split('\t').nth(2)?.parse().ok())
            .collect();
        times.sort_by(f64::total_cmp);
        times
    }

    /// The senders (`MAIL FROM`) of the transactions whose `RCPT` and `DATA` were already
    /// waiting in the server's buffer when `MAIL` was read: pipelined by the client.
    pub fn pipelined(&self) -> Vec<String> {
        std::fs::read_to_string(self.maildir.path().join("pipelined.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The raw messages saved.
    pub fn messages(&self) -> Vec<PathBuf> {
        eml_files(self.maildir.path())
    }

    /// The folder it writes each message into, as one `.eml` file.
    pub fn maildir(&self) -> &Path {
        self.maildir.path()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `.eml` files of a folder, in name order (none when the folder does not exist).
fn eml_files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files
}

/// Parses an email with Python's own email package (an independent parser): its headers,
/// text and HTML parts and Bcc, as JSON.
pub fn parse_email(path: &Path) -> Value {
    let script = r#"
import email, email.policy, json, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
body = m.get_body(preferencelist=('plain',)).get_content()
html = m.get_body(preferencelist=('html',)).get_content()
print(json.dumps({'headers': {k: str(v) for k, v in m.items()}, 'text': body, 'html': html,
                  'bcc': m.get_all('Bcc')}))
"#;
    let output = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3");
    let parsed = Ran::from(output).status(0);
    parsed.json()
}

/// Loads a program file as `ecoute serve` does (embedded templates).
pub fn load_program(path: &Path) -> Program {
    let context = CheckContext {
        templates: Templates::new(None),
    };
    ecoute::program::load(path, &context).expect("the program is valid")
}

/// A stored response's answers as (question, number, text), in the store's order: what
/// tests compare with the answers they gave.
pub fn answer_values(response: &StoredResponse) -> Vec<(String, Option<f64>, Option<String>)> {
    response
        .answers
        .iter()
        .map(|a| (a.question_id.clone(), a.num_value, a.text_value.clone()))
        .collect()
}

/// A path inside the repository.
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}
