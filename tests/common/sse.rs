//! A Server-Sent Events reader and the viewer's side of `/api/board/stream`: messages applied
//! to the first board, compared with `/api/board` without the seconds fields.
//! Include it as the mock is: `#[path = "common/sse.rs"] mod sse;`.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Map, Value};

/// One SSE message as a browser's `EventSource` would see it.
#[derive(Debug, Clone)]
pub struct SseMessage {
    pub event: String,
    pub id: Option<String>,
    pub data: Value,
    pub retry: Option<u64>,
}

/// The body of an `text/event-stream` answer, read message by message.
pub struct SseReader {
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
    /// Bytes of a character cut by a chunk's end, until the rest comes.
    undecoded: Vec<u8>,
}

impl SseReader {
    /// `GET url`, with `Last-Event-ID` when given; panics unless it is a 200 event stream.
    pub async fn open(client: &reqwest::Client, url: &str, last_event_id: Option<&str>) -> Self {
        let mut request = client.get(url);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("GET the stream");
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        SseReader {
            body: response.bytes_stream().boxed(),
            buffer: String::new(),
            undecoded: Vec::new(),
        }
    }

    /// The next message within `bound`; `None` when the stream ended or nothing came.
    pub async fn next_within(&mut self, bound: Duration) -> Option<SseMessage> {
        tokio::time::timeout(bound, self.next())
            .await
            .ok()
            .flatten()
    }

    /// Whether the stream ends within `bound` with no further message.
    pub async fn ends_within(&mut self, bound: Duration) -> bool {
        matches!(tokio::time::timeout(bound, self.next()).await, Ok(None))
    }

    /// The next message; `None` when the stream ended.
    pub async fn next(&mut self) -> Option<SseMessage> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(message) = parse_block(&block) {
                    return Some(message);
                }
                continue;
            }
            let chunk = self.body.next().await?.ok()?;
            // A chunk may end inside a character: its first bytes wait for the next chunk.
            self.undecoded.extend_from_slice(&chunk);
            let whole = match std::str::from_utf8(&self.undecoded) {
                Err(error) if error.error_len().is_none() => error.valid_up_to(),
                // Whole, or not UTF-8 at all (decoded as it is, replacement characters and all).
                _ => self.undecoded.len(),
            };
            let text: Vec<u8> = self.undecoded.drain(..whole).collect();
            self.buffer.push_str(&String::from_utf8_lossy(&text));
        }
    }
}

fn parse_block(block: &str) -> Option<SseMessage> {
    let (mut event, mut id, mut data, mut retry) =
        (String::from("message"), None, String::new(), None);
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => value.clone_into(&mut event),
            "id" => id = Some(value.to_owned()),
            "data" => {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(value);
            }
            "retry" => retry = value.parse().ok(),
            _ => {}
        }
    }
    if data.is_empty() {
        return None;
    }
    let data = serde_json::from_str(&data).unwrap_or_else(|e| panic!("{e}: {data}"));
    Some(SseMessage {
        event,
        id,
        data,
        retry,
    })
}

/// The stream's own fields on every message, not `/api/board`'s.
const STAMPS: [&str; 4] = ["board_version", "now_ms", "taken_at_ms", "viewers"];

/// A viewer's board: the first `board`, with every later message applied.
#[derive(Debug, Clone, Default)]
pub struct Viewed {
    pub board: Map<String, Value>,
}

impl Viewed {
    pub fn apply(&mut self, message: &SseMessage) {
        let Value::Object(data) = &message.data else {
            panic!("data is not an object: {message:?}")
        };
        match message.event.as_str() {
            "board" => {
                self.board.clone_from(data);
                for stamp in STAMPS {
                    self.board.remove(stamp);
                }
            }
            "queues" => {
                for (key, value) in data {
                    match key.as_str() {
                        "queues" | "agents" => upsert(&mut self.board, key, value),
                        k if STAMPS.contains(&k) => {}
                        _ => {
                            self.board.insert(key.clone(), value.clone());
                        }
                    }
                }
            }
            "removed" => {
                for key in ["queues", "agents"] {
                    let gone: Vec<&str> = data[key]
                        .as_array()
                        .expect("removed ids")
                        .iter()
                        .filter_map(Value::as_str)
                        .collect();
                    if let Some(Value::Array(items)) = self.board.get_mut(key) {
                        items.retain(|item| !gone.contains(&item["id"].as_str().unwrap_or("")));
                    }
                }
            }
            "heartbeat" => {}
            other => panic!("unknown event {other}"),
        }
    }

    /// The board without the seconds fields, call centers and agents sorted as `/api/board`.
    pub fn normalised(&self) -> Value {
        normalise(&Value::Object(self.board.clone()))
    }
}

fn upsert(board: &mut Map<String, Value>, key: &str, changed: &Value) {
    let Some(Value::Array(items)) = board.get_mut(key) else {
        panic!("no {key} in the board")
    };
    for item in changed.as_array().expect("an array") {
        match items.iter_mut().find(|old| old["id"] == item["id"]) {
            Some(old) => *old = item.clone(),
            None => items.push(item.clone()),
        }
    }
}

/// `/api/board` (or a viewer's board) without the fields that count seconds, sorted.
pub fn normalise(board: &Value) -> Value {
    let mut board = board.clone();
    let map = board.as_object_mut().expect("a board object");
    map.remove("last_event_secs_ago");
    for key in ["queues", "agents"] {
        let Some(Value::Array(items)) = map.get_mut(key) else {
            panic!("no {key}")
        };
        for item in items.iter_mut() {
            let item = item.as_object_mut().expect("an object");
            for seconds in [
                "longest_wait_secs",
                "last_event_secs_ago",
                "data_age_secs",
                "since_secs",
            ] {
                item.remove(seconds);
            }
            if let Some(Value::Array(calls)) = item.get_mut("calls") {
                for call in calls {
                    call.as_object_mut().expect("a call").remove("wait_secs");
                }
            }
        }
        items.sort_by(|a, b| {
            (a["name"].as_str(), a["id"].as_str()).cmp(&(b["name"].as_str(), b["id"].as_str()))
        });
    }
    board
}
