//! The line framer (pure, in `referee-protocol`) as a tokio-util decoder.
//!
//! Per-line errors are items, not stream errors: a line that is not UTF-8 is reported and
//! the stream goes on; only I/O failures end it from here.

use std::io;

use bytes::BytesMut;
use referee_protocol::framing::{LineError, LineFramer};
use tokio_util::codec::Decoder;

pub(crate) struct LineCodec(LineFramer);

impl LineCodec {
    pub(crate) fn new(max_line: usize) -> Self {
        LineCodec(LineFramer::new(max_line))
    }
}

impl Decoder for LineCodec {
    type Item = Result<String, LineError>;
    type Error = io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> io::Result<Option<Self::Item>> {
        Ok(self.0.next_line(buf).transpose())
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> io::Result<Option<Self::Item>> {
        Ok(self.0.last_line(buf).transpose())
    }
}
