//! The window's logic, driven headless through egui_kittest (AccessKit queries, real clicks).
//!
//! A small stand-in for the guard thread applies queued requests with the real policy and the
//! real journal functions, so what the window asks for really happens.
// The window exists only in builds with the `desktop` feature (on by default) on Unix.
#![cfg(all(unix, feature = "desktop"))]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use holdguard::config::Config;
use holdguard::control::{Controller, Request, State};
use holdguard::guard::{Guard, GuardConfig};
use holdguard::journal::Journal;
use holdguard::live::RunOptions;
use holdguard::ui::view::{Tab, View};

struct Fixture {
    ctl: Arc<Controller>,
    dir: PathBuf,
    journal: PathBuf,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.ctl.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fixture(name: &str) -> Fixture {
    // These tests read English labels.
    holdguard::i18n::set(holdguard::i18n::Lang::En);
    let dir = std::env::temp_dir().join(format!("hg-ui-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("journal.jsonl");
    let ctl = Controller::new();
    let (c, j) = (ctl.clone(), journal.clone());
    let thread = std::thread::spawn(move || {
        let mut guard = Guard::new(GuardConfig::default(), 0.016);
        while !c.stopping() {
            for (req, reply) in c.take_requests() {
                let err = match req {
                    Request::Command(cmd) => {
                        guard.command(cmd, 0.0);
                        None
                    }
                    Request::Delete(which) => holdguard::journal::delete_intervals(&j, &which)
                        .err()
                        .map(|e| e.to_string()),
                };
                let state = State::from_mode(guard.mode());
                c.update(|s| s.state = state);
                reply.send(err);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    Fixture {
        ctl,
        dir,
        journal,
        thread: Some(thread),
    }
}

fn view(f: &Fixture) -> View {
    let mut v = View::new(
        f.ctl.clone(),
        Config::default(),
        Some(f.dir.join("config.toml")),
        Some(f.journal.clone()),
        Arc::new(Mutex::new(RunOptions::default())),
    );
    v.settings.autostart = Some(f.dir.join("autostart/holdguard.desktop"));
    v.settings.devices = Some(Ok(vec![holdguard::live::DeviceInfo {
        id: "pipewire:sink_b".into(),
        description: "Null Output".into(),
        input: true,
        ..Default::default()
    }]));
    v.log.export_dir = f.dir.join("exports");
    v
}

fn harness(v: View) -> Harness<'static, View> {
    Harness::builder()
        .with_size([700.0, 800.0])
        .build_ui_state(|ui, v: &mut View| v.ui(ui), v)
}

/// Steps the UI until `cond` holds (the guard stand-in answers within milliseconds).
fn until(h: &mut Harness<'_, View>, mut cond: impl FnMut(&mut Harness<'_, View>) -> bool) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(3) {
        h.run_steps(2);
        if cond(h) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("condition not met within 3 s");
}

#[test]
fn the_mute_button_and_pause_switch_drive_the_guard() {
    let f = fixture("buttons");
    f.ctl.update(|s| s.state = State::Live);
    let mut h = harness(view(&f));
    h.run_steps(2);
    h.get_by_label("LIVE");
    h.get_by_label("Mute microphone").click();
    until(&mut h, |h| h.query_by_label("MUTED — manual").is_some());
    assert_eq!(f.ctl.status().state, State::ManualMute);
    h.get_by_label("Unmute microphone").click();
    until(&mut h, |h| {
        h.query_by_label("LIVE — unmuted by hand").is_some()
    });
    h.get_by_label("Pause guarding").click();
    until(&mut h, |h| h.query_by_label("PAUSED").is_some());
    h.get_by_label("Pause guarding").click();
    until(&mut h, |h| h.query_by_label("LIVE").is_some());
}

#[test]
fn the_guard_page_says_when_the_shortcut_and_tray_are_missing() {
    let f = fixture("hotkey");
    let mut v = view(&f);
    v.hotkey = holdguard::ui::hotkey::Availability::Unavailable(
        "global shortcuts need X11 and this is a Wayland session".into(),
    );
    v.tray_problem = Some("no system tray (no session bus)".into());
    f.ctl.update(|s| {
        s.problem = Some("the far end stopped delivering audio".into());
        s.bypass = vec!["baresip".into()];
    });
    let mut h = harness(v);
    h.run_steps(2);
    h.get_by_label_contains("this is a Wayland session");
    h.get_by_label_contains("holdguard toggle");
    h.get_by_label_contains("closing this window quits");
    h.get_by_label_contains("the far end stopped delivering audio");
    h.get_by_label_contains("Not guarded: baresip records your microphone directly");
}

#[test]
fn speaking_while_muted_is_shown_in_the_banner() {
    let f = fixture("muted-speech");
    let v = view(&f);
    f.ctl.update(|s| {
        s.state = holdguard::control::State::HoldMusic;
        s.speaking_muted = true;
    });
    let mut h = harness(v);
    h.run_steps(2);
    h.get_by_label("You're muted — not sent");
    f.ctl.update(|s| s.speaking_muted = false);
    h.run_steps(2);
    assert!(h.query_by_label("You're muted — not sent").is_none());
}

fn seed_journal(path: &std::path::Path) -> f64 {
    let now = holdguard::control::now_unix();
    // Two calls at 01:00 UTC today (so always in this week and on this date), one three weeks ago.
    let base = holdguard::journal::parse_date(&holdguard::journal::day_of(now)).unwrap() + 3600.0;
    let (mut j, _) = Journal::open(path).unwrap();
    j.open_interval("old", base - 21.0 * 86_400.0, "hold_music")
        .unwrap();
    j.close_interval(base - 21.0 * 86_400.0 + 600.0, "agent_speech")
        .unwrap();
    j.open_interval("a", base, "hold_music").unwrap();
    j.close_interval(base + 120.0, "agent_speech").unwrap();
    j.open_interval("b", base + 1000.0, "silent_hold").unwrap();
    j.close_interval(base + 1060.0, "agent_speech").unwrap();
    j.open_interval("b", base + 1100.0, "manual_mute").unwrap();
    j.close_interval(base + 1130.0, "manual_unmute").unwrap();
    now
}

#[test]
fn the_log_view_totals_filters_exports_and_deletes() {
    let f = fixture("log");
    let now = seed_journal(&f.journal);
    let mut v = view(&f);
    v.tab = Tab::Log;
    let mut h = harness(v);
    h.run_steps(2);
    // This week: 2 min + 1 min on hold, 3.5 min muted (manual mute counts as muted, not hold).
    h.get_by_label("On hold 3:00 this week, microphone muted for 3:30");
    h.get_by_label_contains("Shown: 3 calls");
    // Filter to today: the old call goes.
    h.state_mut().log.from = holdguard::journal::day_of(now);
    h.run_steps(2);
    h.get_by_label_contains("Shown: 2 calls, on hold 3:00, muted 3:30 in 3 intervals");
    assert!(h.query_by_label_contains("Week of").is_some());

    // Export CSV of all shown.
    h.get_by_label("Export CSV").click();
    h.run_steps(2);
    let csv = std::fs::read_to_string(f.dir.join("exports").join(format!(
        "holdguard-log-{}.csv",
        holdguard::journal::day_of(now)
    )))
    .unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(!csv.lines().any(|l| l.starts_with("old,")), "{csv}");
    h.get_by_label_contains("Exported 3 intervals (all shown)");

    // Tick call "b" only, export JSON, then delete it after confirming.
    h.state_mut().log.selected.insert("b".into());
    h.run_steps(2);
    h.get_by_label("Export JSON").click();
    h.run_steps(2);
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.dir.join("exports").join(format!(
            "holdguard-log-{}.json",
            holdguard::journal::day_of(now)
        )))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(json["total"]["calls"], 1);
    assert_eq!(json["total"]["muted_s"], 90.0);

    h.get_by_label("Delete…").click();
    h.run_steps(2);
    h.get_by_label_contains("2 intervals of 1 call will be removed");
    // Cancel first: nothing goes.
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert_eq!(
        holdguard::journal::read(&f.journal)
            .unwrap()
            .intervals
            .len(),
        4
    );
    h.get_by_label("Delete…").click();
    h.run_steps(2);
    h.get_by_label("Delete").click();
    until(&mut h, |h| h.query_by_label("Deleted.").is_some());
    let left = holdguard::journal::read(&f.journal).unwrap().intervals;
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|i| i.call != "b"));
    h.get_by_label_contains("Shown: 1 call");
}

#[test]
fn a_bad_date_filter_is_named_and_shows_everything() {
    let f = fixture("baddate");
    seed_journal(&f.journal);
    let mut v = view(&f);
    v.tab = Tab::Log;
    v.log.from = "28/11/2026".into();
    let mut h = harness(v);
    h.run_steps(2);
    h.get_by_label("From \"28/11/2026\" is not a date: use YYYY-MM-DD");
    h.get_by_label_contains("Shown: 3 calls");
}

#[test]
fn settings_save_atomically_restart_the_guard_and_refuse_bad_shortcuts() {
    let f = fixture("settings");
    let mut v = view(&f);
    v.tab = Tab::Settings;
    let mut h = harness(v);
    h.run_steps(2);
    h.get_by_label("Silent-hold delay");
    // A bad shortcut is refused and nothing is written.
    h.state_mut().settings.edit.hotkey = "Ctrl+Banana".into();
    h.run_steps(2);
    h.get_by_label("Save").click();
    h.run_steps(2);
    h.get_by_label_contains("Not saved: \"Ctrl+Banana\" is not a shortcut");
    assert!(!f.dir.join("config.toml").exists());
    // A good change is saved, handed to the guard, and the guard restarted.
    {
        let s = &mut h.state_mut().settings.edit;
        s.hotkey = "Ctrl+Alt+H".into();
        s.guard.silent_hold_delay_s = 9.0;
        s.devices.mic = "pipewire:sink_b".into();
        s.start_at_login = true;
    }
    h.run_steps(2);
    h.get_by_label("Save").click();
    h.run_steps(2);
    h.get_by_label_contains("the guard restarted");
    let (saved, warnings) = holdguard::config::load(&f.dir.join("config.toml")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(saved.guard.silent_hold_delay_s, 9.0);
    assert_eq!(saved.hotkey, "Ctrl+Alt+H");
    assert!(f.ctl.take_restart());
    let o = h.state().run_opts.lock().unwrap().clone();
    assert_eq!(o.mic.as_deref(), Some("pipewire:sink_b"));
    assert_eq!(o.guard.silent_hold_delay_s, 9.0);
    assert!(h.state().hotkey_changed);
    assert!(f.dir.join("autostart/holdguard.desktop").is_file());
    // Start at login off again removes the entry.
    h.state_mut().settings.edit.start_at_login = false;
    h.run_steps(2);
    h.get_by_label("Save").click();
    h.run_steps(2);
    assert!(!f.dir.join("autostart/holdguard.desktop").exists());
    assert!(
        !f.ctl.take_restart(),
        "only the guard's own settings restart it"
    );
}

#[test]
fn a_call_is_named_and_gets_a_letter_the_log_remembers() {
    let f = fixture("rights");
    seed_journal(&f.journal);
    let mut v = view(&f);
    v.tab = Tab::Log;
    v.settings.saved.you = holdguard::rights::Person {
        name: "Anna de Vries".into(),
        address: "Keizersgracht 1\n1015 AA Amsterdam".into(),
        ..Default::default()
    };
    let mut h = harness(v);
    h.run_steps(2);
    // The newest call first: "b".
    h.get_all_by_label("Name…").next().unwrap().click();
    h.run_steps(2);
    let company = h.get_by_label("Company");
    company.focus();
    company.type_text("Bank <&> \"Zoë\"");
    h.run_steps(2);
    h.get_by_label("Save name").click();
    h.run_steps(2);
    h.get_by_label_contains("— Bank <&> \"Zoë\": on hold");
    let (labels, _) =
        holdguard::journal::Labels::read(&holdguard::journal::labels::path_for(&f.journal))
            .unwrap();
    assert_eq!(labels.get("b").company, "Bank <&> \"Zoë\"");

    h.get_all_by_label("Your rights…").next().unwrap().click();
    // A modal's first frames measure and then place it: click once it has settled.
    until(&mut h, |h| h.query_by_label("Nederlands").is_some());
    h.run_steps(2);
    h.get_by_label("Nederlands").click();
    h.run_steps(2);
    h.get_by_label("Save as text").click();
    h.run_steps(2);
    let saved = f.dir.join("exports/holdguard-letter-b-access-nl.txt");
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(text.starts_with("Onderwerp: Inzageverzoek"), "{text}");
    assert!(text.contains("Aan: Bank <&> \"Zoë\""), "{text}");
    assert!(
        text.contains("Anna de Vries\nKeizersgracht 1\n1015 AA Amsterdam"),
        "{text}"
    );
    h.get_by_label_contains("Saved to");
    // A complaint now has a request to cite.
    h.get_by_label("Complaint to the AP (art. 77)").click();
    h.run_steps(2);
    h.get_by_label("Save as text").click();
    h.run_steps(2);
    let text =
        std::fs::read_to_string(f.dir.join("exports/holdguard-letter-b-complaint-nl.txt")).unwrap();
    assert!(
        text.contains("een inzageverzoek op grond van artikel 15 AVG"),
        "{text}"
    );
    h.get_by_label("Close").click();
    h.run_steps(2);
    // The log remembers both letters, and when the company must answer the request.
    h.get_by_label_contains("Access request (art. 15) of");
    h.get_by_label_contains(": answer due");
    let (labels, _) =
        holdguard::journal::Labels::read(&holdguard::journal::labels::path_for(&f.journal))
            .unwrap();
    let kinds: Vec<String> = labels
        .get("b")
        .letters
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(kinds, ["access", "complaint"]);
}
