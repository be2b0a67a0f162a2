//! The words of the form's chrome (buttons, errors, scale labels, pages), French first and
//! English too. Questions themselves come from the program file, in its locales.

use serde::Serialize;

/// The locales the form's own texts are written in; any other falls back to English.
pub const UI_LOCALES: [&str; 2] = ["fr", "en"];

/// Every text of the form and its pages, handed to the templates as `t`.
#[derive(Debug, Clone, Serialize)]
pub struct Texts {
    /// Submit button.
    pub submit: &'static str,
    /// Marks a required question.
    pub required: &'static str,
    /// Shown under questions that depend on an earlier answer.
    pub conditional: &'static str,
    /// Left end of the NPS row.
    pub nps_low: &'static str,
    /// Right end of the NPS row.
    pub nps_high: &'static str,
    /// Left end of the CES row.
    pub ces_low: &'static str,
    /// Right end of the CES row.
    pub ces_high: &'static str,
    /// Yes.
    pub yes: &'static str,
    /// No.
    pub no: &'static str,
    /// Green (green/red scale).
    pub green: &'static str,
    /// Red (green/red scale).
    pub red: &'static str,
    /// A checklist item that does not apply to this visit.
    pub not_applicable: &'static str,
    /// Label of a checklist item's comment box.
    pub comment: &'static str,
    /// Screen-reader label of one star, `{n}` replaced.
    pub stars: &'static str,
    /// The five smileys, from very unhappy to very happy.
    pub smileys5: [&'static str; 5],
    /// The three smileys, from unhappy to happy.
    pub smileys3: [&'static str; 3],
    /// The page title's prefix when one answer needs fixing.
    pub errors_one: &'static str,
    /// The page title's prefix when several answers need fixing, `{n}` replaced.
    pub errors_many: &'static str,
    /// Summary above the form when answers need fixing.
    pub fix_errors: &'static str,
    /// Characters limit hint, `{n}` replaced.
    pub max_chars: &'static str,
    /// Error: a required answer is missing.
    pub err_required: &'static str,
    /// Error: a value outside the scale, `{min}` and `{max}` replaced.
    pub err_range: &'static str,
    /// Error: a choice that is not offered.
    pub err_choice: &'static str,
    /// Error: several answers where one is expected.
    pub err_several: &'static str,
    /// Error: text too long, `{n}` replaced.
    pub err_too_long: &'static str,
    /// Thank-you page title.
    pub thanks_title: &'static str,
    /// Thank-you page text.
    pub thanks_text: &'static str,
    /// Already-answered page title.
    pub already_title: &'static str,
    /// Already-answered page text.
    pub already_text: &'static str,
    /// Unknown, malformed or closed link: title.
    pub unavailable_title: &'static str,
    /// Unknown, malformed or closed link: text.
    pub unavailable_text: &'static str,
    /// Unsubscribe confirmation title.
    pub unsubscribe_title: &'static str,
    /// Unsubscribe confirmation text.
    pub unsubscribe_text: &'static str,
    /// Unsubscribe button.
    pub unsubscribe_button: &'static str,
    /// Unsubscribed page title.
    pub unsubscribed_title: &'static str,
    /// Unsubscribed page text.
    pub unsubscribed_text: &'static str,
    /// Too many requests: title.
    pub too_many_title: &'static str,
    /// Too many requests: text.
    pub too_many_text: &'static str,
    /// A request the server refuses (too large, wrong type, forged): title.
    pub refused_title: &'static str,
    /// A request the server refuses: text.
    pub refused_text: &'static str,
    /// Server trouble: title.
    pub error_title: &'static str,
    /// Server trouble: text.
    pub error_text: &'static str,
}

const FR: Texts = Texts {
    submit: "Envoyer mes réponses",
    required: "obligatoire",
    conditional: "Seulement si cela vous concerne, d'après votre réponse précédente.",
    nps_low: "Pas du tout probable",
    nps_high: "Très probable",
    ces_low: "Très difficile",
    ces_high: "Très facile",
    yes: "Oui",
    no: "Non",
    green: "Vert",
    red: "Rouge",
    not_applicable: "Sans objet",
    comment: "Commentaire (facultatif)",
    stars: "{n} sur 5",
    smileys5: [
        "Très mécontent",
        "Mécontent",
        "Neutre",
        "Content",
        "Très content",
    ],
    smileys3: ["Mécontent", "Neutre", "Content"],
    errors_one: "1 réponse à corriger",
    errors_many: "{n} réponses à corriger",
    fix_errors: "Il manque quelque chose : merci de vérifier les questions signalées.",
    max_chars: "{n} caractères au maximum",
    err_required: "Merci de répondre à cette question.",
    err_range: "Choisissez une valeur entre {min} et {max}.",
    err_choice: "Choisissez une des réponses proposées.",
    err_several: "Une seule réponse, s'il vous plaît.",
    err_too_long: "Votre réponse est trop longue : {n} caractères au maximum.",
    thanks_title: "Merci !",
    thanks_text: "Vos réponses sont bien enregistrées. Elles nous aident à nous améliorer.",
    already_title: "Vous avez déjà répondu",
    already_text: "Nous avons déjà bien reçu vos réponses à ce questionnaire : merci ! Elles ne peuvent plus être modifiées.",
    unavailable_title: "Ce questionnaire n'est pas disponible",
    unavailable_text: "Le lien est incomplet, ou la période de réponse est terminée. Merci de votre intérêt.",
    unsubscribe_title: "Ne plus recevoir nos questionnaires ?",
    unsubscribe_text: "Confirmez pour ne plus recevoir d'invitation à nos questionnaires de satisfaction à cette adresse.",
    unsubscribe_button: "Me désinscrire",
    unsubscribed_title: "C'est fait",
    unsubscribed_text: "Vous ne recevrez plus nos questionnaires de satisfaction à cette adresse.",
    too_many_title: "Trop de tentatives",
    too_many_text: "Merci de patienter quelques minutes avant de réessayer.",
    refused_title: "Demande refusée",
    refused_text: "Cette demande n'a pas pu être traitée. Rouvrez le lien reçu par e-mail et réessayez.",
    error_title: "Un souci de notre côté",
    error_text: "Vos réponses n'ont pas pu être enregistrées. Merci de réessayer dans un instant.",
};

const EN: Texts = Texts {
    submit: "Send my answers",
    required: "required",
    conditional: "Only if it applies to you, given your earlier answer.",
    nps_low: "Not at all likely",
    nps_high: "Extremely likely",
    ces_low: "Very difficult",
    ces_high: "Very easy",
    yes: "Yes",
    no: "No",
    green: "Green",
    red: "Red",
    not_applicable: "Not applicable",
    comment: "Comment (optional)",
    stars: "{n} out of 5",
    smileys5: ["Very unhappy", "Unhappy", "Neutral", "Happy", "Very happy"],
    smileys3: ["Unhappy", "Neutral", "Happy"],
    errors_one: "1 answer to fix",
    errors_many: "{n} answers to fix",
    fix_errors: "Something is missing: please check the questions marked below.",
    max_chars: "{n} characters at most",
    err_required: "Please answer this question.",
    err_range: "Choose a value between {min} and {max}.",
    err_choice: "Choose one of the answers offered.",
    err_several: "One answer only, please.",
    err_too_long: "Your answer is too long: {n} characters at most.",
    thanks_title: "Thank you!",
    thanks_text: "Your answers are saved. They help us improve.",
    already_title: "You have already answered",
    already_text: "We already received your answers to this survey: thank you! They can no longer be changed.",
    unavailable_title: "This survey is not available",
    unavailable_text: "The link is incomplete, or the answering period is over. Thank you for your interest.",
    unsubscribe_title: "Stop receiving our surveys?",
    unsubscribe_text: "Confirm to stop receiving invitations to our satisfaction surveys at this address.",
    unsubscribe_button: "Unsubscribe",
    unsubscribed_title: "Done",
    unsubscribed_text: "You will no longer receive our satisfaction surveys at this address.",
    too_many_title: "Too many attempts",
    too_many_text: "Please wait a few minutes before trying again.",
    refused_title: "Request refused",
    refused_text: "This request could not be processed. Open the link from your email again and retry.",
    error_title: "A problem on our side",
    error_text: "Your answers could not be saved. Please try again in a moment.",
};

/// The texts for `locale` (its language subtag), English when it is neither French nor English.
pub fn texts(locale: &str) -> &'static Texts {
    if language(locale) == "fr" { &FR } else { &EN }
}

/// The language part of a locale tag: `fr` for `fr-CA`, lower-cased.
pub fn language(locale: &str) -> String {
    locale
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Replaces `{name}` placeholders.
pub fn fill(template: &str, pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_first_english_otherwise() {
        assert_eq!(texts("fr-CA").submit, FR.submit);
        assert_eq!(texts("en").submit, EN.submit);
        assert_eq!(texts("de").submit, EN.submit);
        assert_eq!(
            fill(
                texts("fr").err_range,
                &[("min", "0".into()), ("max", "10".into())]
            ),
            "Choisissez une valeur entre 0 et 10."
        );
    }
}
