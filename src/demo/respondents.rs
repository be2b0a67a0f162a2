//! Simulated respondents: each reads the emails ecoute sent (`.eml` files, from the file
//! outbox or the SMTP test server's folder), opens the survey link of the real web form
//! over HTTP and posts answers drawn from a persona, or unsubscribes, or stays silent.
//!
//! A persona is pure: the same person, survey and period always answer the same, so two
//! runs give the same report. The second period is better on delivery and worse on the
//! contact centre, so the report shows real, significant changes.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use axum::body::Body;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use super::DemoError;
use super::population::weighted;
use crate::store::Store;

/// What a person does with the emails of one invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    /// Answers on reading message `n` (0 the invitation, 1 and 2 the reminders).
    AnswerAt(u32),
    /// Follows the unsubscribe link of the invitation.
    Unsubscribe,
    /// Never answers.
    Silent,
}

/// A person's behaviour for one survey of one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persona {
    /// When they answer, if ever.
    pub reaction: Reaction,
    /// The form fields they fill: (question id, value as the form offers it).
    pub answers: Vec<(String, String)>,
}

/// Verbatims of unhappy delivery customers: each hits a theme of the example program.
const DELIVERY_VERBATIMS: [&str; 6] = [
    "Livraison en retard de trois jours, sans prévenir.",
    "Le livreur n'a pas respecté le créneau annoncé.",
    "Colis abîmé, le carton était déchiré.",
    "Trop d'attente au téléphone pour suivre ma commande.",
    "Les frais de livraison sont trop chers pour ce délai.",
    "Meuble livré avec un défaut, la qualité n'est pas au rendez-vous.",
];
/// Comments on the contact centre, happy and not.
const CALL_VERBATIMS: [&str; 5] = [
    "Conseiller très aimable et efficace.",
    "Beaucoup trop d'attente avant d'avoir quelqu'un.",
    "On m'a promis un rappel qui n'est jamais venu, c'est long.",
    "Bon accueil mais il a fallu rappeler deux fois.",
    "Attente interminable, puis transféré trois fois.",
];

/// The persona of `email` for `survey` in `period`; `second` is the later of the demo's
/// two periods (better deliveries, a worse contact centre).
pub fn persona(email: &str, survey: &str, period: &str, second: bool) -> Persona {
    let digest = Sha256::digest(format!("{email}|{survey}|{period}").as_bytes());
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&digest);
    let mut rng = ChaCha8Rng::from_seed(seed);
    let roll: u32 = rng.random_range(0..100);
    let reaction = match roll {
        0..3 => Reaction::Unsubscribe,
        3..33 => Reaction::AnswerAt(0),
        33..45 => Reaction::AnswerAt(1),
        45..51 => Reaction::AnswerAt(2),
        _ => Reaction::Silent,
    };
    let mut answers = Vec::new();
    let mut put = |id: &str, value: String| answers.push((id.to_owned(), value));
    match survey {
        "livraison" => {
            let groups = if second { [15, 30, 55] } else { [40, 30, 30] };
            let nps = nps(&mut rng, groups);
            put("recommandation", nps.to_string());
            let stars = match nps {
                0..=6 => rng.random_range(1..=3),
                7..=8 => rng.random_range(3..=4),
                _ => rng.random_range(4..=5),
            };
            put("satisfaction", stars.to_string());
            if nps <= 6 && rng.random_bool(0.7) {
                let text = DELIVERY_VERBATIMS[rng.random_range(0..DELIVERY_VERBATIMS.len())];
                put("pourquoi", text.to_owned());
            }
        }
        "centre-contacts" => {
            let resolved = rng.random_bool(if second { 0.55 } else { 0.82 });
            put("resolu", if resolved { "1" } else { "0" }.to_owned());
            let effort: u32 = if second {
                rng.random_range(2..=6)
            } else {
                rng.random_range(4..=7)
            };
            put("effort", effort.to_string());
            if rng.random_bool(0.8) {
                let smiley = if resolved {
                    weighted(&mut rng, &[("3", 70), ("2", 25), ("1", 5)])
                } else {
                    weighted(&mut rng, &[("3", 15), ("2", 45), ("1", 40)])
                };
                put("satisfaction", smiley.to_owned());
            }
            if rng.random_bool(0.35) {
                let text = CALL_VERBATIMS[rng.random_range(0..CALL_VERBATIMS.len())];
                put("commentaire", text.to_owned());
            }
        }
        "sav" => {
            let nps = nps(&mut rng, [30, 35, 35]);
            put("recommandation", nps.to_string());
            if rng.random_bool(0.8) {
                put("effort", rng.random_range(3..=7u32).to_string());
            }
            if nps <= 8 {
                for option in ["delai", "suivi", "solution"] {
                    if rng.random_bool(0.4) {
                        put("points-faibles", option.to_owned());
                    }
                }
            }
        }
        _ => {}
    }
    Persona { reaction, answers }
}

