//! Reading contact CSV files as people really export them: any of UTF-8 (with or without
//! BOM), UTF-16 with BOM or Windows-1252, `,` `;` or tab separated, quoted fields spanning
//! lines. Pure: bytes in, [`ContactInput`]s or line-numbered problems out, one row at a time.

use std::collections::HashMap;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, Read, Seek, SeekFrom};

use encoding_rs::{Decoder, Encoding, UTF_8, WINDOWS_1252};
use serde_json::{Number, Value};

use super::ImportError;
use super::email::{EmailError, normalise_email};
use crate::records::{Attributes, ContactInput};

/// Bytes read at a time while sniffing and decoding.
const CHUNK: usize = 64 * 1024;

/// Longest email cell, in bytes (RFC 5321's 64 + 1 + 255; a valid address is at most 254).
pub const MAX_EMAIL_BYTES: usize = 320;
/// Longest `first_name`, `last_name` or `locale`, in bytes.
pub const MAX_NAME_BYTES: usize = 1024;
/// Longest attribute value, in bytes.
pub const MAX_ATTRIBUTE_BYTES: usize = 4 * 1024;
/// Longest row (all its cells together), in bytes: a contact lands in every invitation's
/// snapshot and email, so a 50 MB cell must not reach them.
pub const MAX_ROW_BYTES: usize = 64 * 1024;

/// The shape of a file, guessed from its bytes or given by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// Character encoding of the file.
    pub encoding: &'static Encoding,
    /// Field separator.
    pub delimiter: u8,
}

/// Resolves an `--encoding` value (`utf-8`, `latin1`, `windows-1252`, `utf-16le`…).
pub fn encoding_from_label(label: &str) -> Result<&'static Encoding, ImportError> {
    Encoding::for_label(label.trim().as_bytes())
        .ok_or_else(|| ImportError::UnknownEncoding(label.to_owned()))
}

/// Resolves a `--delimiter` value: `,`, `;`, `|`, or `tab` / `\t`.
pub fn delimiter_from_arg(arg: &str) -> Result<u8, ImportError> {
    match arg {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        s if s.len() == 1 && s.is_ascii() && s != "\"" => Ok(s.as_bytes()[0]),
        _ => Err(ImportError::BadDelimiter(arg.to_owned())),
    }
}

/// Said when a file was read as Windows-1252 because it is not UTF-8 (after the file name).
pub const LEGACY_ENCODING_NOTE: &str = "is not UTF-8: read as Windows-1252 (Excel's Western \
    European encoding, which includes Latin-1); pass --encoding if that is wrong";

/// Guesses what was not given: the encoding (a BOM decides; else UTF-8 when the whole file
/// is valid UTF-8, Windows-1252 when no line is UTF-8 and every byte is a Windows-1252
/// character; a file mixing both, or holding a NUL byte, is refused with the first offending
/// line, see [`EncodingScan`]) and the delimiter (the most frequent of `,` `;` tab in the
/// header line outside quotes, `,` when none). Reads the whole input once when the encoding
/// must be guessed, then rewinds it.
pub fn sniff<R: Read + Seek>(
    input: &mut R,
    encoding: Option<&'static Encoding>,
    delimiter: Option<u8>,
) -> Result<Dialect, ImportError> {
    let mut head = Vec::with_capacity(CHUNK);
    input
        .by_ref()
        .take(CHUNK as u64)
        .read_to_end(&mut head)
        .map_err(ImportError::Read)?;
    let encoding = match encoding {
        Some(e) => e,
        None => match Encoding::for_bom(&head) {
            Some((e, _)) => e,
            None => {
                input.seek(SeekFrom::Start(0)).map_err(ImportError::Read)?;
                EncodingScan::of(input)?.verdict()?
            }
        },
    };
    input.seek(SeekFrom::Start(0)).map_err(ImportError::Read)?;
    let (text, _) = encoding.decode_with_bom_removal(&head);
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    let delimiter = delimiter.unwrap_or_else(|| guess_delimiter(&text));
    Ok(Dialect {
        encoding,
        delimiter,
    })
}

/// Bytes that Windows-1252 leaves without a character.
const UNMAPPED_IN_1252: [u8; 5] = [0x81, 0x8d, 0x8f, 0x90, 0x9d];

