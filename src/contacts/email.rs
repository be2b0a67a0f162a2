//! Email checking and normalisation: the email is a contact's identity, so the same person
//! must always produce the same string, and an address that cannot receive mail is refused
//! at import rather than bounced at send time.
//!
//! The check is deliberately practical, not the full RFC 5322 grammar: `local@domain`, the
//! local part made of letters, digits and ``!#$%&'*+-/=?^_`{|}~.`` (non-ASCII letters allowed,
//! no leading, trailing or doubled dot, at most 64 bytes), the domain made of at least two
//! dot-separated labels of letters, digits and inner hyphens (at most 63 bytes each), a
//! non-numeric top-level label, and at most 254 bytes in all. Quoted local parts and IP
//! literals are refused: no customer list needs them.
//!
//! Normalisation trims surrounding spaces and lower-cases the domain; the local part keeps
//! its case (RFC 5321 lets a server tell `Jean` from `jean`).

/// Why a string is not an acceptable email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing but spaces.
    #[error("the email is empty")]
    Empty,
    /// No `@`.
    #[error("there is no `@`")]
    MissingAt,
    /// More than one `@`.
    #[error("there is more than one `@`")]
    SeveralAt,
    /// Spaces or control characters inside.
    #[error("it contains a space or a control character")]
    Whitespace,
    /// Nothing before the `@`.
    #[error("nothing before the `@`")]
    EmptyLocal,
    /// Local part over 64 bytes.
    #[error("the part before the `@` is longer than 64 characters")]
    LocalTooLong,
    /// A character not allowed before the `@`.
    #[error("`{0}` is not allowed before the `@`")]
    LocalChar(char),
    /// A dot at the start or end of the local part, or two in a row.
    #[error("a dot cannot start or end the part before the `@`, nor follow another dot")]
    LocalDots,
    /// Nothing after the `@`.
    #[error("the domain is empty")]
    EmptyDomain,
    /// A domain with a single label (`jean@gmail`).
    #[error("the domain `{0}` has no dot (missing `.fr`, `.com`…?)")]
    DomainWithoutDot(String),
    /// A label that is empty, too long, or has a bad character or hyphen.
    #[error("the domain `{0}` is not a valid host name")]
    BadDomain(String),
    /// The whole address is over 254 bytes.
    #[error("the email is longer than 254 characters")]
    TooLong,
}

/// Characters allowed in a local part besides letters and digits (RFC 5322 `atext`).
const LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";

/// Checks `raw` and returns its normalised form (trimmed, domain lower-cased).
pub fn normalise_email(raw: &str) -> Result<String, EmailError> {
    let email = raw.trim();
    if email.is_empty() {
        return Err(EmailError::Empty);
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(EmailError::Whitespace);
    }
    if email.len() > 254 {
        return Err(EmailError::TooLong);
    }
    let (local, domain) = email.rsplit_once('@').ok_or(EmailError::MissingAt)?;
    if local.contains('@') {
        return Err(EmailError::SeveralAt);
    }
    check_local(local)?;
    let domain = domain.to_lowercase();
    check_domain(&domain)?;
    Ok(format!("{local}@{domain}"))
}

fn check_local(local: &str) -> Result<(), EmailError> {
    if local.is_empty() {
        return Err(EmailError::EmptyLocal);
    }
    if local.len() > 64 {
        return Err(EmailError::LocalTooLong);
    }
    if let Some(c) = local
        .chars()
        .find(|&c| !(c.is_alphanumeric() || LOCAL_SPECIALS.contains(c)))
    {
        return Err(EmailError::LocalChar(c));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(EmailError::LocalDots);
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), EmailError> {
    if domain.is_empty() {
        return Err(EmailError::EmptyDomain);
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let bad = || EmailError::BadDomain(domain.to_owned());
    if labels.len() < 2 {
        if labels.iter().all(|l| valid_label(l)) {
            return Err(EmailError::DomainWithoutDot(domain.to_owned()));
        }
        return Err(bad());
    }
    if !labels.iter().all(|l| valid_label(l)) {
        return Err(bad());
    }
    let top = labels.last().copied().unwrap_or_default();
    if top.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    Ok(())
}

fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c.is_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lowercases_the_domain_only() {
        assert_eq!(
            normalise_email("  Jean.Dupont@Example.FR "),
            Ok("Jean.Dupont@example.fr".to_owned())
        );
        assert_eq!(
            normalise_email("a+tag@sub.example.co.uk"),
            Ok("a+tag@sub.example.co.uk".to_owned())
        );
        assert_eq!(
            normalise_email("élodie@café.fr"),
            Ok("élodie@café.fr".to_owned())
        );
        assert_eq!(normalise_email("x@ÉCOLE.FR"), Ok("x@école.fr".to_owned()));
    }

    #[test]
    fn refuses_what_cannot_receive_mail() {
        assert_eq!(normalise_email("   "), Err(EmailError::Empty));
        assert_eq!(normalise_email("jean.dupont"), Err(EmailError::MissingAt));
        assert_eq!(normalise_email("a@b@c.fr"), Err(EmailError::SeveralAt));
        assert_eq!(
            normalise_email("jean dupont@x.fr"),
            Err(EmailError::Whitespace)
        );
        assert_eq!(normalise_email("@x.fr"), Err(EmailError::EmptyLocal));
        assert_eq!(normalise_email("jean@"), Err(EmailError::EmptyDomain));
        assert_eq!(
            normalise_email("jean@gmail"),
            Err(EmailError::DomainWithoutDot("gmail".to_owned()))
        );
        assert_eq!(normalise_email(".jean@x.fr"), Err(EmailError::LocalDots));
        assert_eq!(normalise_email("je..an@x.fr"), Err(EmailError::LocalDots));
        assert_eq!(
            normalise_email("je(an@x.fr"),
            Err(EmailError::LocalChar('('))
        );
        assert_eq!(
            normalise_email("jean@-x.fr"),
            Err(EmailError::BadDomain("-x.fr".to_owned()))
        );
        assert_eq!(
            normalise_email("jean@x..fr"),
            Err(EmailError::BadDomain("x..fr".to_owned()))
        );
        assert_eq!(
            normalise_email("jean@1.2.3.4"),
            Err(EmailError::BadDomain("1.2.3.4".to_owned()))
        );
        assert_eq!(
            normalise_email(&format!("{}@x.fr", "a".repeat(65))),
            Err(EmailError::LocalTooLong)
        );
    }
}
