//! What the simulator answers: a reply (status, headers, body) or another outcome (a delayed
//! reply, a dropped or held connection), and Monime's JSON envelope around results and errors.

use std::time::Duration;

use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// What the server does with a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Reply(Reply),
    ReplyAfter(Duration, Reply),
    Drop,
    Hang,
}

pub(super) fn success(result: Value) -> Reply {
    reply_json(
        200,
        json!({"success": true, "messages": [], "result": result}),
    )
}

pub(super) fn reply_json(status: u16, body: Value) -> Reply {
    Reply {
        status,
        headers: vec![("Content-Type", "application/json".into())],
        body: body.to_string(),
    }
}

pub(super) fn error_reply(status: u16, reason: &str, message: &str) -> Reply {
    reply_json(
        status,
        json!({"success": false, "messages": [],
               "error": {"code": status, "reason": reason, "message": message, "details": []}}),
    )
}

pub(super) fn throttled(retry_after_secs: u64, limit: &str) -> Reply {
    let mut reply = error_reply(429, "rate_limited", "too many requests");
    reply
        .headers
        .push(("Retry-After", retry_after_secs.to_string()));
    reply.headers.push(("Monime-Rate-Limit", limit.to_string()));
    reply
}