/// One pass over a file without a BOM, line by line, to choose between UTF-8 and
/// Windows-1252 without guessing wrong silently: a line with valid multi-byte UTF-8 proves the
/// file is UTF-8, so a line that is not UTF-8 in such a file (one row pasted from a Latin-1
/// export) is an error, not a reason to read all 20,000 rows as mojibake.
#[derive(Debug, Default)]
struct EncodingScan {
    /// The line being read, from 1.
    line: u64,
    /// Continuation bytes the current UTF-8 sequence still needs.
    pending: u8,
    /// The range the next continuation byte must fall in (tighter after some lead bytes).
    next: (u8, u8),
    /// The current line has a byte that is not UTF-8.
    line_invalid: bool,
    /// The current line has a whole multi-byte UTF-8 character.
    line_utf8: bool,
    first_invalid: Option<u64>,
    first_utf8: Option<u64>,
    first_unmapped: Option<(u64, u8)>,
    first_nul: Option<u64>,
}

impl EncodingScan {
    /// Scans `input` to its end, 64 KiB at a time.
    fn of<R: Read>(input: &mut R) -> Result<Self, ImportError> {
        let mut scan = EncodingScan {
            line: 1,
            ..EncodingScan::default()
        };
        let mut buf = vec![0; CHUNK];
        loop {
            let n = input.read(&mut buf).map_err(ImportError::Read)?;
            if n == 0 {
                break;
            }
            buf[..n].iter().for_each(|&b| scan.byte(b));
        }
        scan.end_line();
        Ok(scan)
    }

    fn byte(&mut self, b: u8) {
        if self.pending > 0 {
            let (low, high) = std::mem::replace(&mut self.next, (0x80, 0xbf));
            if (low..=high).contains(&b) {
                self.pending -= 1;
                self.line_utf8 |= self.pending == 0;
                return;
            }
            self.pending = 0;
            self.line_invalid = true;
        }
        let (pending, next) = match b {
            b'\n' => {
                self.end_line();
                self.line += 1;
                return;
            }
            0 => {
                self.first_nul.get_or_insert(self.line);
                return;
            }
            0x01..=0x7f => return,
            // C2 80–9F would be C1 control characters: never text, so no proof of UTF-8.
            0xc2 => (1, (0xa0, 0xbf)),
            0xc3..=0xdf => (1, (0x80, 0xbf)),
            0xe0 => (2, (0xa0, 0xbf)),
            0xed => (2, (0x80, 0x9f)),
            0xe1..=0xef => (2, (0x80, 0xbf)),
            0xf0 => (3, (0x90, 0xbf)),
            0xf1..=0xf3 => (3, (0x80, 0xbf)),
            0xf4 => (3, (0x80, 0x8f)),
            _ => {
                self.line_invalid = true;
                if UNMAPPED_IN_1252.contains(&b) {
                    self.first_unmapped.get_or_insert((self.line, b));
                }
                return;
            }
        };
        self.pending = pending;
        self.next = next;
    }

    fn end_line(&mut self) {
        if self.pending > 0 {
            self.pending = 0;
            self.line_invalid = true;
        }
        if self.line_invalid {
            self.first_invalid.get_or_insert(self.line);
        }
        if self.line_utf8 {
            self.first_utf8.get_or_insert(self.line);
        }
        self.line_invalid = false;
        self.line_utf8 = false;
    }

    /// The encoding to read the file with, or why it cannot be chosen.
    fn verdict(&self) -> Result<&'static Encoding, ImportError> {
        if let Some(line) = self.first_nul {
            return Err(ImportError::NulByte { line });
        }
        let Some(line) = self.first_invalid else {
            return Ok(UTF_8);
        };
        if let Some(utf8_line) = self.first_utf8 {
            return Err(ImportError::MixedEncodings { line, utf8_line });
        }
        if let Some((line, byte)) = self.first_unmapped {
            return Err(ImportError::NotText { line, byte });
        }
        Ok(WINDOWS_1252)
    }
}

/// Counts the candidate delimiters in the first line, ignoring quoted text.
fn guess_delimiter(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            _ if !quoted => {
                for (d, n) in counts.iter_mut() {
                    if c == char::from(*d) {
                        *n += 1;
                    }
                }
            }
            _ => {}
        }
    }
    counts
        .iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(d, _)| *d)
}

