//! The global shortcuts: manual mute (default Ctrl+Alt+M) and push-to-talk (default
//! Ctrl+Alt+Space, open while held).
//!
//! On Wayland the desktop portal's GlobalShortcuts binds them (`portal.rs`): no program may grab
//! keys there, and an X11 grab through XWayland sees only X11 windows. Elsewhere global-hotkey
//! grabs the keys on X11; it does not fail when there is no X server at all, so availability is
//! decided here and said plainly: the window shows why, and offers `holdguard toggle` to bind in
//! the desktop's own shortcut settings.

use std::str::FromStr;
use std::sync::{mpsc, Arc};

use global_hotkey::hotkey::HotKey;
use global_hotkey::{GlobalHotKeyEvent, GlobalHotKeyManager, HotKeyState};

use super::portal::{self, Portal};
use crate::tr;

/// Whether the shortcut works, in words for the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Availability {
    Active(String),
    /// Asked of the desktop's portal, no answer yet.
    Pending,
    Unavailable(String),
    /// No key chosen (push-to-talk is optional).
    NotSet,
}

/// The registered shortcuts; unregistered when dropped.
pub struct Hotkey {
    manager: Option<GlobalHotKeyManager>,
    /// The portal session, when the portal bound the shortcuts.
    portal: Option<Portal>,
    pending: Option<Pending>,
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

type OnToggle = Arc<dyn Fn() + Send + Sync>;
type OnTalk = Arc<dyn Fn(bool) + Send + Sync>;

/// A portal request in flight, and what the X11 grab needs if it fails.
struct Pending {
    answer: mpsc::Receiver<Result<Portal, String>>,
    toggle: String,
    talk: String,
    on_toggle: OnToggle,
    on_talk: OnTalk,
}

/// Registers `toggle` and `talk` (an empty `talk` registers none). `on_toggle` runs on the
/// hotkey thread each time the mute shortcut is pressed; `on_talk(true)` when the push-to-talk
/// shortcut goes down, `on_talk(false)` when it comes up (the X11 backend reports key repeat as
/// one press).
///
/// On Wayland the portal is asked on a thread of its own, since the desktop may show the user a
/// dialog first: the shortcuts are [`Availability::Pending`] until [`Hotkey::poll`] has the answer.
pub fn register(
    toggle: &str,
    talk: &str,
    on_toggle: impl Fn() + Send + Sync + 'static,
    on_talk: impl Fn(bool) + Send + Sync + 'static,
) -> Hotkey {
    let (on_toggle, on_talk): (OnToggle, OnTalk) = (Arc::new(on_toggle), Arc::new(on_talk));
    if !has("WAYLAND_DISPLAY") {
        return grab(toggle, talk, on_toggle, on_talk, None);
    }
    let (tx, answer) = mpsc::channel();
    let (t, k) = (on_toggle.clone(), on_talk.clone());
    let (ts, ks) = (toggle.to_string(), talk.to_string());
    let asked = std::thread::Builder::new()
        .name("holdguard-portal-bind".into())
        .spawn(move || {
            let _ = tx.send(portal::bind(&ts, &ks, move || t(), move |p| k(p)));
        });
    if let Err(e) = asked {
        let why = tr!("hotkey-wayland", error = e.to_string());
        return grab(toggle, talk, on_toggle, on_talk, Some(why));
    }
    Hotkey {
        manager: None,
        portal: None,
        pending: Some(Pending {
            answer,
            toggle: toggle.to_string(),
            talk: talk.to_string(),
            on_toggle,
            on_talk,
        }),
        keys: Vec::new(),
        availability: Availability::Pending,
        talk: if talk.trim().is_empty() {
            Availability::NotSet
        } else {
            Availability::Pending
        },
    }
}

impl Hotkey {
    /// Takes the portal's answer once it has come: the shortcuts as the desktop bound them, or,
    /// when it would not, the X11 grab (with a display) or the reason why none works. Returns
    /// whether the availability changed.
    pub fn poll(&mut self) -> bool {
        let Some(p) = &self.pending else {
            return false;
        };
        let answer = match p.answer.try_recv() {
            Err(mpsc::TryRecvError::Empty) => return false,
            Ok(a) => a,
            Err(mpsc::TryRecvError::Disconnected) => Err("no answer".into()),
        };
        let p = self.pending.take().expect("checked above");
        match answer {
            Ok(portal) => {
                let via = |id: &str, spec: &str| {
                    let key = portal
                        .triggers
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| spec.trim().into());
                    Availability::Active(tr!("hotkey-via-portal", key = key))
                };
                self.availability = via(portal::TOGGLE, &p.toggle);
                if !p.talk.trim().is_empty() {
                    self.talk = via(portal::TALK, &p.talk);
                }
                self.portal = Some(portal);
            }
            // XWayland's grabs see only X11 windows, but they are better than nothing.
            Err(e) => {
                let why = tr!("hotkey-wayland", error = e);
                *self = grab(&p.toggle, &p.talk, p.on_toggle, p.on_talk, Some(why));
            }
        }
        true
    }
}

/// Grabs the keys on X11; `problem` is why the portal did not bind them, said when there is no
/// X11 display either.
fn grab(
    toggle: &str,
    talk: &str,
    on_toggle: OnToggle,
    on_talk: OnTalk,
    problem: Option<String>,
) -> Hotkey {
    let mut hk = Hotkey {
        manager: None,
        portal: None,
        pending: None,
        keys: Vec::new(),
        availability: Availability::Unavailable(tr!("hotkey-not-registered")),
        talk: Availability::NotSet,
    };
    if !has("DISPLAY") {
        let why = problem.unwrap_or_else(|| tr!("hotkey-no-display"));
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