/// A recommendation score: detractor (0–6, mostly 5–6), passive (7–8) or promoter (9–10)
/// with the given weights.
fn nps(rng: &mut ChaCha8Rng, [detractors, passives, promoters]: [u32; 3]) -> u32 {
    match weighted(rng, &[("d", detractors), ("p", passives), ("P", promoters)]) {
        "d" => *[2, 4, 5, 5, 6, 6].get(rng.random_range(0..6)).unwrap_or(&6),
        "p" => rng.random_range(7..=8),
        _ => rng.random_range(9..=10),
    }
}

/// One answer the respondents posted and the form accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// Who answered.
    pub email: String,
    /// Which survey.
    pub survey: String,
    /// Which period.
    pub period: String,
    /// The fields posted (question id, value).
    pub answers: Vec<(String, String)>,
}

/// The respondents of one program: which emails they have read and what they did.
pub struct Respondents {
    base: String,
    program: String,
    second_period: String,
    client: Client<HttpConnector, Body>,
    read: HashSet<PathBuf>,
    waves: HashMap<i64, (String, String)>,
    done: HashSet<i64>,
    /// Answers accepted by the form, in the order posted.
    pub posted: Vec<Posted>,
    /// Invitations whose person unsubscribed.
    pub unsubscribed: Vec<String>,
    /// Answers that reached the form after their period closed (a busy machine lets the
    /// rehearsal clock run ahead of the respondents).
    pub too_late: usize,
}

/// The parts of an invitation email a respondent acts on.
struct Letter {
    to: String,
    invitation: i64,
    message: u32,
    token: String,
}

impl Respondents {
    /// Respondents of `program` who reach the web form at `base` (`http://host:port`);
    /// `second_period` is the period whose personas are the "after" ones.
    pub fn new(base: &str, program: &str, second_period: &str) -> Respondents {
        Respondents {
            base: base.trim_end_matches('/').to_owned(),
            program: program.to_owned(),
            second_period: second_period.to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            read: HashSet::new(),
            waves: HashMap::new(),
            done: HashSet::new(),
            too_late: 0,
            posted: Vec::new(),
            unsubscribed: Vec::new(),
        }
    }

    /// Reads the emails in `folder` not read before and acts on each; returns how many
    /// were new.
    pub async fn read_mail(&mut self, store: &Store, folder: &Path) -> Result<usize, DemoError> {
        let mut fresh: Vec<PathBuf> = match std::fs::read_dir(folder) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .filter(|p| !self.read.contains(p))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(DemoError::Io {
                    path: folder.to_owned(),
                    source,
                });
            }
        };
        fresh.sort();
        let mut visits = tokio::task::JoinSet::new();
        for path in &fresh {
            let text = std::fs::read(path).map_err(|source| DemoError::Io {
                path: path.clone(),
                source,
            })?;
            let text = String::from_utf8_lossy(&text);
            if !text.contains("\r\n\r\n") {
                // Still being written: read on the next pass.
                continue;
            }
            self.read.insert(path.clone());
            let Some(letter) = letter(&text) else {
                continue;
            };
            if let Some(visit) = self.visit(store, letter).await? {
                if visits.len() >= IN_FLIGHT
                    && let Some(done) = visits.join_next().await
                {
                    self.record(done)?;
                }
                visits.spawn(visit.go(self.base.clone(), self.client.clone()));
            }
        }
        while let Some(done) = visits.join_next().await {
            self.record(done)?;
        }
        Ok(fresh.len())
    }

    /// Decides what the person does on reading `letter`: nothing, or a visit to the form.
    async fn visit(&mut self, store: &Store, letter: Letter) -> Result<Option<Visit>, DemoError> {
        if self.done.contains(&letter.invitation) {
            return Ok(None);
        }
        if !self.waves.contains_key(&letter.invitation) {
            for wave in store.program_waves(&self.program).await? {
                for invitation in store.wave_invitations(wave.id).await? {
                    self.waves
                        .insert(invitation.id, (wave.survey_id.clone(), wave.period.clone()));
                }
            }
        }
        let Some((survey, period)) = self.waves.get(&letter.invitation).cloned() else {
            return Ok(None);
        };
        let second = period == self.second_period;
        let persona = persona(&letter.to, &survey, &period, second);
        let act = match persona.reaction {
            Reaction::Unsubscribe => None,
            Reaction::AnswerAt(n) if n == letter.message => Some(Posted {
                email: letter.to.clone(),
                survey,
                period,
                answers: persona.answers,
            }),
            Reaction::AnswerAt(_) | Reaction::Silent => return Ok(None),
        };
        self.done.insert(letter.invitation);
        Ok(Some(Visit { letter, act }))
    }

    fn record(
        &mut self,
        done: Result<Result<Outcome, DemoError>, tokio::task::JoinError>,
    ) -> Result<(), DemoError> {
        match done.map_err(|e| DemoError::Step(format!("a respondent stopped: {e}")))?? {
            Outcome::Answered(posted) => self.posted.push(posted),
            Outcome::Unsubscribed(email) => self.unsubscribed.push(email),
            Outcome::TooLate => self.too_late += 1,
        }
        Ok(())
    }
}

