//! Personal links: every invitation gets one token, used for its survey link (`/s/{token}`)
//! and its unsubscribe link (`/u/{token}`).
//!
//! A token is HMAC-SHA-256(link secret, invitation id), 256 bits, base64url without padding
//! (43 characters). The link secret is 32 bytes from the operating system's CSPRNG, kept in a
//! file beside the configuration, never in the database. The store keeps only SHA-256 of each
//! token and looks invitations up by that hash, so a leaked database holds no working link,
//! while a reminder can still carry the very same link as its invitation.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// Length in characters of every token.
pub const TOKEN_LEN: usize = 43;

/// Why the link secret could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Reading or creating the file failed.
    #[error(
        "cannot use the link secret {path}: {source} (check the folder is writable, or set secret_file)"
    )]
    Io {
        /// The secret file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file exists but does not hold 64 hexadecimal digits.
    #[error(
        "the link secret {path} is not 64 hexadecimal digits; restore it from a backup (a new secret breaks every link already sent)"
    )]
    Malformed {
        /// The secret file.
        path: PathBuf,
    },
    /// The operating system's random generator failed.
    #[error("the system random generator failed: {0}")]
    Random(String),
}

/// The key every token is derived from.
#[derive(Clone)]
pub struct LinkSecret([u8; 32]);

impl std::fmt::Debug for LinkSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSecret(..)")
    }
}

impl LinkSecret {
    /// Reads the secret at `path`, creating it (mode 0600) on first use. Two processes
    /// starting at once agree on one secret: the file appears atomically, by hard link.
    pub fn load_or_create(path: &Path) -> Result<Self, SecretError> {
        let io = |source| SecretError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                warn_if_readable_by_others(path);
                return Self::parse(text.trim(), path);
            }
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(io(err)),
            Err(_) => {}
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| SecretError::Random(e.to_string()))?;
        let temp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options
            .open(&temp)
            .and_then(|mut file| {
                file.write_all(hex(&bytes).as_bytes())?;
                file.sync_all()
            })
            .and_then(|()| std::fs::hard_link(&temp, path));
        // Best effort: the temporary name is ours alone and holds nothing once linked.
        let _ = std::fs::remove_file(&temp);
        match written {
            Ok(()) => Ok(LinkSecret(bytes)),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path).map_err(io)?;
                Self::parse(text.trim(), path)
            }
            Err(err) => Err(io(err)),
        }
    }

    /// A secret from known bytes, for tests and benchmarks.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        LinkSecret(bytes)
    }

    fn parse(text: &str, path: &Path) -> Result<Self, SecretError> {
        let malformed = || SecretError::Malformed {
            path: path.to_path_buf(),
        };
        if text.len() != 64 || !text.is_ascii() {
            return Err(malformed());
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| malformed())?;
        }
        Ok(LinkSecret(bytes))
    }

    /// The token of one invitation: the same id always gives the same token.
    #[expect(clippy::expect_used, reason = "HMAC takes keys of any length")]
    pub fn invitation_token(&self, invitation_id: i64) -> Token {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC accepts keys of any length");
        mac.update(b"ecoute/invitation/v1/");
        mac.update(&invitation_id.to_be_bytes());
        Token(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }
}

/// Warns on stderr when the secret file can be read by other users (ecoute creates it 0600,
/// but a copy or a restore may widen it): anyone who reads it can forge every survey and
/// unsubscribe link. A warning, not a refusal, so that sending does not stop over it.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            eprintln!(
                "warning: the link secret {} can be read by other users (mode {:o}); anyone who reads it can forge survey links: run `chmod 600 {}`",
                path.display(),
                metadata.permissions().mode() & 0o777,
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A personal link token, as it appears in URLs.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

impl Token {
    /// Accepts a token taken from a URL, or `None` when it cannot be one of ours (wrong
    /// length or alphabet), so malformed links are refused before touching the store.
    pub fn parse(text: &str) -> Option<Token> {
        let well_formed = text.len() == TOKEN_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Token(text.to_owned()))
    }

    /// The URL form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the store keeps and looks up: SHA-256 of the token.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_distinct_and_url_safe() {
        let secret = LinkSecret::from_bytes([7; 32]);
        let a = secret.invitation_token(1);
        assert_eq!(a, secret.invitation_token(1));
        assert_ne!(a, secret.invitation_token(2));
        assert_ne!(a, LinkSecret::from_bytes([8; 32]).invitation_token(1));
        assert_eq!(a.as_str().len(), TOKEN_LEN);
        assert_eq!(Token::parse(a.as_str()), Some(a.clone()));
        assert_ne!(a.hash(), secret.invitation_token(2).hash());
    }

    #[test]
    fn malformed_tokens_are_refused() {
        assert!(Token::parse("").is_none());
        assert!(Token::parse("abc").is_none());
        assert!(Token::parse(&"a".repeat(TOKEN_LEN + 1)).is_none());
        assert!(Token::parse(&format!("{}/", "a".repeat(TOKEN_LEN - 1))).is_none());
        assert!(Token::parse(&"a".repeat(TOKEN_LEN)).is_some());
    }

    #[test]
    fn the_secret_file_is_created_once_then_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ecoute.secret");
        let first = LinkSecret::load_or_create(&path).expect("create");
        let again = LinkSecret::load_or_create(&path).expect("reuse");
        assert_eq!(first.invitation_token(5), again.invitation_token(5));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_secret_file_is_an_error_not_a_new_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ecoute.secret");
        std::fs::write(&path, "not hex").expect("write");
        let error = LinkSecret::load_or_create(&path).expect_err("malformed");
        assert!(error.to_string().contains("64 hexadecimal"), "{error}");
    }
}
