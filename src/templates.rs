//! Templates for emails (and later the form and reports): defaults embedded in the binary,
//! each overridable by a file of the same name in the team's own templates folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior};

/// The default templates, baked in so the binary works from any folder.
const EMBEDDED: &[(&str, &str)] = &[
    (
        "email/invitation.fr.subject.txt",
        include_str!("../templates/email/invitation.fr.subject.txt"),
    ),
    (
        "email/invitation.fr.txt",
        include_str!("../templates/email/invitation.fr.txt"),
    ),
    (
        "email/invitation.fr.html",
        include_str!("../templates/email/invitation.fr.html"),
    ),
    (
        "email/invitation.en.subject.txt",
        include_str!("../templates/email/invitation.en.subject.txt"),
    ),
    (
        "email/invitation.en.txt",
        include_str!("../templates/email/invitation.en.txt"),
    ),
    (
        "email/invitation.en.html",
        include_str!("../templates/email/invitation.en.html"),
    ),
    (
        "email/reminder.fr.subject.txt",
        include_str!("../templates/email/reminder.fr.subject.txt"),
    ),
    (
        "email/reminder.fr.txt",
        include_str!("../templates/email/reminder.fr.txt"),
    ),
    (
        "email/reminder.fr.html",
        include_str!("../templates/email/reminder.fr.html"),
    ),
    (
        "email/reminder.en.subject.txt",
        include_str!("../templates/email/reminder.en.subject.txt"),
    ),
    (
        "email/reminder.en.txt",
        include_str!("../templates/email/reminder.en.txt"),
    ),
    (
        "email/reminder.en.html",
        include_str!("../templates/email/reminder.en.html"),
    ),
    (
        "email/alert.fr.subject.txt",
        include_str!("../templates/email/alert.fr.subject.txt"),
    ),
    (
        "email/alert.fr.txt",
        include_str!("../templates/email/alert.fr.txt"),
    ),
    (
        "email/alert.fr.html",
        include_str!("../templates/email/alert.fr.html"),
    ),
    (
        "email/alert.en.subject.txt",
        include_str!("../templates/email/alert.en.subject.txt"),
    ),
    (
        "email/alert.en.txt",
        include_str!("../templates/email/alert.en.txt"),
    ),
    (
        "email/alert.en.html",
        include_str!("../templates/email/alert.en.html"),
    ),
    (
        "case/case.html",
        include_str!("../templates/case/case.html"),
    ),
    (
        "form/layout.html",
        include_str!("../templates/form/layout.html"),
    ),
    (
        "form/survey.html",
        include_str!("../templates/form/survey.html"),
    ),
    (
        "form/message.html",
        include_str!("../templates/form/message.html"),
    ),
    ("form/form.css", include_str!("../templates/form/form.css")),
];

/// The three parts of an email template, by file suffix.
pub const EMAIL_PARTS: [&str; 3] = ["subject.txt", "txt", "html"];

/// The template set: embedded defaults plus an optional override folder.
pub struct Templates {
    environment: Environment<'static>,
    override_dir: Option<PathBuf>,
}