/// How many respondents may be on the form at once.
const IN_FLIGHT: usize = 16;

/// A visit to the web form: an answer (`act` some) or an unsubscribe.
struct Visit {
    letter: Letter,
    act: Option<Posted>,
}

/// What a visit did.
enum Outcome {
    Answered(Posted),
    Unsubscribed(String),
    /// The period closed before the person got to the form.
    TooLate,
}

impl Visit {
    async fn go(
        self,
        base: String,
        client: Client<HttpConnector, Body>,
    ) -> Result<Outcome, DemoError> {
        let form = Form { base, client };
        let done = match &self.act {
            Some(posted) => form.answer(&self.letter, &posted.answers).await,
            None => {
                let url = format!("{}/u/{}", form.base, self.letter.token);
                form.send(&url, Some(String::new())).await.map(drop)
            }
        };
        match (done, self.act) {
            (Err(DemoError::NotFound(_)), _) => Ok(Outcome::TooLate),
            (Err(error), _) => Err(error),
            (Ok(()), Some(posted)) => Ok(Outcome::Answered(posted)),
            (Ok(()), None) => Ok(Outcome::Unsubscribed(self.letter.to)),
        }
    }
}

/// The web form as a respondent's browser reaches it.
struct Form {
    base: String,
    client: Client<HttpConnector, Body>,
}

impl Form {
    /// Opens the form, checks it offers every field and value, and posts them.
    async fn answer(&self, letter: &Letter, answers: &[(String, String)]) -> Result<(), DemoError> {
        let url = format!("{}/s/{}", self.base, letter.token);
        let page = self.send(&url, None).await?;
        let key =
            between(&page, "name=\"form_key\" value=\"", "\"").ok_or_else(|| DemoError::Form {
                url: url.clone(),
                problem: "no form_key field".to_owned(),
            })?;
        let mut body = form_urlencoded(&[("form_key", key)]);
        for (id, value) in answers {
            let radio = format!("name=\"q.{id}\" value=\"{value}\"");
            let textarea = format!("<textarea id=\"field-{id}\" name=\"q.{id}\"");
            if !page.contains(&radio) && !page.contains(&textarea) {
                return Err(DemoError::Form {
                    url,
                    problem: format!("the form offers no `{value}` for question `{id}`"),
                });
            }
            body.push('&');
            body.push_str(&form_urlencoded(&[(&format!("q.{id}"), value)]));
        }
        self.send(&url, Some(body)).await?;
        Ok(())
    }

    /// A GET (`body` none) or a form POST; the page when the server answers 200.
    async fn send(&self, url: &str, body: Option<String>) -> Result<String, DemoError> {
        let request = match body {
            None => axum::http::Request::get(url).body(Body::empty()),
            Some(body) => axum::http::Request::post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body)),
        }
        .map_err(|e| DemoError::Form {
            url: url.to_owned(),
            problem: e.to_string(),
        })?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| DemoError::Http {
                url: url.to_owned(),
                problem: e.to_string(),
            })?;
        let status = response.status();
        let bytes = axum::body::to_bytes(Body::new(response.into_body()), 4 << 20)
            .await
            .map_err(|e| DemoError::Http {
                url: url.to_owned(),
                problem: e.to_string(),
            })?;
        let page = String::from_utf8_lossy(&bytes).into_owned();
        if status == axum::http::StatusCode::NOT_FOUND {
            return Err(DemoError::NotFound(url.to_owned()));
        }
        if status != axum::http::StatusCode::OK {
            return Err(DemoError::Form {
                url: url.to_owned(),
                problem: format!("the server answered {status}"),
            });
        }
        Ok(page)
    }
}

