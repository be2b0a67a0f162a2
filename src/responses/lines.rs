//! Line numbers of CSV records as a person counts them in an editor.
//!
//! The csv crate places a record where the reader resumed after the previous one, so the
//! `\n` of a CRLF terminator or a skipped blank line shifts every later record one line
//! early. [`Lines`] watches the bytes the reader reads and knows where each non-blank line
//! starts.

use std::collections::VecDeque;
use std::io::{self, Read};

/// A reader that remembers where non-blank lines start.
pub struct Lines<R> {
    inner: R,
    offset: u64,
    line: u64,
    at_line_start: bool,
    starts: VecDeque<(u64, u64)>,
}

impl<R> Lines<R> {
    /// Wraps `inner`, whose first byte is on line 1.
    pub fn new(inner: R) -> Self {
        Lines {
            inner,
            offset: 0,
            line: 1,
            at_line_start: true,
            starts: VecDeque::new(),
        }
    }

    /// The line of the first non-blank line starting at or after byte `from`, the position
    /// csv gives a record; lines before it are forgotten, as records come in order.
    pub fn line_at(&mut self, from: u64) -> Option<u64> {
        while self
            .starts
            .front()
            .is_some_and(|&(offset, _)| offset < from)
        {
            self.starts.pop_front();
        }
        self.starts.front().map(|&(_, line)| line)
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &byte in buf.iter().take(n) {
            if self.at_line_start && byte != b'\n' && byte != b'\r' {
                self.starts.push_back((self.offset, self.line));
            }
            self.at_line_start = byte == b'\n';
            if byte == b'\n' {
                self.line += 1;
            }
            self.offset += 1;
        }
        Ok(n)
    }
}
