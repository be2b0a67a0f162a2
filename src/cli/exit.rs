//! The process exit codes: the one list scripts, CI and the README rely on.

use std::process::ExitCode;

/// How an `ecoute` run ended, as its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: the command did its job.
    Success,
    /// 1: the inputs have problems (a program that fails `check`, rows rejected).
    Problems,
    /// 2: usage, configuration or I/O error (including a problem no retry fixes while
    /// sending: wrong credentials, sender refused).
    Usage,
    /// 3: the mail server could not be reached; nothing is lost, try again later.
    Unreachable,
    /// 130 (128 + SIGINT): stopped by Ctrl-C, as shells expect.
    Interrupted,
}

impl Exit {
    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Problems => 1,
            Exit::Usage => 2,
            Exit::Unreachable => 3,
            Exit::Interrupted => 130,
        }
    }

    /// [`Exit::Success`] unless `problems`, then [`Exit::Problems`].
    pub fn problems_if(problems: bool) -> Exit {
        if problems {
            Exit::Problems
        } else {
            Exit::Success
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn codes_are_the_documented_ones() {
        let codes: Vec<u8> = [
            Exit::Success,
            Exit::Problems,
            Exit::Usage,
            Exit::Unreachable,
            Exit::Interrupted,
        ]
        .into_iter()
        .map(Exit::code)
        .collect();
        assert_eq!(codes, [0, 1, 2, 3, 130]);
    }
}