impl Templates {
    /// Builds the set; files in `override_dir` win over the embedded defaults.
    pub fn new(override_dir: Option<&Path>) -> Self {
        let mut environment = Environment::new();
        environment.set_undefined_behavior(UndefinedBehavior::Strict);
        let dir = override_dir.map(Path::to_path_buf);
        let loader_dir = dir.clone();
        environment.set_loader(move |name| {
            if let Some(dir) = &loader_dir {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return std::fs::read_to_string(&candidate)
                        .map(Some)
                        .map_err(|err| {
                            minijinja::Error::new(
                                minijinja::ErrorKind::InvalidOperation,
                                format!("cannot read template {}: {err}", candidate.display()),
                            )
                        });
                }
            }
            Ok(EMBEDDED
                .iter()
                .find(|(embedded, _)| *embedded == name)
                .map(|(_, text)| (*text).to_owned()))
        });
        Self {
            environment,
            override_dir: dir,
        }
    }

    /// Email template names (`invitation`, `reminder`, and any the team added).
    pub fn email_names(&self) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = EMBEDDED
            .iter()
            .filter_map(|(path, _)| email_name(path))
            .collect();
        if let Some(dir) = &self.override_dir
            && let Ok(entries) = std::fs::read_dir(dir.join("email"))
        {
            for entry in entries.flatten() {
                if let Some(name) = entry.file_name().to_str().and_then(|f| f.split('.').next()) {
                    names.insert(name.to_owned());
                }
            }
        }
        names
    }

    /// Renders a template by path with `context`.
    pub fn render(
        &self,
        name: &str,
        context: minijinja::Value,
    ) -> Result<String, minijinja::Error> {
        self.environment.get_template(name)?.render(context)
    }

    /// Renders every part of an email template in a locale with sample data, so syntax
    /// errors and unknown variables are found by `ecoute check`, not in the middle of a wave.
    pub fn check_email(&self, name: &str, locale: &str) -> Result<(), Box<TemplateError>> {
        let sample = minijinja::context! {
            contact => minijinja::context! { email => "camille.martin@example.org", first_name => "Camille", last_name => "Martin", locale => locale, attributes => minijinja::context! {} },
            survey_title => "Votre livraison",
            touchpoint_name => "Livraison",
            question_count => 3,
            event_date => "4 décembre 2026",
            closes_on => "31 décembre 2026",
            survey_url => "https://ecoute.example.org/s/SAMPLE",
            unsubscribe_url => "https://ecoute.example.org/u/SAMPLE",
            sender_name => "Service clients",
            program_title => "Programme d'écoute",
        };
        self.check_parts(name, locale, &sample)
    }

    /// Renders every part of an alert email template (see `dispatch::message`) in a locale
    /// with sample data, as [`Templates::check_email`] does for invitations.
    pub fn check_alert_email(&self, name: &str, locale: &str) -> Result<(), Box<TemplateError>> {
        let sample = minijinja::context! {
            rule => "detracteur-livraison",
            survey_title => "Votre livraison",
            touchpoint_name => "Livraison",
            program_title => "Programme d'écoute",
            sender_name => "Service clients",
            respond_within_hours => 48,
            due => "6 décembre 2026 à 14:00",
            respondent => minijinja::context! { name => "Camille Martin", email => "camille.martin@example.org" },
            answers => vec![minijinja::context! { question => "Recommanderiez-vous ?", value => "3" }],
            verbatims => vec![minijinja::context! { question => "Pourquoi ?", text => "Livreur en retard" }],
            case_url => "https://ecoute.example.org/c/SAMPLE",
        };
        self.check_parts(name, locale, &sample)
    }

    fn check_parts(
        &self,
        name: &str,
        locale: &str,
        sample: &minijinja::Value,
    ) -> Result<(), Box<TemplateError>> {
        for part in EMAIL_PARTS {
            let path = format!("email/{name}.{locale}.{part}");
            self.render(&path, sample.clone())
                .map_err(|err| Box::new(self.template_error(&path, sample, &err)))?;
        }
        Ok(())
    }

    /// Where a template error is, in the team's file (or the embedded default), with the
    /// undefined variable named and the closest known one suggested.
    fn template_error(
        &self,
        path: &str,
        sample: &minijinja::Value,
        err: &minijinja::Error,
    ) -> TemplateError {
        let file = self
            .override_dir
            .as_ref()
            .map(|dir| dir.join(path))
            .filter(|file| file.is_file())
            .unwrap_or_else(|| PathBuf::from(format!("(embedded) {path}")));
        let mut error = TemplateError {
            template: path.to_owned(),
            file,
            line: 0,
            column: 0,
            text: None,
            message: String::new(),
            hint: None,
        };
        if err.kind() == minijinja::ErrorKind::TemplateNotFound {
            error.message = format!("template file `{path}` is missing");
            return error;
        }
        let detail = err
            .detail()
            .map(str::to_owned)
            .unwrap_or_else(|| err.to_string());
        error.message = detail.clone();
        error.text = self
            .environment
            .get_template(path)
            .ok()
            .map(|template| template.source().to_owned());
        error.line = err.line().unwrap_or(0);
        let text = error
            .text
            .as_deref()
            .and_then(|source| source.lines().nth(error.line.saturating_sub(1)))
            .unwrap_or_default();
        error.column = 1;
        if let Some(variable) = undefined_variable(&detail) {
            if let Some(offset) = text.find(variable) {
                error.column = text[..offset].chars().count() + 1;
            }
            error.message = format!("unknown variable `{variable}`");
            let known = variable_names(sample);
            error.hint = Some(
                match crate::program::did_you_mean(variable, known.iter().map(String::as_str)) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("variables: {}", known.join(", ")),
                },
            );
        }
        error
    }
}

/// A template that does not render: which one, where, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("template `{template}` line {line}: {message}")]
pub struct TemplateError {
    /// The template's path, such as `email/invitation.fr.txt`.
    pub template: String,
    /// The file to fix: the override on disk, or a name for the embedded default.
    pub file: PathBuf,
    /// 1-based line in the template (0 when unknown, as for a missing file).
    pub line: usize,
    /// 1-based column of the offending text.
    pub column: usize,
    /// The template's text, for the caret.
    pub text: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

/// The expression minijinja names in "`survey_titel` is undefined".
fn undefined_variable(detail: &str) -> Option<&str> {
    let before = &detail[..detail.find("` is undefined")?];
    Some(&before[before.rfind('`')? + 1..])
}

/// Every variable of the sample context, nested ones dotted (`contact.first_name`).
fn variable_names(sample: &minijinja::Value) -> Vec<String> {
    let mut names = Vec::new();
    for key in sample.try_iter().into_iter().flatten() {
        let Some(name) = key.as_str() else { continue };
        names.push(name.to_owned());
        if let Ok(value) = sample.get_item(&key)
            && value.kind() == minijinja::value::ValueKind::Map
        {
            for inner in value.try_iter().into_iter().flatten() {
                if let Some(inner) = inner.as_str() {
                    names.push(format!("{name}.{inner}"));
                }
            }
        }
    }
    names
}

fn email_name(path: &str) -> Option<String> {
    path.strip_prefix("email/")
        .and_then(|rest| rest.split('.').next())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_templates_render_in_both_locales() {
        let templates = Templates::new(None);
        for name in ["invitation", "reminder"] {
            for locale in ["fr", "en"] {
                assert_eq!(templates.check_email(name, locale), Ok(()));
            }
        }
    }

    #[test]
    fn an_override_with_an_unknown_variable_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("email")).expect("mkdir");
        std::fs::write(
            dir.path().join("email/invitation.fr.subject.txt"),
            "Bonjour {{ contact.prenom }}",
        )
        .expect("write");
        let templates = Templates::new(Some(dir.path()));
        let error = templates
            .check_email("invitation", "fr")
            .expect_err("must fail");
        assert_eq!(
            error.file,
            dir.path().join("email/invitation.fr.subject.txt")
        );
        assert_eq!((error.line, error.column), (1, 12));
        assert_eq!(error.message, "unknown variable `contact.prenom`");
        assert!(templates.check_email("invitation", "en").is_ok());
    }
}
