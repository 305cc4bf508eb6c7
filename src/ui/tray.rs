//! The tray icon (a StatusNotifierItem over D-Bus, through tray-icon's ksni backend: no GTK).
//!
//! Menu clicks arrive on tray-icon's own thread, so they only queue requests on the
//! [`Controller`]; the icon, tooltip and menu texts are refreshed from the UI thread when the
//! status changes. Without a session bus there is no tray: the app then says so and closing the
//! window quits.

use crate::tr;
use std::collections::HashMap;
use std::sync::Arc;

use tray_icon::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder, TrayIconEvent};

use super::icons::{rgba, Look};
use crate::control::{Controller, Request, State, Status};
use crate::guard::Command;

/// Size of the tray pixmaps.
const SIZE: u32 = 32;

/// The look the tray shows for `status`.
pub fn look(status: &Status) -> Look {
    // An app recording the microphone around the guard makes any muted look a lie.
    if status.problem.is_some() || !status.bypass.is_empty() {
        return Look::Problem;
    }
    match status.state {
        State::HoldMusic | State::SilentHold => Look::MutedHold,
        State::ManualMute => Look::MutedManual,
        State::Paused => Look::Paused,
        State::Live | State::ManualUnmute | State::PushToTalk | State::Starting => Look::Live,
    }
}

/// The tooltip for `status` at `now`.
pub fn tooltip(status: &Status, now: f64) -> String {
    let mut s = tr!("tray-tooltip", line = status.line(now));
    if let Some(r) = &status.reason {
        s.push('\n');
        s.push_str(&tr!("tray-last-change", reason = crate::i18n::reason(r)));
    }
    s
}

/// The live tray icon and the menu items whose text follows the state.
pub struct Tray {
    icon: TrayIcon,
    mute: MenuItem,
    pause: CheckMenuItem,
    open: MenuItem,
    quit: MenuItem,
    /// The language the menu was last labelled in.
    lang: Option<crate::i18n::Lang>,
    icons: HashMap<Look, Icon>,
    shown_look: Option<Look>,
    shown_state: Option<State>,
    shown_tip: String,
}

impl Tray {
    /// Puts the icon in the tray. Menu and click handlers go to `ctl`; `wake` asks the UI thread
    /// to act (quit, show the window).
    pub fn new(ctl: &Arc<Controller>) -> Result<Self, String> {
        // Labelled in `update`, in the language in use then.
        let mute = MenuItem::with_id("mute", tr!("tray-mute"), true, None);
        let pause = CheckMenuItem::with_id("pause", tr!("tray-pause"), true, false, None);
        let open = MenuItem::with_id("open", tr!("tray-open"), true, None);
        let quit = MenuItem::with_id("quit", tr!("tray-quit"), true, None);
        let menu = Menu::with_items(&[
            &mute,
            &pause,
            &PredefinedMenuItem::separator(),
            &open,
            &quit,
        ])
        .map_err(|e| e.to_string())?;
        let mut icons = HashMap::new();
        for l in Look::ALL {
            let icon = Icon::from_rgba(rgba(l, SIZE), SIZE, SIZE).map_err(|e| e.to_string())?;
            icons.insert(l, icon);
        }
        let icon = TrayIconBuilder::new()
            .with_id("holdguard")
            .with_title("Hold Guard")
            .with_tooltip("Hold Guard")
            .with_icon(icons[&Look::Live].clone())
            .with_menu(Box::new(menu))
            .with_menu_on_left_click(false)
            .build()
            .map_err(|e| format!("no system tray ({e})"))?;
        // The menu items live on in the menu; these handles relabel them.
        let c = ctl.clone();
        MenuEvent::set_event_handler(Some(move |ev: MenuEvent| {
            if ev.id == "mute" {
                c.submit(Request::Command(Command::Toggle));
            } else if ev.id == "pause" {
                let paused = c.status().state == State::Paused;
                c.submit(Request::Command(if paused {
                    Command::Resume
                } else {
                    Command::Pause
                }));
            } else if ev.id == "open" {
                c.show_window(None);
            } else if ev.id == "quit" {
                c.stop();
            }
        }));
        let c = ctl.clone();
        TrayIconEvent::set_event_handler(Some(move |ev: TrayIconEvent| {
            if let TrayIconEvent::Click { .. } | TrayIconEvent::DoubleClick { .. } = ev {
                c.show_window(None);
            }
        }));
        Ok(Self {
            icon,
            mute,
            pause,
            open,
            quit,
            lang: None,
            icons,
            shown_look: None,
            shown_state: None,
            shown_tip: String::new(),
        })
    }

    /// Brings icon, tooltip and menu in line with `status`.
    pub fn update(&mut self, status: &Status, now: f64) {
        let l = look(status);
        if self.shown_look != Some(l) {
            let _ = self.icon.set_icon(Some(self.icons[&l].clone()));
            self.shown_look = Some(l);
        }
        let lang = crate::i18n::current();
        if self.shown_state != Some(status.state) || self.lang != Some(lang) {
            self.mute.set_text(if status.state.muted() {
                tr!("tray-unmute")
            } else {
                tr!("tray-mute")
            });
            self.pause.set_text(tr!("tray-pause"));
            self.open.set_text(tr!("tray-open"));
            self.quit.set_text(tr!("tray-quit"));
            self.lang = Some(lang);
            self.pause.set_checked(status.state == State::Paused);
            self.shown_state = Some(status.state);
        }
        let tip = tooltip(status, now);
        if tip != self.shown_tip {
            let _ = self.icon.set_tooltip(Some(&tip));
            self.shown_tip = tip;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_follow_the_state_and_problems_win() {
        let mut s = Status {
            state: State::HoldMusic,
            ..Status::default()
        };
        assert_eq!(look(&s), Look::MutedHold);
        s.state = State::ManualMute;
        assert_eq!(look(&s), Look::MutedManual);
        s.state = State::Paused;
        assert_eq!(look(&s), Look::Paused);
        s.state = State::ManualUnmute;
        assert_eq!(look(&s), Look::Live);
        s.state = State::HoldMusic;
        s.bypass = vec!["baresip".into()];
        assert_eq!(look(&s), Look::Problem, "a mute that an app goes around");
        s.bypass.clear();
        s.state = State::ManualUnmute;
        s.problem = Some("far end lost".into());
        assert_eq!(look(&s), Look::Problem);
        s.since = 100.0;
        let t = tooltip(&s, 165.0);
        assert!(
            t.contains("LIVE") && t.contains("1:05") && t.contains("far end lost"),
            "{t}"
        );
    }
}
