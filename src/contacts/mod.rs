//! The contact directory: importing customer lists from CSV (`ecoute contacts import`),
//! listing them and forgetting a person (`ecoute contacts forget`). Parsing is pure
//! ([`parse`]); every write goes through the [`Store`].
//!
//! Import rules, in the order they apply to a row:
//! - the email is checked and normalised ([`normalise_email`]); a bad one rejects the row;
//! - a later row with an email already seen in the file is rejected as a duplicate (the
//!   first one is kept, and the report names both lines);
//! - a person erased with `forget` is skipped, never re-imported;
//! - a known email updates the contact: non-empty cells overwrite, empty cells keep the
//!   stored value, attributes are merged key by key.
//!
//! Rows are written in transactions of [`ImportOptions::batch_size`] rows, so a file of a
//! million rows never sits in memory. With `strict`, the file is read once to check every
//! row and written only if all of them are good.

mod email;
pub mod parse;
mod source;

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use encoding_rs::Encoding;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

pub use email::{EmailError, normalise_email};
pub use parse::{HeaderColumns, RowError, RowProblem};
pub use source::{SourcePathError, confined_source};

use crate::records::{ContactInput, ForgetReport, SuppressionReason, UpsertCounts};
use crate::store::{Store, StoreError};
use parse::{ContactRows, CountingReader, DecodeReader, Dialect};

/// Rejected rows kept in the summary; beyond that they are only counted.
pub const MAX_REPORTED_ERRORS: usize = 1_000;

/// How to read and write an import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Force an encoding (`--encoding`); `None` detects it.
    pub encoding: Option<&'static Encoding>,
    /// Force a delimiter (`--delimiter`); `None` detects it from the header line.
    pub delimiter: Option<u8>,
    /// Write nothing if any row is bad (`--strict`).
    pub strict: bool,
    /// Rows per transaction.
    pub batch_size: usize,
    /// Draw a progress bar on stderr (hidden when stderr is not a terminal).
    pub show_progress: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            encoding: None,
            delimiter: None,
            strict: false,
            batch_size: 5_000,
            show_progress: false,
        }
    }
}

/// What an import did, for the summary line and `--format json`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSummary {
    /// Encoding the file was read with (`UTF-8`, `windows-1252`…).
    pub encoding: &'static str,
    /// Delimiter the file was split on.
    pub delimiter: char,
    /// Data rows read (header excluded).
    pub rows: u64,
    /// New contacts.
    pub inserted: u64,
    /// Known contacts updated.
    pub updated: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Rows of erased people, skipped.
    pub skipped_erased: u64,
    /// The first [`MAX_REPORTED_ERRORS`] rejected rows, in file order.
    pub errors: Vec<RowError>,
}

