//! Where emails go: `.eml` files in a folder (the embedded default, nothing to install) or an
//! SMTP server. One [`Session`] is one sender's connection; the dispatcher runs several.
//!
//! SMTP is driven step by step (MAIL, RCPT, DATA, body) instead of through lettre's
//! one-call `send`, because the step at which a connection dies decides whether the server
//! may already hold the message. Connections are opened by us with `TCP_NODELAY` (lettre
//! never sets it, and every message would otherwise wait for a 40 ms delayed ACK). When the
//! server advertises `PIPELINING`, the envelope goes in one round trip (see
//! [`super::pipelining`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lettre::address::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;

use super::message::Outgoing;
use super::pipelining::{self, Reply};
use super::policy::SmtpStage;

/// The environment variables holding SMTP credentials (never in files or URLs).
pub const USERNAME_ENV: &str = "ECOUTE_SMTP_USERNAME";
/// See [`USERNAME_ENV`].
pub const PASSWORD_ENV: &str = "ECOUTE_SMTP_PASSWORD";

/// Why the `mail` setting cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MailUrlError {
    /// Unknown scheme or missing host; the URL is shown with its password masked.
    #[error(
        "cannot use mail transport `{url}`: {reason}; write file://FOLDER, smtp://HOST:PORT (plain), smtp://HOST:PORT?tls=starttls, or smtps://HOST:PORT (implicit TLS)"
    )]
    Invalid {
        /// The setting.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Credentials would cross the network in clear text: `AUTH` over plain SMTP to a host
    /// other than this machine.
    #[error(
        "refusing to send the SMTP credentials (ECOUTE_SMTP_USERNAME, ECOUTE_SMTP_PASSWORD) in clear text to `{host}`; encrypt the connection with smtp://{host}:{port}?tls=starttls or smtps://{host}[:PORT], or unset the credentials for a relay that needs none (plain smtp:// with credentials is accepted only for localhost, 127.0.0.0/8 and ::1)"
    )]
    CleartextCredentials {
        /// The host named in the setting.
        host: String,
        /// The port.
        port: u16,
    },
}

/// Encryption of an SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain text (a local relay or a test server).
    None,
    /// Upgrade with STARTTLS after connecting; refuse to go on without it.
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
}

/// How to reach an SMTP server.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// Host name (also the TLS name).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Encryption.
    pub security: Security,
    /// From `ECOUTE_SMTP_USERNAME` and `ECOUTE_SMTP_PASSWORD`.
    pub credentials: Option<(String, String)>,
    /// Longest wait for a connection or a reply.
    pub timeout: Duration,
    /// Name given in EHLO.
    pub hello_name: String,
}

/// The transport chosen by the `mail` setting.
#[derive(Debug, Clone)]
pub enum MailSettings {
    /// One `.eml` file per message in this folder.
    Files(PathBuf),
    /// An SMTP server.
    Smtp(Arc<SmtpSettings>),
}

