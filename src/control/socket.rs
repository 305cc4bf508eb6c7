//! The local control socket: a Unix-domain socket in the user's runtime folder, mode 0600 — local
//! to this machine and this user, never a network socket. One request line in, one JSON line out.

use std::path::PathBuf;
#[cfg(unix)]
use std::sync::Arc;
use std::time::Duration;

use super::instance::runtime_dir;
use super::{Controller, Request, Status};
use crate::guard::Command;

/// Where the control socket lives.
pub fn socket_path() -> PathBuf {
    runtime_dir().join("holdguard.sock")
}

/// The listening control socket; removed when dropped.
pub struct Server {
    path: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Listens on `path` (replacing a leftover socket: the caller holds the instance lock) and
/// answers requests on a thread of its own.
#[cfg(unix)]
pub fn serve(path: &std::path::Path, ctl: Arc<Controller>) -> std::io::Result<Server> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::UnixListener;
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    std::thread::Builder::new()
        .name("holdguard-control".into())
        .spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                let Ok(line) = read_request(&conn) else {
                    continue;
                };
                let reply = answer(&ctl, &line);
                let mut w = &conn;
                let _ = w.write_all(reply.to_string().as_bytes());
                let _ = w.write_all(b"\n");
                if ctl.stopping() {
                    break;
                }
            }
        })?;
    Ok(Server {
        path: path.to_path_buf(),
    })
}

/// One request line from a client, trimmed. A client that never ends its line must not hold the
/// socket, so at most 256 bytes are read; bytes that are not UTF-8 are an error.
pub fn read_request(conn: impl std::io::Read) -> std::io::Result<String> {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(conn.take(256)).read_line(&mut line)?;
    Ok(line.trim().to_string())
}

/// The reply to one request line.
pub fn answer(ctl: &Controller, line: &str) -> serde_json::Value {
    let cmd = match line {
        "status" => None,
        "show" => {
            ctl.show_window(None);
            None
        }
        "show guard" | "show log" | "show settings" | "show letter" => {
            ctl.show_window(Some(&line[5..]));
            None
        }
        "mute" => Some(Command::Mute),
        "unmute" => Some(Command::Unmute),
        "toggle" => Some(Command::Toggle),
        "pause" => Some(Command::Pause),
        "resume" => Some(Command::Resume),
        "talk start" => Some(Command::TalkStart),
        "talk end" => Some(Command::TalkEnd),
        other => {
            return serde_json::json!({
                "ok": false,
                "error": format!("unknown request {other:?}; expected status, show [guard|log|settings|letter], mute, unmute, toggle, pause, resume or talk start|end"),
            })
        }
    };
    if let Some(c) = cmd {
        let pending = ctl.submit(Request::Command(c));
        if !matches!(pending.wait(Duration::from_secs(2)), Ok(true)) {
            return serde_json::json!({
                "ok": false,
                "error": "the guard did not answer within 2 s (is its audio starting?)",
            });
        }
    }
    serde_json::json!({ "ok": true, "status": ctl.status() })
}

/// Sends one request to the running instance and returns its status.
#[cfg(unix)]
pub fn request(path: &std::path::Path, line: &str) -> Result<Status, ClientError> {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixStream;
    let conn =
        UnixStream::connect(path).map_err(|_| ClientError::NotRunning(path.to_path_buf()))?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(ClientError::Io)?;
    (&conn)
        .write_all(format!("{line}\n").as_bytes())
        .map_err(ClientError::Io)?;
    let mut reply = String::new();
    BufReader::new(&conn)
        .read_line(&mut reply)
        .map_err(ClientError::Io)?;
    parse_reply(&reply)
}

/// The status in the running instance's reply line, or why there is none.
pub fn parse_reply(reply: &str) -> Result<Status, ClientError> {
    let v: serde_json::Value =
        serde_json::from_str(reply).map_err(|_| ClientError::Garbled(reply.trim().to_string()))?;
    if v["ok"] != serde_json::Value::Bool(true) {
        return Err(ClientError::Refused(
            v["error"].as_str().unwrap_or("no reason given").to_string(),
        ));
    }
    serde_json::from_value(v["status"].clone())
        .map_err(|_| ClientError::Garbled(reply.trim().to_string()))
}

/// Why a request to the running instance failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("Hold Guard is not running (no control socket at {}); start it with `holdguard`", .0.display())]
    NotRunning(PathBuf),
    #[error("the running Hold Guard did not answer: {0}")]
    Io(std::io::Error),
    #[error("the running Hold Guard answered something unexpected: {0}")]
    Garbled(String),
    #[error("the running Hold Guard refused: {0}")]
    Refused(String),
}
