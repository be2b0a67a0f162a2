//! The SMTP envelope (`MAIL FROM`, `RCPT TO`, `DATA`) over a lettre connection, pipelined as
//! RFC 2920 allows when the server advertises `PIPELINING`: the three commands leave in one
//! write and their three replies are read in order, one round trip instead of three. lettre
//! has no pipelining, but its connection reads replies from a buffer, so writing several
//! commands at once and reading their replies one by one is enough.
//!
//! The reply that decides is the first negative one, in command order: exactly the reply the
//! unpipelined exchange stops at, so an attempt means the same whichever way it went.

use std::time::Duration;

use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::Ehlo;
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;

use super::policy::SmtpStage;

/// One command's reply: a response (positive or not), a network error, or no reply in time.
pub type Reply =
    Result<Result<Response, lettre::transport::smtp::Error>, tokio::time::error::Elapsed>;

/// Where the envelope stopped short of the body.
pub struct Stopped {
    /// The command whose reply decides.
    pub stage: SmtpStage,
    /// That reply.
    pub reply: Reply,
    /// The connection is in an unknown state (a later reply never came): drop it rather
    /// than reset it.
    pub broken: bool,
}

/// Whether the server, asked with a fresh `EHLO` (lettre keeps only the extensions it
/// knows, and `PIPELINING` is not one), advertises `PIPELINING`. A refused `EHLO` means
/// no; no reply at all is an error, as any failure while connecting.
pub async fn offered(
    connection: &mut AsyncSmtpConnection,
    client_id: &ClientId,
    timeout: Duration,
) -> Result<bool, String> {
    match tokio::time::timeout(timeout, connection.command(Ehlo::new(client_id.clone()))).await {
        Err(_) => Err("timed out waiting for the EHLO reply".into()),
        Ok(Ok(response)) => Ok(advertises_pipelining(response.message())),
        Ok(Err(err)) if err.status().is_some() => Ok(false),
        Ok(Err(err)) => Err(err.to_string()),
    }
}

/// Whether these `EHLO` reply lines (without their codes) name the `PIPELINING` keyword.
fn advertises_pipelining<'a>(mut lines: impl Iterator<Item = &'a str>) -> bool {
    lines.any(|line| {
        line.split_whitespace()
            .next()
            .is_some_and(|keyword| keyword.eq_ignore_ascii_case("PIPELINING"))
    })
}

/// Sends the envelope `commands` (each a full line with its CRLF) one at a time, waiting
/// for each reply; stops at the first that is not positive. `None`: go on with the body.
pub async fn one_by_one(
    connection: &mut AsyncSmtpConnection,
    commands: &[(SmtpStage, String)],
    timeout: Duration,
) -> Option<Stopped> {
    for (stage, command) in commands {
        let reply = tokio::time::timeout(timeout, connection.command(command)).await;
        if !matches!(reply, Ok(Ok(_))) {
            return Some(Stopped {
                stage: *stage,
                reply,
                broken: false,
            });
        }
    }
    None
}

/// Sends the envelope `commands` in one write and reads every reply. When a command failed
/// but the server still answered `DATA` with 354, the empty message is ended with a lone
/// dot (RFC 2920, 3.1) so that the session is back at a command. `None`: go on with the body.
pub async fn pipelined(
    connection: &mut AsyncSmtpConnection,
    commands: &[(SmtpStage, String)],
    timeout: Duration,
) -> Option<Stopped> {
    let batch: String = commands.iter().map(|(_, c)| c.as_str()).collect();
    let mut replies: Vec<(SmtpStage, Reply)> = Vec::with_capacity(commands.len());
    for (index, (stage, _)) in commands.iter().enumerate() {
        let reply = if index == 0 {
            tokio::time::timeout(timeout, connection.command(&batch)).await
        } else {
            tokio::time::timeout(timeout, connection.read_response()).await
        };
        let answered = answered(&reply);
        replies.push((*stage, reply));
        if !answered {
            break;
        }
    }
    let complete = replies.len() == commands.len();
    let data_accepted = complete && replies.last().is_some_and(|(_, r)| matches!(r, Ok(Ok(_))));
    let failed = replies.iter().position(|(_, r)| !matches!(r, Ok(Ok(_))))?;
    let mut broken = !complete;
    if data_accepted {
        let end = tokio::time::timeout(timeout, connection.command(".\r\n")).await;
        broken |= !answered(&end);
    }
    let (stage, reply) = replies.swap_remove(failed);
    Some(Stopped {
        stage,
        reply,
        broken,
    })
}

/// Sends a message's bytes after an accepted `DATA`, ended by the lone dot, and reads the
/// reply. Lines that start with a dot get a second one (RFC 5321, 4.5.2) as lettre's
/// `message` does, but found by searching for line starts instead of copying byte by byte,
/// which was a tenth of a large run's work; the bytes then leave in one write.
pub async fn body(
    connection: &mut AsyncSmtpConnection,
    message: &[u8],
) -> Result<Response, lettre::transport::smtp::Error> {
    match String::from_utf8(dot_stuffed(message)) {
        Ok(data) => connection.command(data).await,
        Err(_) => connection.message(message).await,
    }
}

/// `message` as the DATA section carries it: a dot doubled at the start of every line (a
/// line starts the message or follows CRLF), then CRLF, a dot and CRLF.
fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    let mut copied = 0;
    if message.first() == Some(&b'.') {
        out.push(b'.');
    }
    for at in memchr::memmem::find_iter(message, b"\r\n.") {
        let dot = at + 2;
        out.extend_from_slice(&message[copied..dot]);
        out.push(b'.');
        copied = dot;
    }
    out.extend_from_slice(&message[copied..]);
    out.extend_from_slice(b"\r\n.\r\n");
    out
}

/// Whether the server replied at all (positively or not).
fn answered(reply: &Reply) -> bool {
    match reply {
        Ok(Ok(_)) => true,
        Ok(Err(err)) => err.status().is_some(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dot_that_starts_a_line_is_doubled_and_the_data_ends_with_a_lone_dot() {
        let cases: [(&[u8], &[u8]); 6] = [
            (
                b"Subject: x\r\n\r\nbody",
                b"Subject: x\r\n\r\nbody\r\n.\r\n",
            ),
            (
                b".starts\r\n.\r\n..two",
                b"..starts\r\n..\r\n...two\r\n.\r\n",
            ),
            (b"a.b\r\nc.\r\n", b"a.b\r\nc.\r\n\r\n.\r\n"),
            // Only CRLF ends a line: a dot after a lone LF or CR stays single.
            (b"x\n.y\r.z", b"x\n.y\r.z\r\n.\r\n"),
            (b"", b"\r\n.\r\n"),
            (b"\r\n.", b"\r\n..\r\n.\r\n"),
        ];
        for (message, sent) in cases {
            assert_eq!(
                String::from_utf8_lossy(&dot_stuffed(message)),
                String::from_utf8_lossy(sent),
                "{}",
                String::from_utf8_lossy(message)
            );
        }
    }

    #[test]
    fn pipelining_is_read_from_the_ehlo_keywords_only() {
        let lines = ["mail.example.org", "SIZE 1000", "PIPELINING", "8BITMIME"];
        assert!(advertises_pipelining(lines.into_iter()));
        assert!(advertises_pipelining(["pipelining"].into_iter()));
        assert!(!advertises_pipelining(
            ["mail.example.org", "8BITMIME", "HELP"].into_iter()
        ));
        // Only a keyword counts, not a word in the greeting.
        assert!(!advertises_pipelining(
            ["mail.example.org says PIPELINING soon", "XPIPELINING"].into_iter()
        ));
    }
}