impl MailSettings {
    /// Reads `file://DIR`, `smtp://HOST[:PORT][?tls=starttls]` or `smtps://HOST[:PORT]`;
    /// credentials come from the environment.
    pub fn parse(url: &str) -> Result<MailSettings, MailUrlError> {
        let invalid = |reason: &str| MailUrlError::Invalid {
            url: crate::redact::redact_url(url),
            reason: reason.to_owned(),
        };
        if let Some(dir) = url.strip_prefix("file://") {
            if dir.is_empty() {
                return Err(invalid("the folder is missing"));
            }
            return Ok(MailSettings::Files(PathBuf::from(dir)));
        }
        let (rest, mut security, default_port) = if let Some(rest) = url.strip_prefix("smtps://") {
            (rest, Security::Implicit, 465)
        } else if let Some(rest) = url.strip_prefix("smtp://") {
            (rest, Security::None, 25)
        } else {
            return Err(invalid("unknown scheme"));
        };
        let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair {
                "tls=starttls" if security == Security::None => security = Security::StartTls,
                "tls=none" if security == Security::None => {}
                _ => return Err(invalid(&format!("unknown option `{pair}`"))),
            }
        }
        if authority.contains('@') {
            return Err(invalid(
                "credentials do not belong in the URL; set ECOUTE_SMTP_USERNAME and ECOUTE_SMTP_PASSWORD",
            ));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| invalid(&format!("`{port}` is not a port number")))?,
            ),
            None => (authority, default_port),
        };
        if host.is_empty() {
            return Err(invalid("the host is missing"));
        }
        let credentials = match (std::env::var(USERNAME_ENV), std::env::var(PASSWORD_ENV)) {
            (Ok(user), Ok(password)) if !user.is_empty() => Some((user, password)),
            _ => None,
        };
        if credentials.is_some() && security == Security::None && !is_loopback(host) {
            return Err(MailUrlError::CleartextCredentials {
                host: host.to_owned(),
                port,
            });
        }
        Ok(MailSettings::Smtp(Arc::new(SmtpSettings {
            host: host.to_owned(),
            port,
            security,
            credentials,
            timeout: Duration::from_secs(30),
            hello_name: "localhost".to_owned(),
        })))
    }

    /// A short description for progress lines (never the credentials).
    pub fn describe(&self) -> String {
        match self {
            MailSettings::Files(dir) => format!("files in {}", dir.display()),
            MailSettings::Smtp(s) => format!("smtp {}:{}", s.host, s.port),
        }
    }
}

/// Whether `host` names this machine (`localhost`, 127.0.0.0/8, `::1`), the only place
/// plain SMTP may carry credentials: the password never leaves the machine.
pub fn is_loopback(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// What one attempt at one message gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Accepted (2xx after the body), or written to its file.
    Accepted {
        /// The reply code (250 for files).
        code: u16,
        /// The reply text.
        text: String,
    },
    /// A negative reply at some step.
    Refused {
        /// Where.
        stage: SmtpStage,
        /// The reply code.
        code: u16,
        /// The reply text.
        text: String,
    },
    /// No reply: connection refused, lost or timed out.
    NoReply {
        /// Where.
        stage: SmtpStage,
        /// The error.
        error: String,
    },
    /// The run cannot go on (wrong credentials, sender refused, TLS impossible, outbox
    /// folder not writable): nothing more is sent and the message is handed back untried.
    Fatal {
        /// What to tell the operator.
        error: String,
    },
}

/// One sender: an SMTP connection kept open between messages, or the file outbox.
pub struct Session {
    mail: MailSettings,
    connection: Option<Connection>,
}

/// An open SMTP connection and whether its server takes pipelined commands.
struct Connection {
    smtp: AsyncSmtpConnection,
    pipelining: bool,
}

impl Session {
    /// A session that connects on first use.
    pub fn new(mail: MailSettings) -> Self {
        Session {
            mail,
            connection: None,
        }
    }

    /// Sends one message.
    pub async fn send(&mut self, message: &Outgoing) -> Attempt {
        match &self.mail {
            MailSettings::Files(dir) => write_file(dir, message).await,
            MailSettings::Smtp(settings) => {
                let settings = Arc::clone(settings);
                let reused = self.connection.is_some();
                let first = self.send_smtp(&settings, message).await;
                // A pooled connection the server closed while idle fails at MAIL without
                // anything sent: open a new one and try once more, as a part of this attempt.
                match first {
                    Attempt::NoReply {
                        stage: SmtpStage::Mail,
                        ..
                    } if reused => self.send_smtp(&settings, message).await,
                    other => other,
                }
            }
        }
    }

    /// Opens the SMTP connection if none is open (nothing to do for files), so that the
    /// next [`Session::send`] starts at once; the attempt's end when it cannot be opened.
    pub async fn open(&mut self) -> Option<Attempt> {
        let MailSettings::Smtp(settings) = &self.mail else {
            return None;
        };
        if self.connection.is_some() {
            return None;
        }
        match connect(settings).await {
            Ok(connection) => {
                self.connection = Some(connection);
                None
            }
            Err(attempt) => Some(attempt),
        }
    }

