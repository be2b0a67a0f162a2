//! Program files: the typed model, loading with positions, and validation.
//!
//! A program either loads completely and passes every check, or yields the full list of
//! problems: a wrong file never half-loads.

pub mod answers;
mod calendar;
mod diagnostic;
pub mod fingerprint;
mod load;
pub mod model;
mod resolved;
mod spanned;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use lettre::message::Mailbox;
use sha2::{Digest, Sha256};

use fingerprint::SurveyVersion;

pub use calendar::{Calendar, CalendarError, NamedWindow, inclusive_window};
pub use diagnostic::{Diagnostic, did_you_mean};
use load::MAX_FILE_BYTES;
pub use model::ProgramFile;
use resolved::Resolved;
pub use resolved::{ResolvedChannel, SendHours};
pub use spanned::{At, Position};
pub use validate::CheckContext;

/// A program file that parsed and passed every check.
#[derive(Debug)]
pub struct Program {
    /// Where it was read from.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, hex: stamps plans and reports so they can be audited.
    pub sha256: String,
    /// The typed content.
    pub file: ProgramFile,
    /// What validation parsed out of the content's strings.
    resolved: Resolved,
    /// Each survey's fingerprint by survey id, hashed on first use: every stored response
    /// names its survey's version, and hashing every question on each submission was a
    /// tenth of the survey form's work.
    versions: OnceLock<BTreeMap<String, Arc<SurveyVersion>>>,
}

impl Program {
    /// The program's identifier.
    pub fn id(&self) -> &str {
        &self.file.program.id
    }

    /// Time zone, waves, cadence and windows, typed.
    pub fn calendar(&self) -> &Calendar {
        &self.resolved.calendar
    }

    /// The sender of invitations, as the mailer writes it.
    pub fn sender(&self) -> &Mailbox {
        &self.resolved.sender
    }

    /// Where replies go, when not to the sender.
    pub fn reply_to(&self) -> Option<&Mailbox> {
        self.resolved.reply_to.as_ref()
    }

    /// The typed settings of channel `id`, when the program declares it.
    pub fn channel(&self, id: &str) -> Option<&ResolvedChannel> {
        self.resolved.channels.get(id)
    }

    /// The goal for `kpi` (a survey KPI or an indicator) for a touchpoint (`Some(id)`) or
    /// program-wide (`None`), so reports and plans read goals the same way.
    pub fn target(
        &self,
        kpi: &crate::metrics::KpiId,
        touchpoint: Option<&str>,
    ) -> Option<crate::metrics::Goal> {
        use crate::metrics::Goal;
        self.file
            .targets
            .iter()
            .find(|t| *t.kpi == *kpi && t.touchpoint.as_deref().map(String::as_str) == touchpoint)
            .and_then(|t| match (&t.at_least, &t.at_most) {
                (Some(v), _) => Some(Goal::AtLeast(**v)),
                (None, Some(v)) => Some(Goal::AtMost(**v)),
                (None, None) => None,
            })
    }

    /// The version of survey `survey_id`'s questions that its responses are stored with.
    pub fn survey_version(&self, survey_id: &str) -> Option<Arc<SurveyVersion>> {
        self.versions
            .get_or_init(|| {
                self.file
                    .surveys
                    .iter()
                    .map(|survey| (survey.id.to_string(), Arc::new(SurveyVersion::of(survey))))
                    .collect()
            })
            .get(survey_id)
            .cloned()
    }

    /// The declared indicator `id`, so imports and reports read its kind and unit.
    pub fn indicator(&self, id: &str) -> Option<&model::Indicator> {
        self.file.indicators.iter().find(|i| *i.id == id)
    }
}

/// Reads, parses and checks one program file.
pub fn load(path: &Path, context: &CheckContext) -> Result<Program, Vec<Diagnostic>> {
    let bytes = read_capped(path).map_err(|diagnostic| vec![diagnostic])?;
    load_bytes(path, bytes, context)
}

/// Parses and checks a program's content read elsewhere (a previous version from git, for
/// `check --against`); `path` names it in diagnostics.
pub fn load_bytes(
    path: &Path,
    bytes: Vec<u8>,
    context: &CheckContext,
) -> Result<Program, Vec<Diagnostic>> {
    let source = load::decode(path, &bytes).map_err(|diagnostic| vec![diagnostic])?;
    let (file, mut unknown_keys) = load::parse(path, &source)?;
    let resolved = match validate::validate(path, &source, &file, context) {
        Ok(resolved) if unknown_keys.is_empty() => resolved,
        Ok(_) => return Err(unknown_keys),
        Err(problems) => {
            unknown_keys.extend(problems);
            unknown_keys.sort_by_key(|diagnostic| (diagnostic.line, diagnostic.column));
            return Err(unknown_keys);
        }
    };
    Ok(Program {
        path: path.to_path_buf(),
        sha256: hex(&Sha256::digest(&bytes)),
        file,
        resolved,
        versions: OnceLock::new(),
    })
}

/// Reads at most one byte more than the limit, so a huge file costs no memory.
fn read_capped(path: &Path) -> Result<Vec<u8>, Diagnostic> {
    use std::io::Read;
    if let Some(why) = load::not_a_regular_file(path) {
        return Err(
            Diagnostic::whole_file(path, format!("{} {why}", path.display()))
                .with_hint("give program files (*.yaml) or folders of them"),
        );
    }
    let file = std::fs::File::open(path)
        .map_err(|err| Diagnostic::whole_file(path, format!("cannot read file: {err}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| Diagnostic::whole_file(path, format!("cannot read file: {err}")))?;
    if bytes.len() > MAX_FILE_BYTES {
        let size = std::fs::metadata(path)
            .map(|m| m.len())
            .unwrap_or(bytes.len() as u64);
        return Err(Diagnostic::whole_file(
            path,
            format!(
                "file is {:.1} MiB; program files are limited to {} MiB",
                size as f64 / (1024.0 * 1024.0),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        )
        .with_hint("a program file is a few KiB; is this the right file?"));
    }
    Ok(bytes)
}

/// Lower-case hexadecimal of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Program files under `paths`: files as given, directories searched recursively for
/// `*.yaml` and `*.yml` (hidden entries skipped), sorted for stable output. Symbolic links
/// to folders are followed, but each folder is read once (by its resolved path), so a link
/// loop such as `programs/x -> .` ends the walk instead of repeating it forever.
pub fn discover(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut seen, &mut found)?;
        } else if path.exists() {
            found.push(path.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} does not exist", path.display()),
            ));
        }
    }
    Ok(found)
}

fn walk(
    dir: &Path,
    seen: &mut std::collections::HashSet<PathBuf>,
    found: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    if !seen.insert(std::fs::canonicalize(dir)?) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        let hidden = entry
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if entry.is_dir() {
            walk(&entry, seen, found)?;
        } else if entry
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e == "yaml" || e == "yml")
        {
            found.push(entry);
        }
    }
    Ok(())
}
