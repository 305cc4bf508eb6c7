//! The global shortcuts: manual mute (default Ctrl+Alt+M) and push-to-talk (default
//! Ctrl+Alt+Space, open while held).
//!
//! On Wayland the desktop portal's GlobalShortcuts binds them (`portal.rs`): no program may grab
//! keys there, and an X11 grab through XWayland sees only X11 windows. Elsewhere global-hotkey
//! grabs the keys on X11; it does not fail when there is no X server at all, so availability is
//! decided here and said plainly: the window shows why, and offers `holdguard toggle` to bind in
//! the desktop's own shortcut settings.

use std::str::FromStr;
use std::sync::Arc;

use global_hotkey::hotkey::HotKey;
use global_hotkey::{GlobalHotKeyEvent, GlobalHotKeyManager, HotKeyState};

use crate::tr;

/// Whether the shortcut works, in words for the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Availability {
    Active(String),
    Unavailable(String),
    /// No key chosen (push-to-talk is optional).
    NotSet,
}

/// The registered shortcuts; unregistered when dropped.
pub struct Hotkey {
    manager: Option<GlobalHotKeyManager>,
    /// The portal session, when the portal bound the shortcuts.
    portal: Option<super::portal::Portal>,
    keys: Vec<HotKey>,
    /// The mute shortcut.
    pub availability: Availability,
    /// The push-to-talk shortcut.
    pub talk: Availability,
}

impl Drop for Hotkey {
    fn drop(&mut self) {
        if let Some(m) = &self.manager {
            for k in &self.keys {
                let _ = m.unregister(*k);
            }
        }
    }
}

/// Checks that `spec` names a shortcut ("Ctrl+Alt+M"); the error says what is accepted.
pub fn parse(spec: &str) -> Result<HotKey, String> {
    HotKey::from_str(spec.trim()).map_err(|_| tr!("hotkey-not-shortcut", spec = spec))
}

fn has(var: &str) -> bool {
    std::env::var_os(var).is_some_and(|x| !x.is_empty())
}

/// Registers `toggle` and `talk` (an empty `talk` registers none). `on_toggle` runs on the
/// hotkey thread each time the mute shortcut is pressed; `on_talk(true)` when the push-to-talk
/// shortcut goes down, `on_talk(false)` when it comes up (the X11 backend reports key repeat as
/// one press).
pub fn register(
    toggle: &str,
    talk: &str,
    on_toggle: impl Fn() + Send + Sync + 'static,
    on_talk: impl Fn(bool) + Send + Sync + 'static,
) -> Hotkey {
    let mut hk = Hotkey {
        manager: None,
        portal: None,
        keys: Vec::new(),
        availability: Availability::Unavailable(tr!("hotkey-not-registered")),
        talk: Availability::NotSet,
    };
    let (on_toggle, on_talk) = (Arc::new(on_toggle), Arc::new(on_talk));
    let mut portal_problem = None;
    if has("WAYLAND_DISPLAY") {
        let (t, k) = (on_toggle.clone(), on_talk.clone());
        match super::portal::bind(toggle, talk, move || t(), move |p| k(p)) {
            Ok(p) => {
                let via = |id: &str, spec: &str| {
                    let key = p
                        .triggers
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| spec.trim().into());
                    Availability::Active(tr!("hotkey-via-portal", key = key))
                };
                hk.availability = via(super::portal::TOGGLE, toggle);
                if !talk.trim().is_empty() {
                    hk.talk = via(super::portal::TALK, talk);
                }
                hk.portal = Some(p);
                return hk;
            }
            // XWayland's grabs see only X11 windows, but they are better than nothing.
            Err(e) => portal_problem = Some(tr!("hotkey-wayland", error = e)),
        }
    }
    if !has("DISPLAY") {
        let why = portal_problem.unwrap_or_else(|| tr!("hotkey-no-display"));
        hk.availability = Availability::Unavailable(why.clone());
        if !talk.trim().is_empty() {
            hk.talk = Availability::Unavailable(why);
        }
        return hk;
    }
    let manager = match GlobalHotKeyManager::new() {
        Ok(m) => m,
        Err(e) => {
            let why = tr!("hotkey-unavailable", error = e.to_string());
            hk.availability = Availability::Unavailable(why.clone());
            hk.talk = Availability::Unavailable(why);
            return hk;
        }
    };
    let mut add = |spec: &str| -> (Availability, Option<u32>) {
        let key = match parse(spec) {
            Ok(k) => k,
            Err(e) => return (Availability::Unavailable(e), None),
        };
        if key_taken(&hk.keys, key) {
            return (
                Availability::Unavailable(tr!("hotkey-other", spec = spec)),
                None,
            );
        }
        match manager.register(key) {
            Ok(()) => {
                hk.keys.push(key);
                (
                    Availability::Active(spec.trim().to_string()),
                    Some(key.id()),
                )
            }
            Err(e) => (
                Availability::Unavailable(tr!("hotkey-taken", spec = spec, error = e.to_string())),
                None,
            ),
        }
    };
    let (a, toggle_id) = add(toggle);
    let (t, talk_id) = if talk.trim().is_empty() {
        (Availability::NotSet, None)
    } else {
        add(talk)
    };
    hk.availability = a;
    hk.talk = t;
    GlobalHotKeyEvent::set_event_handler(Some(move |ev: GlobalHotKeyEvent| {
        let pressed = ev.state() == HotKeyState::Pressed;
        if Some(ev.id()) == toggle_id && pressed {
            on_toggle();
        } else if Some(ev.id()) == talk_id {
            on_talk(pressed);
        }
    }));
    hk.manager = Some(manager);
    hk
}

fn key_taken(keys: &[HotKey], key: HotKey) -> bool {
    keys.iter().any(|k| k.id() == key.id())
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
