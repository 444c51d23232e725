//! A client for QEMU's two JSON line protocols on Unix sockets: QMP (the machine: screen
//! dumps, taps) and the guest agent (commands run inside the guest).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

pub struct JsonLink {
    what: &'static str,
    writer: UnixStream,
    reader: BufReader<UnixStream>,
}

impl JsonLink {
    /// Connects to `path`, read timeout `timeout` per answer.
    pub fn connect(what: &'static str, path: &Path, timeout: Duration) -> Result<JsonLink, String> {
        let stream = UnixStream::connect(path)
            .map_err(|e| format!("{what}: cannot connect to {}: {e}", path.display()))?;
        stream
            .set_read_timeout(Some(timeout))
            .map_err(|e| format!("{what}: {e}"))?;
        let reader = stream.try_clone().map_err(|e| format!("{what}: {e}"))?;
        Ok(JsonLink {
            what,
            writer: stream,
            reader: BufReader::new(reader),
        })
    }

    /// QMP: reads the greeting and leaves capabilities negotiation mode.
    pub fn qmp(path: &Path) -> Result<JsonLink, String> {
        let mut link = JsonLink::connect("QMP", path, Duration::from_secs(30))?;
        link.read()?;
        link.execute("qmp_capabilities", json!({}))?;
        Ok(link)
    }

    /// The guest agent: a sync round that skips whatever an earlier connection left behind.
    pub fn agent(path: &Path) -> Result<JsonLink, String> {
        let mut link = JsonLink::connect("guest agent", path, Duration::from_secs(5))?;
        let id = u64::from(std::process::id()) * 1000 + u64::from(rand::random::<u16>());
        link.send("guest-sync", json!({ "id": id }))?;
        loop {
            let answer = link.read()?;
            if answer.get("return").and_then(Value::as_u64) == Some(id) {
                break;
            }
        }
        link.writer
            .set_read_timeout(Some(Duration::from_secs(60)))
            .map_err(|e| format!("guest agent: {e}"))?;
        Ok(link)
    }

    fn send(&mut self, command: &str, arguments: Value) -> Result<(), String> {
        let mut line = json!({ "execute": command, "arguments": arguments }).to_string();
        line.push('\n');
        self.writer
            .write_all(line.as_bytes())
            .map_err(|e| format!("{}: sending {command}: {e}", self.what))
    }

    fn read(&mut self) -> Result<Value, String> {
        let mut bytes = Vec::new();
        loop {
            bytes.clear();
            let read = self
                .reader
                .read_until(b'\n', &mut bytes)
                .map_err(|e| format!("{}: no answer: {e}", self.what))?;
            if read == 0 {
                return Err(format!("{}: the connection closed", self.what));
            }
            // The guest agent may send a 0xff byte before a sync answer; QMP sends events.
            bytes.retain(|&byte| byte != 0xff);
            let line = String::from_utf8_lossy(&bytes);
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(text)
                .map_err(|e| format!("{}: not JSON ({e}): {text}", self.what))?;
            if value.get("event").is_none() {
                return Ok(value);
            }
        }
    }

    /// Runs `command` and returns its `return` value, or its error as text.
    pub fn execute(&mut self, command: &str, arguments: Value) -> Result<Value, String> {
        self.send(command, arguments)?;
        let answer = self.read()?;
        match answer.get("return") {
            Some(value) => Ok(value.clone()),
            None => Err(format!("{}: {command} failed: {answer}", self.what)),
        }
    }
}
