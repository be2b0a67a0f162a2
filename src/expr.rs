//! The one expression language of program files: `filter` on samples and `show_if` on
//! questions are both minijinja expressions (`segment == "B2B" and region in ["IDF", "PACA"]`,
//! `recommend <= 6`), so a CX team learns a single syntax and gets the same error messages.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::{Arc, LazyLock, RwLock};

use minijinja::{Environment, UndefinedBehavior, Value};

/// Strict about undefined names, so a typo in an attribute is an error, never a silent `false`.
static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env
});

/// Why an expression could not be compiled or evaluated.
#[derive(Debug, thiserror::Error)]
pub enum ExprError {
    /// The text is not a valid expression; `range` is the byte range inside the expression.
    #[error("invalid expression: {message}")]
    Syntax {
        /// What the parser said.
        message: String,
        /// Where in the expression text, when the parser knows.
        range: Option<Range<usize>>,
    },
    /// The expression names something the context does not have.
    #[error("`{name}` is not defined here")]
    Undefined {
        /// The missing variable or attribute.
        name: String,
    },
    /// Evaluation failed for another reason (wrong types, bad operator).
    #[error("cannot evaluate expression: {message}")]
    Eval {
        /// What the engine said.
        message: String,
    },
}

/// A compiled expression, compiled once and evaluated many times (once per contact).
pub struct Expr {
    source: String,
    compiled: minijinja::Expression<'static, 'static>,
    variables: BTreeSet<String>,
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Expr").field(&self.source).finish()
    }
}

impl Expr {
    /// Compiles `source`, reporting syntax errors with their position inside the text.
    pub fn compile(source: &str) -> Result<Self, ExprError> {
        let compiled = ENVIRONMENT
            .compile_expression_owned(source.to_owned())
            .map_err(|err| ExprError::Syntax {
                message: err.detail().unwrap_or("syntax error").to_owned(),
                range: err.range(),
            })?;
        let variables = compiled.undeclared_variables(false).into_iter().collect();
        Ok(Self {
            source: source.to_owned(),
            compiled,
            variables,
        })
    }

    /// The compiled form of `source`, compiled once per text for the whole process: the
    /// survey form and every answer evaluate the same few `show_if` and alert conditions,
    /// and compiling them on each request was a visible share of the form's work. `None`
    /// for a text that does not compile (validation reports those).
    pub fn shared(source: &str) -> Option<Arc<Expr>> {
        /// Beyond this many texts (programs edited over a long-running server's life), the
        /// cache starts again rather than grow.
        const MOST: usize = 4096;
        static COMPILED: LazyLock<RwLock<HashMap<String, Arc<Expr>>>> =
            LazyLock::new(RwLock::default);
        if let Some(expr) = COMPILED.read().ok()?.get(source) {
            return Some(Arc::clone(expr));
        }
        let expr = Arc::new(Expr::compile(source).ok()?);
        let mut cache = COMPILED.write().ok()?;
        if cache.len() >= MOST {
            cache.clear();
        }
        cache.insert(source.to_owned(), Arc::clone(&expr));
        Some(expr)
    }

    /// The text as written in the program file.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The top-level names the expression reads, so validation can check they exist.
    pub fn variables(&self) -> &BTreeSet<String> {
        &self.variables
    }

    /// Evaluates against `context` (a map of names to values) and applies Jinja truthiness.
    pub fn eval_bool(&self, context: Value) -> Result<bool, ExprError> {
        if let Some(name) = self
            .variables
            .iter()
            .find(|name| context.get_attr(name).is_ok_and(|v| v.is_undefined()))
        {
            return Err(ExprError::Undefined { name: name.clone() });
        }
        self.compiled
            .eval(context)
            .map(|value| value.is_true())
            .map_err(|err| ExprError::Eval {
                message: err
                    .detail()
                    .map(str::to_owned)
                    .unwrap_or_else(|| err.to_string()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_filters_over_attributes() {
        let expr = Expr::compile(r#"segment == "B2B" and orders >= 3"#).expect("valid");
        let yes = Value::from(minijinja::value::Serde(
            serde_json::json!({"segment": "B2B", "orders": 4}),
        ));
        let no = Value::from(minijinja::value::Serde(
            serde_json::json!({"segment": "B2C", "orders": 4}),
        ));
        assert!(expr.eval_bool(yes).expect("evaluates"));
        assert!(!expr.eval_bool(no).expect("evaluates"));
        assert_eq!(
            expr.variables(),
            &BTreeSet::from(["orders".to_owned(), "segment".to_owned()])
        );
    }

    #[test]
    fn names_the_missing_attribute() {
        let expr = Expr::compile("region == 'IDF'").expect("valid");
        let context = Value::from(minijinja::value::Serde(
            serde_json::json!({"segment": "B2B"}),
        ));
        match expr.eval_bool(context) {
            Err(ExprError::Undefined { name }) => assert_eq!(name, "region"),
            other => panic!("expected an undefined-name error, got {other:?}"),
        }
    }

    #[test]
    fn reports_syntax_errors_with_a_range() {
        match Expr::compile("recommend <= ") {
            Err(ExprError::Syntax { message, .. }) => assert!(!message.is_empty()),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }
}
