//! Server-Sent Events, read incrementally from the bytes as they come, whatever the chunking.
//! Only what the receiver's stream uses: `event`, `data`, `id`, comments; `retry` is ignored
//! (the viewer keeps its own backoff).

/// A message bigger than this is not a board a receiver would send (its caps bound the board
/// far below): the stream is dropped rather than buffered without bound.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024 * 1024;

/// One message of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamMessage {
    /// The event name (`message` when none was given).
    pub event: String,
    /// The `id` field, where it is a number (the receiver's stream revision).
    pub id: Option<u64>,
    pub data: String,
}

/// The stream's bytes, cut into messages.
#[derive(Debug, Default)]
pub struct SseReader {
    /// Bytes of a line not yet ended.
    partial: Vec<u8>,
    event: Option<String>,
    id: Option<u64>,
    data: Option<String>,
    /// Bytes held in the message being read.
    held: usize,
}

/// The stream sent more than [`MAX_MESSAGE_BYTES`] without ending a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a message over {MAX_MESSAGE_BYTES} bytes")]
pub struct TooLarge;

impl SseReader {
    /// Feed `bytes`; the messages they complete, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<StreamMessage>, TooLarge> {
        let mut messages = Vec::new();
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.partial.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            let mut line = std::mem::take(&mut self.partial);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if let Some(message) = self.line(&String::from_utf8_lossy(&line)) {
                messages.push(message);
            }
        }
        self.partial.extend_from_slice(rest);
        if self.held + self.partial.len() > MAX_MESSAGE_BYTES {
            return Err(TooLarge);
        }
        Ok(messages)
    }

    fn line(&mut self, line: &str) -> Option<StreamMessage> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        self.held += value.len();
        match field {
            "event" => self.event = Some(value.to_owned()),
            "id" => self.id = value.trim().parse().ok(),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<StreamMessage> {
        self.held = 0;
        let event = self.event.take();
        let id = self.id.take();
        let data = self.data.take()?;
        Some(StreamMessage {
            event: event.unwrap_or_else(|| "message".to_owned()),
            id,
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_whole_whatever_the_chunking() {
        let stream = b"retry: 2000\nevent: board\nid: 7\ndata: {\"a\":\ndata: 1}\n\n: comment\r\nevent: heartbeat\r\nid: 8\r\ndata: {}\r\n\r\n";
        for cut in 0..stream.len() {
            let mut reader = SseReader::default();
            let mut got = reader.feed(&stream[..cut]).unwrap();
            got.extend(reader.feed(&stream[cut..]).unwrap());
            assert_eq!(
                got,
                vec![
                    StreamMessage {
                        event: "board".into(),
                        id: Some(7),
                        data: "{\"a\":\n1}".into()
                    },
                    StreamMessage {
                        event: "heartbeat".into(),
                        id: Some(8),
                        data: "{}".into()
                    },
                ],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn an_endless_message_is_refused() {
        let mut reader = SseReader::default();
        let chunk = vec![b'x'; 1024 * 1024];
        let mut refused = false;
        reader.feed(b"data: ").unwrap();
        for _ in 0..40 {
            if reader.feed(&chunk).is_err() {
                refused = true;
                break;
            }
        }
        assert!(refused);
    }
}
