//! Cutting a byte stream into lines.
//!
//! A line ends at `\n` (a preceding `\r` is dropped). A line longer than the limit is an
//! error that ends the session: the peer is either broken or hostile, and reading on would
//! mean buffering without bound. A line that is not UTF-8 is reported and skipped; the
//! session goes on.

use bytes::{Buf, BytesMut};
use thiserror::Error;

/// The default longest line, in bytes, newline excluded.
pub const DEFAULT_MAX_LINE: usize = 1024;

/// Why a line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LineError {
    /// More than `max` bytes arrived without a newline. Fatal for the session.
    #[error("line too long (the limit is {max} bytes)")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// The line is not valid UTF-8. The line is skipped; the session goes on.
    #[error("line is not valid UTF-8")]
    NotUtf8,
}

impl LineError {
    /// Whether the session must end after this error.
    pub fn is_fatal(&self) -> bool {
        matches!(self, LineError::TooLong { .. })
    }
}

/// Finds lines in a growing buffer. Keeps only where it stopped searching, so a line
/// arriving a byte at a time costs linear, not quadratic, time.
#[derive(Debug, Clone)]
pub struct LineFramer {
    max: usize,
    /// Bytes of the buffer already searched for a newline.
    searched: usize,
}

impl LineFramer {
    /// A framer for lines of at most `max` bytes.
    pub fn new(max: usize) -> Self {
        LineFramer {
            max: max.max(1),
            searched: 0,
        }
    }

    /// The longest line accepted.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Takes the next complete line out of `buf`, if there is one.
    ///
    /// # Errors
    /// [`LineError::TooLong`] once more than `max` bytes wait without a newline (the buffer
    /// is then left as it is: the caller ends the session); [`LineError::NotUtf8`] for a
    /// complete line that is not UTF-8 (the line is consumed).
    pub fn next_line(&mut self, buf: &mut BytesMut) -> Result<Option<String>, LineError> {
        let window = &buf[self.searched..];
        match window.iter().position(|&b| b == b'\n') {
            Some(offset) => {
                let end = self.searched + offset;
                self.searched = 0;
                if end > self.max {
                    return Err(LineError::TooLong { max: self.max });
                }
                let line = buf.split_to(end);
                buf.advance(1);
                decode(&line).map(Some)
            }
            None if buf.len() > self.max => Err(LineError::TooLong { max: self.max }),
            None => {
                self.searched = buf.len();
                Ok(None)
            }
        }
    }

    /// At end of stream: whatever is left (a last line without a newline), if anything.
    ///
    /// # Errors
    /// As [`next_line`](Self::next_line).
    pub fn last_line(&mut self, buf: &mut BytesMut) -> Result<Option<String>, LineError> {
        if let Some(line) = self.next_line(buf)? {
            return Ok(Some(line));
        }
        self.searched = 0;
        if buf.is_empty() {
            return Ok(None);
        }
        let rest = buf.split();
        decode(&rest).map(Some)
    }
}

fn decode(line: &[u8]) -> Result<String, LineError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    std::str::from_utf8(line)
        .map(str::to_owned)
        .map_err(|_| LineError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lines(input: &[u8], max: usize) -> Vec<Result<String, LineError>> {
        let mut framer = LineFramer::new(max);
        let mut buf = BytesMut::from(input);
        let mut out = vec![];
        loop {
            match framer.next_line(&mut buf) {
                Ok(Some(line)) => out.push(Ok(line)),
                Ok(None) => break,
                Err(err) => {
                    let fatal = err.is_fatal();
                    out.push(Err(err));
                    if fatal {
                        return out;
                    }
                }
            }
        }
        if let Ok(Some(last)) = framer.last_line(&mut buf) {
            out.push(Ok(last));
        }
        out
    }

    #[test]
    fn splits_on_newlines_and_drops_carriage_returns() {
        assert_eq!(
            lines(b"7\r\n/help\n", 64),
            vec![Ok("7".into()), Ok("/help".into())]
        );
    }

    #[test]
    fn a_last_line_without_newline_counts_at_end_of_stream() {
        assert_eq!(lines(b"1\n2", 64), vec![Ok("1".into()), Ok("2".into())]);
    }

    #[test]
    fn an_incomplete_line_waits_for_more() {
        let mut framer = LineFramer::new(64);
        let mut buf = BytesMut::from(&b"12"[..]);
        assert_eq!(framer.next_line(&mut buf), Ok(None));
        buf.extend_from_slice(b"3\n");
        assert_eq!(framer.next_line(&mut buf), Ok(Some("123".into())));
        assert!(buf.is_empty());
    }

    #[test]
    fn invalid_utf8_is_reported_and_skipped() {
        assert_eq!(
            lines(b"\xff\xfe\n8\n", 64),
            vec![Err(LineError::NotUtf8), Ok("8".into())]
        );
    }

    #[test]
    fn a_line_over_the_limit_is_fatal() {
        let got = lines(b"12345\n", 4);
        assert_eq!(got, vec![Err(LineError::TooLong { max: 4 })]);
        assert!(LineError::TooLong { max: 4 }.is_fatal());
        assert!(!LineError::NotUtf8.is_fatal());
    }

    #[test]
    fn a_line_that_never_ends_is_fatal_once_past_the_limit() {
        let mut framer = LineFramer::new(8);
        let mut buf = BytesMut::from(&b"aaaaaaaa"[..]);
        assert_eq!(framer.next_line(&mut buf), Ok(None));
        buf.extend_from_slice(b"a");
        assert_eq!(
            framer.next_line(&mut buf),
            Err(LineError::TooLong { max: 8 })
        );
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_fine() {
        assert_eq!(lines(b"1234\n", 4), vec![Ok("1234".into())]);
    }

    proptest! {
        /// Feeding the same bytes in any chunking gives the same lines.
        #[test]
        fn chunking_does_not_change_the_lines(
            text in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'a'), Just(b'\r'), any::<u8>()], 0..200),
            cut in 1_usize..17,
        ) {
            let whole = lines(&text, 32);
            let mut framer = LineFramer::new(32);
            let mut buf = BytesMut::new();
            let mut pieces = vec![];
            let mut fatal = false;
            'feed: for chunk in text.chunks(cut) {
                buf.extend_from_slice(chunk);
                loop {
                    match framer.next_line(&mut buf) {
                        Ok(Some(line)) => pieces.push(Ok(line)),
                        Ok(None) => break,
                        Err(err) => {
                            let stop = err.is_fatal();
                            pieces.push(Err(err));
                            if stop { fatal = true; break 'feed; }
                        }
                    }
                }
            }
            if !fatal {
                if let Ok(Some(last)) = framer.last_line(&mut buf) {
                    pieces.push(Ok(last));
                }
            }
            prop_assert_eq!(pieces, whole);
        }

        /// Arbitrary bytes never panic and never yield a line longer than the limit.
        #[test]
        fn lines_respect_the_limit(text in proptest::collection::vec(any::<u8>(), 0..400)) {
            for line in lines(&text, 16).into_iter().flatten() {
                prop_assert!(line.len() <= 16);
            }
        }
    }
}