/// Turns any supported encoding into a UTF-8 byte stream for the CSV reader.
pub struct DecodeReader<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    output: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: Read> DecodeReader<R> {
    /// Decodes `inner` from `encoding`, dropping a byte-order mark.
    pub fn new(inner: R, encoding: &'static Encoding) -> Self {
        DecodeReader {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            input: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            output: Vec::with_capacity(CHUNK * 3 + 16),
            pos: 0,
            done: false,
        }
    }

    /// The undecoded input, to see how far it got.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Gives the undecoded input back.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.output.len() {
                let n = buf.len().min(self.output.len() - self.pos);
                buf[..n].copy_from_slice(&self.output[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            if self.start == self.end && !self.eof {
                self.end = self.inner.read(&mut self.input)?;
                self.start = 0;
                self.eof = self.end == 0;
            }
            let pending = &self.input[self.start..self.end];
            let room = self
                .decoder
                .max_utf8_buffer_length(pending.len())
                .unwrap_or(CHUNK * 3)
                .max(16);
            self.output.resize(room, 0);
            let (_, read, written, _) =
                self.decoder
                    .decode_to_utf8(pending, &mut self.output, self.eof);
            self.output.truncate(written);
            self.pos = 0;
            self.start += read;
            self.done = self.eof && self.start == self.end;
        }
    }
}

/// Counts the bytes pulled from a reader, for the progress bar.
pub struct CountingReader<R> {
    inner: R,
    /// Bytes read so far.
    pub bytes: u64,
}

impl<R> CountingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        CountingReader { inner, bytes: 0 }
    }

    /// Gives the wrapped reader back.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// What is wrong with one data row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowProblem {
    /// The email cell is empty.
    MissingEmail,
    /// The email cell is not a usable address.
    InvalidEmail {
        /// The cell as written.
        email: String,
        /// Why.
        error: EmailError,
    },
    /// The same (normalised) email appeared on an earlier line, which was kept.
    Duplicate {
        /// The normalised email.
        email: String,
        /// The line that was kept.
        first_line: u64,
    },
    /// The row has more or fewer fields than the header.
    FieldCount {
        /// Fields on this row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// The CSV reader could not read the row.
    Malformed(String),
    /// A cell longer than its limit.
    TooLong {
        /// The column.
        field: String,
        /// Its length in bytes.
        bytes: usize,
        /// The limit for that column.
        limit: usize,
    },
    /// All the cells together are longer than [`MAX_ROW_BYTES`].
    RowTooLong {
        /// The row's length in bytes.
        bytes: usize,
    },
}

/// A rejected row: its line number in the file (1 is the header) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// Line where the row starts.
    pub line: u64,
    /// What is wrong.
    pub problem: RowProblem,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.problem {
            RowProblem::MissingEmail => write!(f, "the email is empty"),
            RowProblem::InvalidEmail { email, error } => {
                write!(f, "invalid email `{email}`: {error}")
            }
            RowProblem::Duplicate { email, first_line } => write!(
                f,
                "duplicate email `{email}`, already on line {first_line} (that line was kept)"
            ),
            RowProblem::FieldCount { found, expected } => write!(
                f,
                "{found} fields, but the header has {expected} (a missing or extra separator?)"
            ),
            RowProblem::Malformed(message) => write!(f, "unreadable row: {message}"),
            RowProblem::TooLong {
                field,
                bytes,
                limit,
            } => write!(
                f,
                "`{field}` is {bytes} bytes long; the limit is {limit} (see README, Limits on \
                 contact fields)"
            ),
            RowProblem::RowTooLong { bytes } => write!(
                f,
                "the row is {bytes} bytes long; the limit is {MAX_ROW_BYTES} (64 KiB) for all \
                 its cells together"
            ),
        }
    }
}

/// What each header column means.
#[derive(Debug, Clone, PartialEq)]
enum Column {
    Email,
    FirstName,
    LastName,
    Locale,
    Attribute(String),
    Ignored,
}

