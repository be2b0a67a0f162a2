//! Secrets stay out of what ecoute prints: one rule for masking the password of a URL, used
//! for database and mail URLs alike, and the rules that keep personal links and email
//! addresses out of the logs.

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

/// The path of a request with the personal token of `/s/…` (survey), `/u/…` (unsubscribe)
/// and `/c/…` (case) links replaced by `***`: a logged token would open someone's page.
pub fn mask_link_path(path: &str) -> String {
    let mut parts = path.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(""), Some(prefix @ ("s" | "u" | "c")), Some(_)) => format!("/{prefix}/***"),
        _ => path.to_owned(),
    }
}

/// `text` with the local part of every email address replaced by `***`
/// (`<jean.dupont@example.fr>` becomes `<***@example.fr>`): mail servers quote the
/// recipient in their replies, and a log must not become a list of customers. The domain
/// stays, as operators need it to see which provider refuses mail.
pub fn mask_emails(text: &str) -> String {
    let is_local = |c: char| c.is_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c);
    let is_domain = |c: char| c.is_alphanumeric() || c == '.' || c == '-';
    let mut masked = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let (before, after) = rest.split_at(at);
        let local_start = before
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_local(c))
            .last()
            .map_or(before.len(), |(i, _)| i);
        let domain_end = after[1..]
            .char_indices()
            .find(|&(_, c)| !is_domain(c))
            .map_or(after.len(), |(i, _)| i + 1);
        let domain = &after[1..domain_end];
        if local_start < before.len() && domain.contains('.') {
            masked.push_str(&before[..local_start]);
            masked.push_str("***");
        } else {
            masked.push_str(before);
        }
        masked.push('@');
        masked.push_str(domain);
        rest = &after[domain_end..];
    }
    masked.push_str(rest);
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_tokens_are_masked_in_paths() {
        assert_eq!(mask_link_path("/s/jeton-secret"), "/s/***");
        assert_eq!(mask_link_path("/u/jeton/extra"), "/u/***");
        assert_eq!(
            mask_link_path("/l/programme/enquete"),
            "/l/programme/enquete"
        );
        assert_eq!(mask_link_path("/healthz"), "/healthz");
        assert_eq!(mask_link_path("/s"), "/s");
    }

    #[test]
    fn email_addresses_lose_their_local_part() {
        assert_eq!(
            mask_emails("550 5.1.1 <jean.dupont+cx@example.fr>: Recipient address rejected"),
            "550 5.1.1 <***@example.fr>: Recipient address rejected"
        );
        assert_eq!(
            mask_emails("a@b.fr, zoé@exemple.fr"),
            "***@b.fr, ***@exemple.fr"
        );
        assert_eq!(
            mask_emails("user@localhost @ nothing"),
            "user@localhost @ nothing"
        );
        assert_eq!(mask_emails("sans adresse"), "sans adresse");
        assert_eq!(mask_emails("fin@"), "fin@");
    }

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