    /// Says goodbye to the server.
    pub async fn close(&mut self) {
        if let Some(mut connection) = self.connection.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), connection.smtp.quit()).await;
        }
    }

    async fn send_smtp(&mut self, settings: &SmtpSettings, message: &Outgoing) -> Attempt {
        if self.connection.is_none() {
            match connect(settings).await {
                Ok(connection) => self.connection = Some(connection),
                Err(attempt) => return attempt,
            }
        }
        let (from, to) = match (
            message.from.parse::<Address>(),
            message.to.parse::<Address>(),
        ) {
            (Ok(from), Ok(to)) => (from, to),
            (Err(err), _) => {
                return Attempt::Fatal {
                    error: format!("the sender address `{}` is invalid: {err}", message.from),
                };
            }
            (_, Err(err)) => {
                return Attempt::Refused {
                    stage: SmtpStage::Recipient,
                    code: 553,
                    text: format!("invalid recipient address: {err}"),
                };
            }
        };
        let timeout = settings.timeout;
        let commands: [(SmtpStage, String); 3] = [
            (SmtpStage::Mail, Mail::new(Some(from), vec![]).to_string()),
            (SmtpStage::Recipient, Rcpt::new(to, vec![]).to_string()),
            (SmtpStage::Data, Data.to_string()),
        ];
        let Some(connection) = self.connection.as_mut() else {
            return Attempt::NoReply {
                stage: SmtpStage::Mail,
                error: "connection lost".into(),
            };
        };
        let stopped = if connection.pipelining {
            pipelining::pipelined(&mut connection.smtp, &commands, timeout).await
        } else {
            pipelining::one_by_one(&mut connection.smtp, &commands, timeout).await
        };
        if let Some(stopped) = stopped {
            if stopped.broken {
                self.drop_connection().await;
            }
            let stage = stopped.stage;
            let attempt = self
                .judge_step(stage, stopped.reply)
                .await
                .unwrap_or_else(|| Attempt::NoReply {
                    stage,
                    error: "no reply".into(),
                });
            if stage == SmtpStage::Mail
                && let Attempt::Refused { code, text, .. } = &attempt
                && *code >= 500
            {
                return Attempt::Fatal {
                    error: format!(
                        "the server refuses the sender {}: {code} {text}",
                        message.from
                    ),
                };
            }
            return attempt;
        }
        let Some(connection) = self.connection.as_mut() else {
            return Attempt::NoReply {
                stage: SmtpStage::Data,
                error: "connection lost".into(),
            };
        };
        let reply = tokio::time::timeout(
            timeout,
            pipelining::body(&mut connection.smtp, &message.bytes),
        )
        .await;
        match self.judge_step(SmtpStage::Body, reply).await {
            Some(attempt) => attempt,
            None => Attempt::Accepted {
                code: 250,
                text: "accepted".into(),
            },
        }
    }

    /// Turns one step's reply into `None` (go on) or the attempt's end, resetting or
    /// dropping the connection as the protocol requires.
    async fn judge_step(&mut self, stage: SmtpStage, reply: Reply) -> Option<Attempt> {
        match reply {
            Ok(Ok(_)) => None,
            Err(_) => {
                self.drop_connection().await;
                Some(Attempt::NoReply {
                    stage,
                    error: "timed out waiting for the server".into(),
                })
            }
            Ok(Err(err)) => match err.status().map(u16::from) {
                Some(code) => {
                    if code == 421 {
                        self.drop_connection().await;
                    } else if let Some(connection) = self.connection.as_mut()
                        && stage != SmtpStage::Body
                    {
                        let reset = connection.smtp.command(Rset).await;
                        if reset.is_err() {
                            self.drop_connection().await;
                        }
                    }
                    Some(Attempt::Refused {
                        stage,
                        code,
                        text: reply_text(&err),
                    })
                }
                None => {
                    self.drop_connection().await;
                    Some(Attempt::NoReply {
                        stage,
                        error: err.to_string(),
                    })
                }
            },
        }
    }

    async fn drop_connection(&mut self) {
        if let Some(mut connection) = self.connection.take() {
            connection.smtp.abort().await;
        }
    }
}