/// Reads contact rows one at a time from a decoded CSV stream.
pub struct ContactRows<R> {
    reader: csv::Reader<R>,
    columns: Vec<Column>,
    record: csv::StringRecord,
    decimal_comma: bool,
    seen: HashMap<u128, u64>,
    check_duplicates: bool,
}

impl<R: Read> ContactRows<R> {
    /// Reads and checks the header. `input` must already be UTF-8 (see [`DecodeReader`]).
    pub fn new(input: R, delimiter: u8) -> Result<Self, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        let headers = reader.headers().map_err(ImportError::Header)?.clone();
        let columns = columns(&headers, delimiter)?;
        Ok(ContactRows {
            reader,
            columns,
            record: csv::StringRecord::new(),
            decimal_comma: delimiter != b',',
            seen: HashMap::new(),
            check_duplicates: true,
        })
    }

    /// Skips the duplicate-email check, whose memory grows with the file: planning streams
    /// sources of millions of rows, and the sampler refuses a duplicate that is drawn.
    pub fn without_duplicate_check(mut self) -> Self {
        self.check_duplicates = false;
        self.seen = HashMap::new();
        self
    }

    /// The underlying reader, to see how far it got.
    pub fn get_ref(&self) -> &R {
        self.reader.get_ref()
    }

    /// Gives the underlying reader back.
    pub fn into_inner(self) -> R {
        self.reader.into_inner()
    }

    /// The next row: `None` at the end, else a contact or the reason it was rejected.
    pub fn next_row(&mut self) -> Option<Result<ContactInput, RowError>> {
        let result = self.reader.read_record(&mut self.record);
        let line = self.record.position().map_or(0, |p| p.line());
        match result {
            Ok(false) => None,
            Ok(true) => Some(
                self.contact(line)
                    .map_err(|problem| RowError { line, problem }),
            ),
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                Some(Err(RowError {
                    line,
                    problem: RowProblem::Malformed(e.to_string()),
                }))
            }
        }
    }

    fn contact(&mut self, line: u64) -> Result<ContactInput, RowProblem> {
        if self.record.len() != self.columns.len() {
            return Err(RowProblem::FieldCount {
                found: self.record.len(),
                expected: self.columns.len(),
            });
        }
        let mut contact = ContactInput {
            email: String::new(),
            first_name: None,
            last_name: None,
            locale: None,
            attributes: Attributes::new(),
        };
        for (column, cell) in self.columns.iter().zip(self.record.iter()) {
            let cell = cell.trim();
            check_length(column, cell)?;
            let text = || (!cell.is_empty()).then(|| cell.to_owned());
            match column {
                Column::Email => contact.email = cell.to_owned(),
                Column::FirstName => contact.first_name = text(),
                Column::LastName => contact.last_name = text(),
                Column::Locale => contact.locale = text(),
                Column::Attribute(name) => {
                    if let Some(value) = typed_value(cell, self.decimal_comma) {
                        contact.attributes.insert(name.clone(), value);
                    }
                }
                Column::Ignored => {}
            }
        }
        let bytes = self.record.as_slice().len();
        if bytes > MAX_ROW_BYTES {
            return Err(RowProblem::RowTooLong { bytes });
        }
        if contact.email.is_empty() {
            return Err(RowProblem::MissingEmail);
        }
        contact.email =
            normalise_email(&contact.email).map_err(|error| RowProblem::InvalidEmail {
                email: contact.email.clone(),
                error,
            })?;
        if !self.check_duplicates {
            return Ok(contact);
        }
        if let Some(&first_line) = self.seen.get(&fingerprint(&contact.email)) {
            return Err(RowProblem::Duplicate {
                email: contact.email,
                first_line,
            });
        }
        self.seen.insert(fingerprint(&contact.email), line);
        Ok(contact)
    }
}

/// Refuses a cell longer than its column's limit.
fn check_length(column: &Column, cell: &str) -> Result<(), RowProblem> {
    let (field, limit) = match column {
        Column::Email => ("email", MAX_EMAIL_BYTES),
        Column::FirstName => ("first_name", MAX_NAME_BYTES),
        Column::LastName => ("last_name", MAX_NAME_BYTES),
        Column::Locale => ("locale", MAX_NAME_BYTES),
        Column::Attribute(name) => (name.as_str(), MAX_ATTRIBUTE_BYTES),
        Column::Ignored => return Ok(()),
    };
    if cell.len() > limit {
        return Err(RowProblem::TooLong {
            field: field.to_owned(),
            bytes: cell.len(),
            limit,
        });
    }
    Ok(())
}

