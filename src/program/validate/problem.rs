//! The kinds of problem that several checks share, each with its one message; one-off
//! problems of a single section keep their own sentence.

/// A kind of problem found in a program file, named so checks say what is wrong, not how
/// to phrase it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum Problem {
    /// A value that does not parse or breaks its format (`what` says which).
    #[error("invalid {what} `{value}`")]
    Invalid {
        /// What the value is (`channel`, `sender address`, `date`…).
        what: &'static str,
        /// The value as written.
        value: String,
    },
    /// A name that refers to nothing declared.
    #[error("unknown {what} `{name}`")]
    Unknown {
        /// What the name should refer to.
        what: &'static str,
        /// The name as written.
        name: String,
    },
    /// An id declared twice in the same list.
    #[error("duplicate {what} `{id}`")]
    Duplicate {
        /// What the id names.
        what: &'static str,
        /// The id.
        id: String,
    },
    /// A value listed twice where each may appear once.
    #[error("{what} `{value}` is listed twice")]
    ListedTwice {
        /// What the list holds.
        what: &'static str,
        /// The repeated value.
        value: String,
    },
    /// A text without a translation in one of the program's locales.
    #[error("{what} has no text in locale `{locale}`")]
    MissingText {
        /// The text (`title`, `question `x` text`…).
        what: String,
        /// The locale it lacks.
        locale: String,
    },
    /// A text in a locale the program does not declare.
    #[error("{what} has text in `{locale}`, which is not a declared locale")]
    UndeclaredLocale {
        /// The text.
        what: String,
        /// The undeclared locale.
        locale: String,
    },
    /// An expression with a syntax error.
    #[error("invalid {what} expression: {message}")]
    Expression {
        /// Which expression (`filter`, `show_if`).
        what: &'static str,
        /// What the expression parser said.
        message: String,
    },
    /// A key that only email channels take, on another kind of channel.
    #[error("`{key}` only applies to email channels")]
    EmailOnly {
        /// The key.
        key: &'static str,
    },
}
