//! Values that remember where they were written, so checks made after parsing can point
//! at the user's own line and column.

use std::fmt;
use std::ops::Deref;

use schemars::JsonSchema;
use serde::Deserialize;

/// A 1-based line and column inside a program file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

/// A deserialised value and the position of its text in the YAML file.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct At<T>(serde_saphyr::Spanned<T>);

impl<T> At<T> {
    /// Wraps a value that has no source position (defaults, programmatic construction).
    pub fn unplaced(value: T) -> Self {
        At(serde_saphyr::Spanned::new(
            value,
            serde_saphyr::Location::UNKNOWN,
            serde_saphyr::Location::UNKNOWN,
        ))
    }

    /// Where the value was written.
    pub fn position(&self) -> Position {
        let location = self.0.referenced;
        Position {
            line: usize::try_from(location.line()).unwrap_or(0),
            column: usize::try_from(location.column()).unwrap_or(0),
        }
    }

    /// The value itself.
    pub fn value(&self) -> &T {
        &self.0.value
    }
}

impl<T> Deref for At<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0.value
    }
}

impl<T: fmt::Debug> fmt::Debug for At<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.value.fmt(f)
    }
}

impl<T: JsonSchema> JsonSchema for At<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<T: Default> Default for At<T> {
    fn default() -> Self {
        At::unplaced(T::default())
    }
}
