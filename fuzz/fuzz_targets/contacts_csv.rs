//! Raw bytes through the contact CSV reader exactly as `ecoute contacts import` chains it
//! (sniffing the encoding and delimiter, decoding, then row by row), with the detected
//! dialect and with each forced `--delimiter`: every row must come back as a contact or a
//! line-numbered problem, never a panic.
#![no_main]

use std::io::{Cursor, Seek, SeekFrom};

use ecoute::contacts::parse::{ContactRows, CountingReader, DecodeReader, sniff};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let forced = match choice % 4 {
        0 => None,
        1 => Some(b','),
        2 => Some(b';'),
        _ => Some(b'\t'),
    };
    let mut input = Cursor::new(bytes);
    let Ok(dialect) = sniff(&mut input, None, forced) else {
        return;
    };
    if input.seek(SeekFrom::Start(0)).is_err() {
        return;
    }
    let decoded = DecodeReader::new(CountingReader::new(input), dialect.encoding);
    let Ok(mut rows) = ContactRows::new(decoded, dialect.delimiter) else {
        return;
    };
    while let Some(row) = rows.next_row() {
        if let Err(problem) = row {
            let _ = problem.to_string();
        }
    }
});