async fn connect(settings: &SmtpSettings) -> Result<Connection, Attempt> {
    let no_reply = |error: String| Attempt::NoReply {
        stage: SmtpStage::Connect,
        error,
    };
    let client_id = ClientId::Domain(settings.hello_name.clone());
    let address = (settings.host.as_str(), settings.port);
    let mut connection = match settings.security {
        Security::Implicit => {
            let tls = TlsParameters::new(settings.host.clone()).map_err(|e| Attempt::Fatal {
                error: format!("cannot set up TLS for {}: {e}", settings.host),
            })?;
            tokio::time::timeout(
                settings.timeout,
                AsyncSmtpConnection::connect_tokio1(
                    address,
                    Some(settings.timeout),
                    &client_id,
                    Some(tls),
                    None,
                ),
            )
            .await
            .map_err(|_| no_reply("timed out connecting".into()))?
            .map_err(|e| no_reply(e.to_string()))?
        }
        Security::None | Security::StartTls => {
            let stream = tokio::time::timeout(settings.timeout, TcpStream::connect(address))
                .await
                .map_err(|_| no_reply("timed out connecting".into()))?
                .map_err(|e| no_reply(e.to_string()))?;
            stream
                .set_nodelay(true)
                .map_err(|e| no_reply(e.to_string()))?;
            tokio::time::timeout(
                settings.timeout,
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &client_id),
            )
            .await
            .map_err(|_| no_reply("timed out waiting for the greeting".into()))?
            .map_err(|e| no_reply(e.to_string()))?
        }
    };
    if settings.security == Security::StartTls {
        let tls = TlsParameters::new(settings.host.clone()).map_err(|e| Attempt::Fatal {
            error: format!("cannot set up TLS for {}: {e}", settings.host),
        })?;
        tokio::time::timeout(settings.timeout, connection.starttls(tls, &client_id))
            .await
            .map_err(|_| no_reply("timed out during STARTTLS".into()))?
            .map_err(|e| Attempt::Fatal {
                error: format!(
                    "STARTTLS with {} failed ({e}); nothing was sent in clear text",
                    settings.host
                ),
            })?;
    }
    // Asked before AUTH: an EHLO after it may reset the authenticated session on some
    // servers.
    let pipelining = pipelining::offered(&mut connection, &client_id, settings.timeout)
        .await
        .map_err(no_reply)?;
    if let Some((user, password)) = &settings.credentials {
        let mechanisms = [Mechanism::Plain, Mechanism::Login];
        let credentials = Credentials::new(user.clone(), password.clone());
        tokio::time::timeout(settings.timeout, connection.auth(&mechanisms, &credentials))
            .await
            .map_err(|_| no_reply("timed out during AUTH".into()))?
            .map_err(|e| Attempt::Fatal {
                error: format!(
                    "the SMTP server refused the credentials of {user} ({e}); check {USERNAME_ENV} and {PASSWORD_ENV}"
                ),
            })?;
    }
    Ok(Connection {
        smtp: connection,
        pipelining,
    })
}

fn reply_text(err: &lettre::transport::smtp::Error) -> String {
    let text = err.to_string();
    text.trim().to_owned()
}

