//! The global manual-mute shortcut (default Ctrl+Alt+M).
//!
//! global-hotkey grabs the key on X11. It cannot work on a Wayland-only session, and it does not
//! fail when there is no X server at all, so availability is decided here and said plainly: the
//! window shows why, and offers `holdguard toggle` to bind in the desktop's own shortcut settings.

use std::str::FromStr;

use global_hotkey::hotkey::HotKey;
use global_hotkey::{GlobalHotKeyEvent, GlobalHotKeyManager, HotKeyState};

/// Whether the shortcut works, in words for the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Availability {
    Active(String),
    Unavailable(String),
}

/// The registered shortcut; unregistered when dropped.
pub struct Hotkey {
    manager: Option<GlobalHotKeyManager>,
    key: Option<HotKey>,
    pub availability: Availability,
}

impl Drop for Hotkey {
    fn drop(&mut self) {
        if let (Some(m), Some(k)) = (&self.manager, self.key) {
            let _ = m.unregister(k);
        }
    }
}

/// Checks that `spec` names a shortcut ("Ctrl+Alt+M"); the error says what is accepted.
pub fn parse(spec: &str) -> Result<HotKey, String> {
    HotKey::from_str(spec.trim()).map_err(|_| {
        format!(
            "\"{spec}\" is not a shortcut; write modifiers and a key joined by +, e.g. Ctrl+Alt+M"
        )
    })
}

/// Why global shortcuts cannot work in this session, if they cannot.
pub fn session_problem() -> Option<String> {
    let has = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty());
    if has("DISPLAY") {
        None
    } else if has("WAYLAND_DISPLAY") {
        Some("global shortcuts need X11 and this is a Wayland session".into())
    } else {
        Some("there is no X11 display".into())
    }
}

/// Registers `spec`; `on_press` runs on the hotkey thread each time it is pressed.
pub fn register(spec: &str, on_press: impl Fn() + Send + Sync + 'static) -> Hotkey {
    let unavailable = |why: String| Hotkey {
        manager: None,
        key: None,
        availability: Availability::Unavailable(why),
    };
    if let Some(why) = session_problem() {
        return unavailable(why);
    }
    let key = match parse(spec) {
        Ok(k) => k,
        Err(e) => return unavailable(e),
    };
    let manager = match GlobalHotKeyManager::new() {
        Ok(m) => m,
        Err(e) => return unavailable(format!("global shortcuts are not available ({e})")),
    };
    if let Err(e) = manager.register(key) {
        return unavailable(format!(
            "{spec} could not be registered, perhaps another application uses it ({e})"
        ));
    }
    let id = key.id();
    GlobalHotKeyEvent::set_event_handler(Some(move |ev: GlobalHotKeyEvent| {
        if ev.id() == id && ev.state() == HotKeyState::Pressed {
            on_press();
        }
    }));
    Hotkey {
        manager: Some(manager),
        key: Some(key),
        availability: Availability::Active(spec.trim().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_parse_or_say_why_not() {
        assert!(parse("Ctrl+Alt+M").is_ok());
        assert!(parse(" ctrl+shift+F9 ").is_ok());
        let e = parse("Ctrl+Banana").unwrap_err();
        assert!(e.contains("Ctrl+Banana") && e.contains("Ctrl+Alt+M"), "{e}");
    }
}
