//! Global shortcuts through the XDG desktop portal (`org.freedesktop.portal.GlobalShortcuts`), for
//! Wayland sessions, where no program may grab keys itself and X11 grabs see only X11 windows.
//!
//! The portal asks the user to confirm (or change) the keys once; the desktop then reports each
//! press and release as `Activated` / `Deactivated` signals, which suits push-to-talk too. Every
//! portal call answers through a `Request` object whose `Response` signal carries the result, so
//! the signal is subscribed to before the call is made (the request's path is known in advance
//! from the handle token).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use zbus::blocking::{Connection, Proxy};
use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};

const DEST: &str = "org.freedesktop.portal.Desktop";
const PATH: &str = "/org/freedesktop/portal/desktop";
const IFACE: &str = "org.freedesktop.portal.GlobalShortcuts";
/// The portal shows a dialog the first time; the user may take a while to answer it.
const ANSWER_WITHIN: Duration = Duration::from_secs(120);

/// Shortcut ids as the portal knows them.
pub const TOGGLE: &str = "toggle-mute";
pub const TALK: &str = "push-to-talk";

/// A portal session with the shortcuts bound; the session closes when this is dropped.
pub struct Portal {
    conn: Connection,
    session: OwnedObjectPath,
    /// What the desktop says each shortcut is bound to ("Ctrl+Alt+M"), by id.
    pub triggers: HashMap<String, String>,
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.conn.call_method(
            Some(DEST),
            self.session.as_str(),
            Some("org.freedesktop.portal.Session"),
            "Close",
            &(),
        );
    }
}

/// A config shortcut ("Ctrl+Alt+M") in the XDG shortcuts syntax the portal takes as a preferred
/// trigger ("CTRL+ALT+m"): modifiers upper case, the key as its keysym name.
pub fn trigger(spec: &str) -> String {
    spec.split('+')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.to_ascii_lowercase().as_str() {
            "ctrl" | "control" => "CTRL".to_string(),
            "alt" | "option" => "ALT".to_string(),
            "shift" => "SHIFT".to_string(),
            "super" | "meta" | "cmd" | "command" | "logo" | "win" => "LOGO".to_string(),
            key if key.len() == 1 => key.to_string(),
            "space" => "space".to_string(),
            key if key.starts_with('f') && key[1..].parse::<u8>().is_ok() => key.to_uppercase(),
            _ => p.to_string(),
        })
        .collect::<Vec<_>>()
        .join("+")
}

/// Binds the mute shortcut `toggle` and, unless empty, the push-to-talk shortcut `talk` through
/// the portal on the session bus, and calls `on_toggle` on each press of the first and
/// `on_talk(true/false)` on each press and release of the second, from a thread of its own.
pub fn bind(
    toggle: &str,
    talk: &str,
    on_toggle: impl Fn() + Send + 'static,
    on_talk: impl Fn(bool) + Send + 'static,
) -> Result<Portal, String> {
    let conn = Connection::session().map_err(|e| format!("no D-Bus session bus: {e}"))?;
    bind_on(conn, toggle, talk, on_toggle, on_talk)
}