/// Why a whole import failed (bad rows alone do not fail it unless `strict`).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Reading failed part-way.
    #[error("cannot read the file: {0}")]
    Read(#[source] io::Error),
    /// Nothing (or only blanks) in the file.
    #[error(
        "the file is empty: expected a header line with an `email` column, then one contact per line"
    )]
    Empty,
    /// The header line could not be read.
    #[error("cannot read the header line: {0}")]
    Header(#[source] csv::Error),
    /// The header has no `email` column.
    #[error(
        "no `email` column in the header ({found}); name the column of addresses `email`, \
         or pass --delimiter if the separator is wrong"
    )]
    NoEmailColumn {
        /// The header's columns, as far as they may be shown.
        found: HeaderColumns,
    },
    /// Two columns with the same name.
    #[error("the column `{name}` appears twice in the header (columns {first} and {second})")]
    DuplicateColumn {
        /// Its name, as far as it may be shown.
        name: String,
        /// First position, from 1.
        first: usize,
        /// Second position.
        second: usize,
    },
    /// A line is not UTF-8 although another one is: two encodings in one file.
    #[error(
        "{}the file mixes two encodings (often rows pasted from another export), so it cannot \
         be read without garbling one of them; re-save it as UTF-8 after fixing line {line}, or \
         pass --encoding utf-8 or --encoding windows-1252 to read every line one way",
        mixed_lines(*line, *utf8_line)
    )]
    MixedEncodings {
        /// The first line that is not UTF-8.
        line: u64,
        /// The first line with UTF-8 accents.
        utf8_line: u64,
    },
    /// A byte that neither UTF-8 nor Windows-1252 reads as a character.
    #[error(
        "line {line} holds the byte 0x{byte:02X}, which is neither UTF-8 nor Windows-1252 text; \
         re-save the file as UTF-8 CSV, or pass --encoding with its real encoding"
    )]
    NotText {
        /// Its line.
        line: u64,
        /// The byte.
        byte: u8,
    },
    /// A NUL byte: a binary file, or UTF-16 without a byte-order mark.
    #[error(
        "line {line} holds a NUL byte: this is not a text CSV file (UTF-16 without a \
         byte-order mark? then pass --encoding utf-16le)"
    )]
    NulByte {
        /// Its line.
        line: u64,
    },
    /// `--encoding` names no known encoding.
    #[error(
        "unknown encoding `{0}`: try utf-8, windows-1252 (also for latin1), iso-8859-15 or utf-16le"
    )]
    UnknownEncoding(String),
    /// `--delimiter` is not one character.
    #[error("invalid delimiter `{0}`: give one character such as `,` or `;`, or `tab`")]
    BadDelimiter(String),
    /// `strict` and some rows are bad: nothing was written.
    #[error(
        "{} of {} rows are invalid, so nothing was imported (strict mode); first: {}",
        .0.rejected, .0.rows, .0.errors.first().map(ToString::to_string).unwrap_or_default()
    )]
    Strict(Box<ImportSummary>),
    /// The store failed; the batches committed before stay committed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The email given to `forget` is not an address.
    #[error("`{email}` is not a valid email: {error}")]
    InvalidEmail {
        /// What was given.
        email: String,
        /// Why.
        error: EmailError,
    },
}

/// The start of [`ImportError::MixedEncodings`]'s message.
fn mixed_lines(line: u64, utf8_line: u64) -> String {
    if line == utf8_line {
        format!("line {line} has both UTF-8 text and bytes that are not UTF-8: ")
    } else {
        format!("line {line} is not valid UTF-8, but line {utf8_line} is UTF-8 text: ")
    }
}

/// Imports the CSV file at `path` into the store.
pub async fn import_file(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let file = File::open(path).map_err(|source| ImportError::Open {
        path: path.to_owned(),
        source,
    })?;
    import(store, BufReader::new(file), options).await
}

/// Imports CSV from any seekable input (read once more when detecting the encoding or in
/// strict mode). The file is parsed on a blocking thread while the previous batch is being
/// written, so reading and writing overlap.
pub async fn import<R: Read + Seek + Send + 'static>(
    store: &Store,
    mut input: R,
    options: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let dialect = parse::sniff(&mut input, options.encoding, options.delimiter)?;
    let total = input.seek(SeekFrom::End(0)).map_err(ImportError::Read)?;
    let erased: Arc<HashSet<String>> = Arc::new(
        store
            .list_suppressions()
            .await?
            .into_iter()
            .filter(|s| s.reason == SuppressionReason::Erased)
            .map(|s| s.email)
            .collect(),
    );
    if options.strict {
        input.seek(SeekFrom::Start(0)).map_err(ImportError::Read)?;
        let (checked, returned) = run(None, input, dialect, &erased, options, total).await?;
        if checked.rejected > 0 {
            return Err(ImportError::Strict(Box::new(checked)));
        }
        input = returned;
    }
    input.seek(SeekFrom::Start(0)).map_err(ImportError::Read)?;
    let (summary, _) = run(Some(store), input, dialect, &erased, options, total).await?;
    Ok(summary)
}

/// Good rows handed from the parser to the writer, with how far into the file they end.
struct Batch {
    contacts: Vec<ContactInput>,
    bytes: u64,
}