/// Form-encodes pairs (`application/x-www-form-urlencoded`).
fn form_urlencoded(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// The text between `start` and the next `end`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let rest = &text[from..];
    Some(&rest[..rest.find(end)?])
}

/// Reads the headers of an invitation or reminder: recipient, `Message-ID`
/// (`<ecoute.INVITATION.MESSAGE.…>`) and the token of `List-Unsubscribe` (the survey link's
/// token too). `None` for other emails (alerts to staff carry no unsubscribe link).
fn letter(eml: &str) -> Option<Letter> {
    let head = eml.split("\r\n\r\n").next().unwrap_or(eml);
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let header = |name: &str| {
        unfolded.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let to = header("To")?;
    let to = between(&to, "<", ">").unwrap_or(&to).to_owned();
    let id = header("Message-ID")?;
    let mut parts = id.trim_matches(['<', '>']).split('.').skip(1);
    let invitation = parts.next()?.parse().ok()?;
    let message = parts.next()?.parse().ok()?;
    let unsubscribe = header("List-Unsubscribe")?;
    let token = between(&unsubscribe, "/u/", ">")?.to_owned();
    Some(Letter {
        to,
        invitation,
        message,
        token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_persona_is_the_same_every_time() {
        let a = persona("client00001@exemple.fr", "livraison", "2026-11", true);
        assert_eq!(
            a,
            persona("client00001@exemple.fr", "livraison", "2026-11", true)
        );
    }

    #[test]
    fn the_second_period_delivers_better_and_answers_calls_worse() {
        // Over 2,000 people: delivery promoters are drawn with weight 30 % then 55 %;
        // resolutions at first contact with 82 % then 55 %.
        let share = |survey: &str, second: bool, hit: &dyn Fn(&Persona) -> bool| {
            let people: Vec<Persona> = (0..2000)
                .map(|n| persona(&format!("p{n}@x.fr"), survey, "p", second))
                .collect();
            people.iter().filter(|p| hit(p)).count() as f64 / 2000.0
        };
        let value = |p: &Persona, id: &str| {
            p.answers
                .iter()
                .find(|(q, _)| q == id)
                .map(|(_, v)| v.clone())
        };
        let promoter = |p: &Persona| {
            value(p, "recommandation").is_some_and(|v| v.parse::<u32>().is_ok_and(|n| n >= 9))
        };
        let resolved = |p: &Persona| value(p, "resolu").as_deref() == Some("1");
        assert!((share("livraison", false, &promoter) - 0.30).abs() < 0.04);
        assert!((share("livraison", true, &promoter) - 0.55).abs() < 0.04);
        assert!((share("centre-contacts", false, &resolved) - 0.82).abs() < 0.04);
        assert!((share("centre-contacts", true, &resolved) - 0.55).abs() < 0.04);
    }

    #[test]
    fn only_detractors_explain_their_delivery_score() {
        for n in 0..500 {
            let p = persona(&format!("p{n}@x.fr"), "livraison", "p", false);
            let score: u32 = p.answers[0].1.parse().expect("a score");
            let explains = p.answers.iter().any(|(q, _)| q == "pourquoi");
            assert!(!explains || score <= 6, "{p:?}");
        }
    }

    #[test]
    fn an_invitation_email_gives_its_recipient_invitation_and_token() {
        let eml = "From: x@y\r\nTo: =?utf-8?b?TMOpYQ==?= <lea@exemple.fr>\r\n\
                   Message-ID: <ecoute.42.1.fidelite-clients@exemple.fr>\r\n\
                   List-Unsubscribe: <http://127.0.0.1:1/u/abc-DEF_1>,\r\n <mailto:x@y?subject=u>\r\n\
                   \r\nbody";
        let letter = letter(eml).expect("an invitation");
        assert_eq!(letter.to, "lea@exemple.fr");
        assert_eq!((letter.invitation, letter.message), (42, 1));
        assert_eq!(letter.token, "abc-DEF_1");
        let alert = "To: staff@exemple.fr\r\nMessage-ID: <x@y>\r\n\r\nbody";
        assert!(super::letter(alert).is_none());
    }

    #[test]
    fn form_values_are_url_encoded() {
        assert_eq!(
            form_urlencoded(&[("q.pourquoi", "Colis abîmé & cher")]),
            "q.pourquoi=Colis+ab%C3%AEm%C3%A9+%26+cher"
        );
    }
}
