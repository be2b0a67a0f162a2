//! A fluent builder for running the real `ecoute` binary in a scratch folder, in the style
//! of `just`'s tests: `Test::new().file(..).args(..).run().status(1).stderr_has(..)`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One run of the binary in its own temporary folder.
pub struct Test {
    dir: tempfile::TempDir,
    args: Vec<String>,
}

impl Test {
    /// A new empty scratch folder.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("create a temporary folder"),
            args: Vec::new(),
        }
    }

    /// The scratch folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (text) relative to the scratch folder.
    pub fn file(self, relative: &str, content: impl AsRef<[u8]>) -> Self {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent folder");
        }
        std::fs::write(path, content).expect("write test file");
        self
    }

    /// Appends command-line arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Runs the binary and returns what it did.
    pub fn run(self) -> Ran {
        let output = Command::new(env!("CARGO_BIN_EXE_ecoute"))
            .args(&self.args)
            .current_dir(self.dir.path())
            .env_remove("ECOUTE_DATABASE_URL")
            .env_remove("ECOUTE_CONFIG")
            .output()
            .expect("run the ecoute binary");
        Ran {
            output,
            _dir: self.dir,
        }
    }
}

/// The outcome of a run, with assertions that print everything on failure.
pub struct Ran {
    output: Output,
    _dir: tempfile::TempDir,
}

impl Ran {
    /// Standard output as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Standard error as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    fn explain(&self) -> String {
        format!(
            "exit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.output.status.code(),
            self.stdout(),
            self.stderr()
        )
    }

    /// Asserts the exit code.
    pub fn status(self, code: i32) -> Self {
        assert_eq!(self.output.status.code(), Some(code), "{}", self.explain());
        self
    }

    /// Asserts that stdout contains `needle`.
    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(
            self.stdout().contains(needle),
            "missing {needle:?} in stdout\n{}",
            self.explain()
        );
        self
    }

    /// Asserts that stderr contains `needle`.
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.stderr().contains(needle),
            "missing {needle:?} in stderr\n{}",
            self.explain()
        );
        self
    }

    /// Asserts that stderr does not contain `needle`.
    pub fn stderr_lacks(self, needle: &str) -> Self {
        assert!(
            !self.stderr().contains(needle),
            "unexpected {needle:?} in stderr\n{}",
            self.explain()
        );
        self
    }

    /// Asserts that no panic message reached the user.
    pub fn no_panic(self) -> Self {
        self.stderr_lacks("panicked")
    }
}

/// A path inside the repository.
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}