/// Maps header names to meanings; `email` is required, names compare case-insensitively.
/// The attribute names a contact file declares in its header (every column but `email`,
/// `first_name`, `last_name` and `locale`), so `check` can verify the names a program uses.
pub fn attribute_columns(path: &std::path::Path) -> Result<Vec<String>, ImportError> {
    let mut file = std::fs::File::open(path).map_err(|source| ImportError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let dialect = sniff(&mut file, None, None)?;
    let rows = ContactRows::new(DecodeReader::new(file, dialect.encoding), dialect.delimiter)?;
    Ok(rows
        .columns
        .into_iter()
        .filter_map(|column| match column {
            Column::Attribute(name) => Some(name),
            _ => None,
        })
        .collect())
}

fn columns(headers: &csv::StringRecord, delimiter: u8) -> Result<Vec<Column>, ImportError> {
    let mut columns = Vec::with_capacity(headers.len());
    let mut positions: HashMap<String, usize> = HashMap::new();
    for (index, raw) in headers.iter().enumerate() {
        let name = header_name(raw);
        let key = name.to_lowercase();
        if !name.is_empty()
            && let Some(first) = positions.insert(key.clone(), index + 1)
        {
            return Err(ImportError::DuplicateColumn {
                name: shown_name(name),
                first,
                second: index + 1,
            });
        }
        columns.push(match key.as_str() {
            "" => Column::Ignored,
            "email" => Column::Email,
            "first_name" => Column::FirstName,
            "last_name" => Column::LastName,
            "locale" => Column::Locale,
            _ => Column::Attribute(name.to_owned()),
        });
    }
    if !columns.contains(&Column::Email) {
        return Err(ImportError::NoEmailColumn {
            found: HeaderColumns::of(headers, delimiter),
        });
    }
    Ok(columns)
}

/// Column names listed in an error at most.
const MAX_SHOWN_COLUMNS: usize = 30;
/// Longest column name an error shows, in bytes.
const MAX_SHOWN_NAME: usize = 64;

/// A header's columns as an error may show them: the names when every one looks like a
/// column name (short, letters, digits, spaces and a little punctuation), else only how many
/// there are. A file that is not a CSV (`/proc/self/environ`, `/etc/passwd`, a binary) is
/// then never printed, yet a real header's names still help fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderColumns {
    names: Option<Vec<String>>,
    count: usize,
    delimiter: char,
}

impl HeaderColumns {
    /// The columns of `headers`, read with `delimiter`.
    pub fn of(headers: &csv::StringRecord, delimiter: u8) -> Self {
        let names: Vec<&str> = headers.iter().map(header_name).collect();
        HeaderColumns {
            names: names.iter().all(|n| plausible_name(n)).then(|| {
                names
                    .iter()
                    .take(MAX_SHOWN_COLUMNS)
                    .map(|n| (*n).to_owned())
                    .collect()
            }),
            count: names.len(),
            delimiter: char::from(delimiter),
        }
    }
}

impl fmt::Display for HeaderColumns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.delimiter;
        match &self.names {
            Some(names) => {
                write!(
                    f,
                    "columns read with `{d}` as separator: {}",
                    names.join(", ")
                )?;
                if self.count > names.len() {
                    write!(f, " and {} more", self.count - names.len())?;
                }
                Ok(())
            }
            None => write!(
                f,
                "its first line, read with `{d}` as separator, does not look like column names, \
                 so it is not shown: is this a CSV file?"
            ),
        }
    }
}

/// A header cell without spaces around it or a byte-order mark.
fn header_name(raw: &str) -> &str {
    raw.trim().trim_start_matches('\u{feff}').trim()
}

/// Whether a header cell looks like a column name an error may repeat.
fn plausible_name(name: &str) -> bool {
    name.len() <= MAX_SHOWN_NAME
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || " _-.'()#%&+/°?!*".contains(c))
}

