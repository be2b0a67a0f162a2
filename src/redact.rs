//! Secrets stay out of what ecoute prints: one rule for masking the password of a URL, used
//! for database and mail URLs alike.

/// Hides the password of a URL (`scheme://user:password@host…` becomes
/// `scheme://user:***@host…`) before it appears in a message, a banner or a log. The one
/// place database and mail URLs are masked. The credentials end at the last `@` before the
/// query, so a password holding `/`, `:` or `@` is masked whole.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let head = &rest[..rest.find('?').unwrap_or(rest.len())];
    let Some(at) = head.rfind('@') else {
        return url.to_owned();
    };
    let (userinfo, host) = rest.split_at(at);
    match userinfo.split_once(':') {
        Some((user, _password)) if !user.contains('/') => {
            format!("{scheme}://{user}:***{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_without_password_are_unchanged() {
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
        assert_eq!(
            redact_url("postgres://u:p@h:5432/db?x=1"),
            "postgres://u:***@h:5432/db?x=1"
        );
        assert_eq!(
            redact_url("smtp://bob:p/ss@w:rd@mail.example.org:587"),
            "smtp://bob:***@mail.example.org:587"
        );
        assert_eq!(redact_url("sqlite://a/b@c.db"), "sqlite://a/b@c.db");
    }
}