/// [`bind`] on a given bus connection.
pub fn bind_on(
    conn: Connection,
    toggle: &str,
    talk: &str,
    on_toggle: impl Fn() + Send + 'static,
    on_talk: impl Fn(bool) + Send + 'static,
) -> Result<Portal, String> {
    let fail = |what: &str, e: zbus::Error| format!("the desktop portal's {what} failed: {e}");
    let portal = Proxy::new(&conn, DEST, PATH, IFACE).map_err(|e| fail("proxy", e))?;
    portal.get_property::<u32>("version").map_err(|_| {
        "no GlobalShortcuts portal (it needs xdg-desktop-portal 1.18 or later and a desktop that \
         implements it)"
            .to_string()
    })?;

    // Subscribed before any call, so no press is missed between binding and listening; one
    // stream for both signals keeps a press and its release in the order the desktop sent them.
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .interface(IFACE)
        .and_then(|r| r.path(PATH))
        .map_err(|e| fail("match rule", e))?
        .build();
    let presses = zbus::blocking::MessageIterator::for_match_rule(rule, &conn, Some(64))
        .map_err(|e| fail("signal subscription", e))?;

    let session_token = token();
    let results = request(&conn, |handle| {
        let options: HashMap<&str, Value> = HashMap::from([
            ("handle_token", Value::from(handle)),
            ("session_handle_token", Value::from(session_token.as_str())),
        ]);
        portal.call_method("CreateSession", &(options,))
    })
    .map_err(|e| format!("the desktop portal refused a shortcut session: {e}"))?;
    let session: OwnedObjectPath = results
        .get("session_handle")
        .and_then(|v| {
            // A string in the specification; some backends send an object path.
            text(v)
                .and_then(|s| ObjectPath::try_from(s).ok().map(Into::into))
                .or_else(|| OwnedObjectPath::try_from(v.try_clone().ok()?).ok())
        })
        .ok_or("the desktop portal gave no session")?;

    let mut wanted: Vec<(&str, HashMap<&str, Value>)> = vec![(
        TOGGLE,
        HashMap::from([
            ("description", Value::from("Hold Guard: mute or unmute")),
            ("preferred_trigger", Value::from(trigger(toggle))),
        ]),
    )];
    if !talk.trim().is_empty() {
        wanted.push((
            TALK,
            HashMap::from([
                (
                    "description",
                    Value::from("Hold Guard: push to talk (open while held)"),
                ),
                ("preferred_trigger", Value::from(trigger(talk))),
            ]),
        ));
    }
    let results = request(&conn, |handle| {
        let options: HashMap<&str, Value> = HashMap::from([("handle_token", Value::from(handle))]);
        portal.call_method("BindShortcuts", &(&session, &wanted, "", options))
    })
    .map_err(|e| format!("the desktop portal did not bind the shortcuts: {e}"))?;
    let triggers = bound(&results);

    let mine = session.clone();
    std::thread::Builder::new()
        .name("holdguard-portal".into())
        .spawn(move || {
            for msg in presses.flatten() {
                let pressed = match msg.header().member().map(|m| m.as_str()) {
                    Some("Activated") => true,
                    Some("Deactivated") => false,
                    _ => continue,
                };
                let Ok((s, id, _, _)) =
                    msg.body()
                        .deserialize::<(OwnedObjectPath, String, u64, HashMap<String, OwnedValue>)>(
                        )
                else {
                    continue;
                };
                match (s == mine, id.as_str(), pressed) {
                    (true, TOGGLE, true) => on_toggle(),
                    (true, TALK, p) => on_talk(p),
                    _ => {}
                }
            }
        })
        .map_err(|e| format!("no thread for the portal's shortcuts: {e}"))?;
    Ok(Portal {
        conn,
        session,
        triggers,
    })
}

/// What the desktop bound, by shortcut id: its `trigger_description`, or the id when it gives
/// none.
fn bound(results: &HashMap<String, OwnedValue>) -> HashMap<String, String> {
    let list: Vec<(String, HashMap<String, OwnedValue>)> = results
        .get("shortcuts")
        .and_then(|v| v.try_clone().ok()?.try_into().ok())
        .unwrap_or_default();
    list.into_iter()
        .map(|(id, props)| {
            let how = props
                .get("trigger_description")
                .and_then(text)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| id.clone());
            (id, how)
        })
        .collect()
}

/// A string value, if it is one.
fn text(v: &OwnedValue) -> Option<String> {
    String::try_from(v.try_clone().ok()?).ok()
}

/// A token unique in this process, for request and session handles.
fn token() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "holdguard_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Makes one portal call through `call(handle_token)` and waits for its `Response`: the
/// results on success, or why not (the user cancelled, the portal failed, no answer in time).
fn request(
    conn: &Connection,
    call: impl FnOnce(&str) -> zbus::Result<zbus::message::Message>,
) -> Result<HashMap<String, OwnedValue>, String> {
    let handle = token();
    let sender = conn
        .unique_name()
        .ok_or("not connected to the bus")?
        .trim_start_matches(':')
        .replace('.', "_");
    let path = format!("/org/freedesktop/portal/desktop/request/{sender}/{handle}");
    let req = Proxy::new(conn, DEST, path.as_str(), "org.freedesktop.portal.Request")
        .map_err(|e| e.to_string())?;
    let responses = req.receive_signal("Response").map_err(|e| e.to_string())?;
    call(&handle).map_err(|e| e.to_string())?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if let Some(m) = responses.into_iter().next() {
            let _ = tx.send(m);
        }
    });
    let msg = rx
        .recv_timeout(ANSWER_WITHIN)
        .map_err(|_| "no answer from the desktop portal".to_string())?;
    let (code, results) = msg
        .body()
        .deserialize::<(u32, HashMap<String, OwnedValue>)>()
        .map_err(|e| e.to_string())?;
    match code {
        0 => Ok(results),
        1 => Err("cancelled in the desktop's dialog".into()),
        _ => Err("the desktop portal gave up".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_shortcuts_become_portal_triggers() {
        assert_eq!(trigger("Ctrl+Alt+M"), "CTRL+ALT+m");
        assert_eq!(trigger("ctrl + alt + space"), "CTRL+ALT+space");
        assert_eq!(trigger("Super+Shift+F9"), "LOGO+SHIFT+F9");
        assert_eq!(trigger("Ctrl+Alt+Space"), "CTRL+ALT+space");
    }
}