/// A column name as an error may show it (see [`HeaderColumns`]).
pub fn shown_name(name: &str) -> String {
    let name = header_name(name);
    if plausible_name(name) {
        name.to_owned()
    } else {
        "(a name that does not look like one, not shown)".to_owned()
    }
}

/// A 128-bit digest of an email, so duplicate detection over a million rows keeps 16 bytes
/// per row instead of the addresses.
fn fingerprint(email: &str) -> u128 {
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        salt.hash(&mut h);
        email.hash(&mut h);
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

/// Types an attribute cell where it is obvious: integers (no leading zero, so postal codes
/// and phone numbers stay text), decimals (with `.`, or `,` in `;`/tab files as French Excel
/// writes them), booleans (`true/false/yes/no/oui/non`); everything else, ISO dates
/// included, stays text. An empty cell gives no attribute.
pub fn typed_value(cell: &str, decimal_comma: bool) -> Option<Value> {
    let cell = cell.trim();
    if cell.is_empty() {
        return None;
    }
    match cell.to_lowercase().as_str() {
        "true" | "yes" | "oui" => return Some(Value::Bool(true)),
        "false" | "no" | "non" => return Some(Value::Bool(false)),
        _ => {}
    }
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    let plain_int = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    if plain_int(digits)
        && let Ok(n) = cell.parse::<i64>()
    {
        return Some(Value::Number(n.into()));
    }
    let separator = if decimal_comma {
        &['.', ','][..]
    } else {
        &['.'][..]
    };
    if let Some((whole, fraction)) = digits.split_once(separator)
        && plain_int(whole)
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && let Ok(x) = cell.replacen(',', ".", 1).parse::<f64>()
        && let Some(n) = Number::from_f64(x)
    {
        return Some(Value::Number(n));
    }
    Some(Value::String(cell.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Cursor;

    fn rows(bytes: &[u8]) -> Vec<Result<ContactInput, RowError>> {
        let mut input = Cursor::new(bytes.to_vec());
        let dialect = sniff(&mut input, None, None).expect("sniff");
        let mut rows = ContactRows::new(
            DecodeReader::new(input, dialect.encoding),
            dialect.delimiter,
        )
        .expect("header");
        std::iter::from_fn(|| rows.next_row()).collect()
    }

    #[test]
    fn typed_values() {
        assert_eq!(typed_value("42", false), Some(json!(42)));
        assert_eq!(typed_value("-7", false), Some(json!(-7)));
        assert_eq!(typed_value("075001", false), Some(json!("075001")));
        assert_eq!(typed_value("0", false), Some(json!(0)));
        assert_eq!(typed_value("12.50", false), Some(json!(12.5)));
        assert_eq!(typed_value("12,50", false), Some(json!("12,50")));
        assert_eq!(typed_value("12,50", true), Some(json!(12.5)));
        assert_eq!(typed_value("Oui", false), Some(json!(true)));
        assert_eq!(typed_value("false", false), Some(json!(false)));
        assert_eq!(typed_value("2026-03-01", false), Some(json!("2026-03-01")));
        assert_eq!(
            typed_value("+33612345678", false),
            Some(json!("+33612345678"))
        );
        assert_eq!(typed_value("  ", false), None);
        assert_eq!(
            typed_value("99999999999999999999", false),
            Some(json!("99999999999999999999"))
        );
    }

    #[test]
    fn headers_are_shown_only_when_they_look_like_column_names() {
        let shown = |line: &str, d: u8| {
            let record = csv::StringRecord::from(line.split(char::from(d)).collect::<Vec<_>>());
            HeaderColumns::of(&record, d).to_string()
        };
        assert_eq!(
            shown("\u{feff}nom;prénom;N° client", b';'),
            "columns read with `;` as separator: nom, prénom, N° client"
        );
        for secret in [
            "root:x:0:0:root:/root:/bin/bash",
            "SECRET=abc\0PATH=/usr/bin",
            &"a".repeat(65),
        ] {
            let text = shown(secret, b',');
            assert!(text.contains("not shown"), "{text}");
            assert!(!text.contains("root") && !text.contains("abc"), "{text}");
        }
        assert_eq!(
            shown_name("x=1"),
            "(a name that does not look like one, not shown)"
        );
    }

    fn verdict(bytes: &[u8]) -> Result<&'static str, String> {
        EncodingScan::of(&mut Cursor::new(bytes.to_vec()))
            .and_then(|scan| scan.verdict())
            .map(|e| e.name())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn one_encoding_per_file_or_an_error_naming_the_line() {
        assert_eq!(verdict("email\nléa@x.fr\n".as_bytes()), Ok("UTF-8"));
        assert_eq!(verdict(b"email\nl\xe9a@x.fr\n"), Ok("windows-1252"));
        assert_eq!(verdict(b"plain ascii"), Ok("UTF-8"));
        // One Latin-1 row in a UTF-8 file, and the reverse.
        let mixed = verdict(&["a\nLéa\nZoé\n".as_bytes(), b"L\xe9a\n"].concat());
        assert!(
            mixed.as_ref().is_err_and(
                |m| m.starts_with("line 4 is not valid UTF-8, but line 2 is UTF-8 text")
            ),
            "{mixed:?}"
        );
        let reverse = verdict(b"a\nL\xe9a\nL\xc3\xa9a\n");
        assert!(
            reverse
                .as_ref()
                .is_err_and(|m| m.starts_with("line 2 is not valid UTF-8, but line 3")),
            "{reverse:?}"
        );
        // A byte Windows-1252 has no character for, and a NUL.
        assert!(
            verdict(b"a\nb\nc\x81\n").is_err_and(|m| m.starts_with("line 3 holds the byte 0x81"))
        );
        assert!(verdict(b"a\nb\x00c\n").is_err_and(|m| m.starts_with("line 2 holds a NUL byte")));
        // A sequence cut by the end of the file, or by a line end.
        assert_eq!(verdict(b"a\xc3"), Ok("windows-1252"));
        assert_eq!(verdict(b"a\xe2\x82\nb"), Ok("windows-1252"));
        // Overlong and surrogate forms are not UTF-8.
        assert_eq!(verdict(b"\xe0\x80\xaf\xed\xa0\x80"), Ok("windows-1252"));
    }

    #[test]
    fn delimiter_is_the_most_frequent_outside_quotes() {
        assert_eq!(guess_delimiter("email;nom;\"a,b,c,d\"\n"), b';');
        assert_eq!(guess_delimiter("email,nom\n"), b',');
        assert_eq!(guess_delimiter("email\tnom\tville\n"), b'\t');
        assert_eq!(guess_delimiter("email\n"), b',');
    }

    #[test]
    fn reads_a_latin1_semicolon_file() {
        let parsed =
            rows(b"email;first_name;ville\r\nh\xe9l\xe8ne@x.fr;H\xe9l\xe8ne;Besan\xe7on\r\n");
        let expected = ContactInput {
            email: "hélène@x.fr".to_owned(),
            first_name: Some("Hélène".to_owned()),
            last_name: None,
            locale: None,
            attributes: json!({"ville": "Besançon"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        };
        assert_eq!(parsed, vec![Ok(expected)]);
    }

    #[test]
    fn reads_utf16_with_bom() {
        let text = "email\tfirst_name\r\nzoé@x.fr\tZoé\r\n";
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let parsed = rows(&bytes);
        assert_eq!(parsed.len(), 1);
        assert_eq!(
            parsed[0].as_ref().ok().and_then(|c| c.first_name.clone()),
            Some("Zoé".to_owned())
        );
    }

    #[test]
    fn decoder_handles_characters_split_across_chunks() {
        let mut text = String::from("email,first_name\n");
        while text.len() < CHUNK * 3 {
            text.push_str("a@b.fr,Ééééééééé\n");
        }
        let mut out = String::new();
        DecodeReader::new(Cursor::new(text.clone().into_bytes()), UTF_8)
            .read_to_string(&mut out)
            .ok();
        assert_eq!(out, text);
    }

    #[test]
    fn quoted_newlines_keep_line_numbers_right() {
        let parsed = rows(b"email,note\na@x.fr,\"one\ntwo\"\nbad,x\n");
        assert_eq!(
            parsed[0]
                .as_ref()
                .ok()
                .and_then(|c| c.attributes.get("note").cloned()),
            Some(json!("one\ntwo"))
        );
        assert_eq!(parsed[1].as_ref().err().map(|e| e.line), Some(4));
    }
}
