//! Settings shared by every command: flags win over `ECOUTE_*` environment variables, which
//! win over `ecoute.toml`, which wins over the embedded defaults (a SQLite file and `.eml`
//! files in `outbox/`, so nothing needs installing).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://ecoute.db";
/// The default mail transport: `.eml` files written to `outbox/`.
pub const DEFAULT_MAIL: &str = "file://outbox";
/// The default address of the web server.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default file holding the secret that survey and unsubscribe links are derived from.
pub const DEFAULT_SECRET_FILE: &str = "ecoute.secret";

/// Why the configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("invalid configuration in {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the TOML parser said, with line and column.
        message: String,
    },
}

/// One layer of settings, every key optional: `ecoute.toml`, or the flags and `ECOUTE_*`
/// variables (clap merges those two) that win over it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigLayer {
    /// `sqlite://ecoute.db` or `postgres://user@host/db`.
    pub database_url: Option<String>,
    /// `file://outbox` or `smtp://host:port` (`smtps://` for implicit TLS).
    pub mail: Option<String>,
    /// Address the web server listens on.
    pub listen: Option<String>,
    /// Bearer token that protects the admin API and `/metrics`; both are off without one.
    pub admin_token: Option<String>,
    /// Folder whose templates override the embedded ones.
    pub templates: Option<PathBuf>,
    /// Public base URL of the web server, used in survey links.
    pub public_url: Option<String>,
    /// File holding the link secret (created on first use); every process sharing a store
    /// must use the same one.
    pub secret_file: Option<PathBuf>,
    /// Header in which a trusted reverse proxy passes the client address
    /// (`X-Forwarded-For`); unset, the socket's peer address is used.
    pub client_ip_header: Option<String>,
}

impl ConfigLayer {
    /// Reads `path`; a missing file is an empty configuration unless it was asked for
    /// explicitly (`required`).
    pub fn read(path: &Path, required: bool) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Self::default());
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        toml::from_str(&text).map_err(|err| ConfigError::Parse {
            path: path.to_path_buf(),
            message: parse_message(&text, &err),
        })
    }
}

/// What the TOML parser said, at its line and column, with the offending line shown with
/// secret values masked: the parser's own snippet would print `admin_token = …` or a
/// database password to the terminal and into logs.
fn parse_message(text: &str, err: &toml::de::Error) -> String {
    let Some(start) = err.span().map(|span| span.start.min(text.len())) else {
        return err.message().trim().to_owned();
    };
    let before = text.get(..start).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |start_of_line| start_of_line.chars().count())
        + 1;
    let source = text.lines().nth(line - 1).unwrap_or_default();
    let (shown, secret) = mask_line(source);
    let mut message = err.message().trim().to_owned();
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        message = message.replace(secret, "***");
    }
    format!("line {line}, column {column}: {message}\n  {line} | {shown}")
}

/// A configuration line fit to show: the value of a secret key replaced by `***` (and
/// returned, to be masked elsewhere too), a password inside a URL value masked.
fn mask_line(line: &str) -> (String, Option<&str>) {
    let Some((key, value)) = line.split_once('=') else {
        return (line.to_owned(), None);
    };
    if is_secret_key(key) {
        let raw = value.trim().trim_matches(['"', '\'']);
        return (format!("{}= ***", key), Some(raw));
    }
    let raw = value.trim_start().trim_start_matches(['"', '\'']);
    let masked = crate::redact::redact_url(raw);
    if masked == raw {
        return (line.to_owned(), None);
    }
    (format!("{key}= \"{masked}"), None)
}

/// Keys whose values are credentials: the admin token and anything named like a password,
/// a secret or a token.
fn is_secret_key(key: &str) -> bool {
    let key = key.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
    ["token", "password", "passwd", "secret", "credential"]
        .iter()
        .any(|word| key.contains(word))
}

/// The settings in force for this run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the store lives.
    pub database_url: String,
    /// Where emails go.
    pub mail: String,
    /// Where the web server listens.
    pub listen: String,
    /// The admin API token, if any.
    pub admin_token: Option<String>,
    /// The template override folder, if any.
    pub templates: Option<PathBuf>,
    /// Base URL for links in emails.
    pub public_url: String,
    /// Where the link secret lives.
    pub secret_file: PathBuf,
    /// The proxy header trusted for client addresses, if any.
    pub client_ip_header: Option<String>,
}

impl Settings {
    /// Applies the precedence: overrides, then the file, then defaults.
    pub fn resolve(overrides: ConfigLayer, file: ConfigLayer) -> Self {
        let listen = overrides
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let public_url = overrides
            .public_url
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        Self {
            database_url: overrides
                .database_url
                .or(file.database_url)
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            mail: overrides
                .mail
                .or(file.mail)
                .unwrap_or_else(|| DEFAULT_MAIL.to_owned()),
            listen,
            admin_token: overrides
                .admin_token
                .or(file.admin_token)
                .filter(|t| !t.is_empty()),
            templates: overrides.templates.or(file.templates),
            public_url,
            secret_file: overrides
                .secret_file
                .or(file.secret_file)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_SECRET_FILE)),
            client_ip_header: overrides
                .client_ip_header
                .or(file.client_ip_header)
                .filter(|h| !h.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_file_beats_defaults() {
        let file: ConfigLayer =
            toml::from_str("database_url = \"postgres://db/x\"\nlisten = \"0.0.0.0:9000\"")
                .expect("valid toml");
        let settings = Settings::resolve(
            ConfigLayer {
                listen: Some("127.0.0.1:7000".into()),
                ..ConfigLayer::default()
            },
            file,
        );
        assert_eq!(settings.database_url, "postgres://db/x");
        assert_eq!(settings.listen, "127.0.0.1:7000");
        assert_eq!(settings.mail, DEFAULT_MAIL);
        assert_eq!(settings.public_url, "http://127.0.0.1:7000");
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ecoute.toml");
        std::fs::write(&path, "databse_url = \"x\"").expect("write");
        let error = ConfigLayer::read(&path, false).expect_err("typo must fail");
        assert!(error.to_string().contains("databse_url"), "{error}");
    }
}