/// One pass over the file; writes in batches when given a store, only checks otherwise.
/// Gives the input back for a second pass.
async fn run<R: Read + Send + 'static>(
    store: Option<&Store>,
    input: R,
    dialect: Dialect,
    erased: &Arc<HashSet<String>>,
    options: &ImportOptions,
    total: u64,
) -> Result<(ImportSummary, R), ImportError> {
    let bar = progress_bar(
        options.show_progress && store.is_some(),
        total,
        "{spinner} importing contacts [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    );
    let batch_size = options.batch_size.max(1);
    let (sender, mut receiver) = mpsc::channel::<Batch>(2);
    let erased = Arc::clone(erased);
    let parser = tokio::task::spawn_blocking(move || {
        parse_all(input, dialect, &erased, batch_size, &sender)
    });
    let mut written = UpsertCounts::default();
    let mut failure = None;
    while let Some(batch) = receiver.recv().await {
        if let Some(store) = store {
            match store.upsert_contacts(&batch.contacts).await {
                Ok(counts) => {
                    written.inserted += counts.inserted;
                    written.updated += counts.updated;
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        bar.set_position(batch.bytes);
    }
    // Dropping the receiver stops the parser at its next batch if writing failed.
    drop(receiver);
    let parsed = parser
        .await
        .map_err(|e| ImportError::Read(io::Error::other(e)))?;
    bar.finish_and_clear();
    if let Some(e) = failure {
        return Err(e.into());
    }
    let (mut summary, input) = parsed?;
    summary.inserted = written.inserted;
    summary.updated = written.updated;
    Ok((summary, input))
}

/// The parser's side of [`run`]: reads every row, sends good ones in batches, counts the rest.
fn parse_all<R: Read>(
    input: R,
    dialect: Dialect,
    erased: &HashSet<String>,
    batch_size: usize,
    sender: &mpsc::Sender<Batch>,
) -> Result<(ImportSummary, R), ImportError> {
    let decoded = DecodeReader::new(CountingReader::new(input), dialect.encoding);
    let mut rows = ContactRows::new(decoded, dialect.delimiter)?;
    let mut summary = ImportSummary {
        encoding: dialect.encoding.name(),
        delimiter: char::from(dialect.delimiter),
        rows: 0,
        inserted: 0,
        updated: 0,
        rejected: 0,
        skipped_erased: 0,
        errors: Vec::new(),
    };
    let mut contacts: Vec<ContactInput> = Vec::with_capacity(batch_size);
    let mut finished = false;
    while !finished {
        let row = rows.next_row();
        finished = row.is_none();
        match row {
            None => {}
            Some(Ok(contact)) if erased.contains(&contact.email) => {
                summary.rows += 1;
                summary.skipped_erased += 1;
            }
            Some(Ok(contact)) => {
                summary.rows += 1;
                contacts.push(contact);
            }
            Some(Err(e)) => {
                summary.rows += 1;
                summary.rejected += 1;
                if summary.errors.len() < MAX_REPORTED_ERRORS {
                    summary.errors.push(e);
                }
            }
        }
        if contacts.len() >= batch_size || (finished && !contacts.is_empty()) {
            let batch = Batch {
                contacts: std::mem::replace(&mut contacts, Vec::with_capacity(batch_size)),
                bytes: rows.get_ref().get_ref().bytes,
            };
            if sender.blocking_send(batch).is_err() {
                break;
            }
        }
    }
    Ok((summary, rows.into_inner().into_inner().into_inner()))
}

/// The progress bar of a long import (hidden when `show` is false, and by indicatif when
/// stderr is not a terminal), drawn with `template` up to `total`.
pub(crate) fn progress_bar(show: bool, total: u64, template: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Erases a person everywhere (see [`Store::forget`]) after checking and normalising the
/// email as typed by the operator.
pub async fn forget(store: &Store, email: &str) -> Result<ForgetReport, ImportError> {
    let normalised = normalise_email(email).map_err(|error| ImportError::InvalidEmail {
        email: email.to_owned(),
        error,
    })?;
    Ok(store.forget(&normalised).await?)
}