/// Deletes the emails of these invitations from the file outbox `dir` (and any temporary
/// file a crash left behind), for `ecoute contacts forget`: they hold the person's name and
/// working links. Files are named after the Message-ID, `ecoute.<invitation>.<message>.…`,
/// so the invitation ids find every invitation and reminder of the person exactly, whatever
/// the address looked like. Returns how many were deleted; a missing folder has none.
pub fn remove_emails_of(dir: &Path, invitation_ids: &[i64]) -> std::io::Result<usize> {
    if invitation_ids.is_empty() {
        return Ok(0);
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(err),
    };
    let prefixes: Vec<String> = invitation_ids
        .iter()
        .map(|id| format!("ecoute.{id}."))
        .collect();
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let bare = name.strip_prefix('.').unwrap_or(&name);
        let theirs = (bare.ends_with(".eml") || bare.ends_with(".eml.tmp"))
            && prefixes.iter().any(|p| bare.starts_with(p.as_str()));
        if theirs {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Writes `bytes` to `temp` then renames it to `path`, in `dir`. The folder (and missing
/// parents) is created 0700 and the file 0600, whatever the umask: emails hold names and
/// working survey and unsubscribe links. An existing folder keeps its mode.
fn write_private(dir: &Path, temp: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut folder = std::fs::DirBuilder::new();
    folder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
    folder.create(dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(temp)?;
    // A temporary file left by a crash keeps its old mode when reopened: set it again.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    std::io::Write::write_all(&mut file, bytes)?;
    drop(file);
    std::fs::rename(temp, path)
}

/// Writes the message to `DIR/<message id>.eml`, atomically (a temporary file renamed into
/// place), so a repeat overwrites the same file and a reader never sees half a message. The
/// file is created 0600, whatever the umask.
async fn write_file(dir: &Path, message: &Outgoing) -> Attempt {
    let name: String = message
        .message_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{name}.eml"));
    let temp = dir.join(format!(".{name}.eml.tmp"));
    let (folder, target, bytes) = (dir.to_path_buf(), path.clone(), message.bytes.clone());
    let written =
        tokio::task::spawn_blocking(move || write_private(&folder, &temp, &target, &bytes))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    match written {
        Ok(()) => Attempt::Accepted {
            code: 250,
            text: format!("written to {}", path.display()),
        },
        Err(err) => Attempt::Fatal {
            error: format!(
                "cannot write emails into {}: {err} (check the folder exists and is writable, or change `mail`)",
                dir.display()
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_urls_are_read_or_refused_with_the_accepted_forms() {
        assert!(matches!(
            MailSettings::parse("file://outbox"),
            Ok(MailSettings::Files(dir)) if dir == Path::new("outbox")
        ));
        let Ok(MailSettings::Smtp(s)) = MailSettings::parse("smtp://127.0.0.1:2525") else {
            panic!("smtp url");
        };
        assert_eq!(
            (s.host.as_str(), s.port, s.security),
            ("127.0.0.1", 2525, Security::None)
        );
        let Ok(MailSettings::Smtp(s)) = MailSettings::parse("smtp://mail.example.org?tls=starttls")
        else {
            panic!("starttls url");
        };
        assert_eq!((s.port, s.security), (25, Security::StartTls));
        let Ok(MailSettings::Smtp(s)) = MailSettings::parse("smtps://mail.example.org") else {
            panic!("smtps url");
        };
        assert_eq!((s.port, s.security), (465, Security::Implicit));
        for bad in [
            "imap://x",
            "smtp://",
            "smtp://h:notaport",
            "smtp://u:p@h",
            "smtp://h?tls=maybe",
        ] {
            let error = MailSettings::parse(bad).expect_err(bad).to_string();
            assert!(error.contains("smtp://HOST:PORT"), "{error}");
        }
    }

    #[test]
    fn only_this_machine_counts_as_loopback() {
        for local in [
            "localhost",
            "LocalHost",
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback(local), "{local}");
        }
        for remote in [
            "mail.example.org",
            "localhost.example.org",
            "128.0.0.1",
            "10.0.0.1",
            "::2",
            "0.0.0.0",
        ] {
            assert!(!is_loopback(remote), "{remote}");
        }
    }
}
