//! The window in Dutch: every page, the naming editor, the letter dialog and the delete
//! confirmation are drawn with the language set to Dutch, and no English text of the English
//! message file may be on screen. A test binary of its own, because the language is a
//! process-wide setting and the other window tests read English labels.
// The window exists only in builds with the `desktop` feature (on by default) on Unix.
#![cfg(all(unix, feature = "desktop"))]

use std::cell::RefCell;
use std::sync::{Arc, Mutex};

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use holdguard::config::Config;
use holdguard::control::{Controller, State};
use holdguard::i18n::Lang;
use holdguard::journal::Journal;
use holdguard::live::RunOptions;
use holdguard::ui::view::{Tab, View};

/// English message texts without placeables that differ from their Dutch text: none of these
/// may show on a Dutch screen.
fn english_only() -> Vec<String> {
    let parse = |src: &str| -> Vec<(String, String)> {
        src.lines()
            .filter(|l| !l.starts_with([' ', '#']) && l.contains(" = "))
            .filter_map(|l| {
                let (k, v) = l.split_once(" = ")?;
                Some((k.trim().to_string(), v.trim().to_string()))
            })
            .collect()
    };
    let root = env!("CARGO_MANIFEST_DIR");
    let en =
        parse(&std::fs::read_to_string(format!("{root}/assets/i18n/en/holdguard.ftl")).unwrap());
    let nl =
        parse(&std::fs::read_to_string(format!("{root}/assets/i18n/nl/holdguard.ftl")).unwrap());
    en.into_iter()
        .filter(|(k, v)| {
            !v.contains('{')
                && nl
                    .iter()
                    .find(|(nk, _)| nk == k)
                    .is_some_and(|(_, nv)| nv != v)
        })
        .map(|(_, v)| v)
        .collect()
}

/// Every label and value on screen.
fn texts(h: &Harness<'_, View>) -> Vec<String> {
    let seen = RefCell::new(Vec::new());
    let _ = h
        .query_all_by(|n| {
            seen.borrow_mut().extend(n.label());
            seen.borrow_mut().extend(n.value());
            false
        })
        .count();
    seen.into_inner()
}

fn no_english(h: &Harness<'_, View>, page: &str, english: &[String]) -> usize {
    let shown = texts(h);
    for text in &shown {
        for e in english {
            // Short words only as whole labels ("Log" is inside "Logboek").
            let hit = if e.len() >= 12 {
                text.contains(e.as_str())
            } else {
                text.trim() == e
            };
            assert!(!hit, "{page}: English {e:?} on a Dutch screen, in {text:?}");
        }
    }
    shown.len()
}

#[test]
fn a_dutch_screen_has_no_english_on_it() {
    holdguard::i18n::set(Lang::Nl);
    let english = english_only();
    assert!(english.len() > 100, "{}", english.len());
    let dir = std::env::temp_dir().join(format!("hg-ui-nl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("journal.jsonl");
    let now = holdguard::control::now_unix();
    let (mut j, _) = Journal::open(&journal).unwrap();
    j.open_interval("2026-11-28-09-00-00", now - 900.0, "hold_music")
        .unwrap();
    j.close_interval(now - 300.0, "agent_speech").unwrap();
    drop(j);
    let ctl = Controller::new();
    ctl.update(|s| {
        s.state = State::HoldMusic;
        s.reason = Some("hold_music".into());
        s.speaking_muted = true;
        s.bypass = vec!["baresip".into()];
    });
    let mut v = View::new(
        ctl.clone(),
        Config::default(),
        Some(dir.join("config.toml")),
        Some(journal.clone()),
        Arc::new(Mutex::new(RunOptions::default())),
    );
    v.settings.devices = Some(Ok(vec![holdguard::live::DeviceInfo {
        id: "pipewire:sink_b".into(),
        description: "Null Output".into(),
        input: true,
        ..Default::default()
    }]));
    v.hotkey = holdguard::ui::hotkey::Availability::Unavailable(holdguard::tr!(
        "hotkey-wayland",
        error = "x"
    ));
    v.tray_problem = Some("geen sessiebus".into());
    let mut h = Harness::builder()
        .with_size([900.0, 1000.0])
        .build_ui_state(|ui, v: &mut View| v.ui(ui), v);
    h.run_steps(3);
    h.get_by_label("GEDEMPT — wachtmuziek");
    h.get_by_label("Microfoon openen");
    let mut seen = no_english(&h, "guard", &english);

    h.state_mut().tab = Tab::Log;
    h.run_steps(3);
    h.get_by_label_contains("Deze week");
    h.get_by_label("Naam geven…").click();
    h.run_steps(3);
    h.get_by_label("Bedrijf");
    seen += no_english(&h, "log, naming a call", &english);
    h.get_by_label("Annuleren").click();
    h.run_steps(2);
    h.get_by_label("Verwijderen…").click();
    h.run_steps(4);
    seen += no_english(&h, "log, delete", &english);
    h.get_by_label("Annuleren").click();
    h.run_steps(2);
    h.get_by_label("Je rechten…").click();
    for _ in 0..4 {
        h.run_steps(1);
    }
    h.get_by_label("Inzageverzoek (art. 15)");
    let letter = texts(&h)
        .into_iter()
        .find(|t| t.starts_with("Onderwerp: "))
        .expect("the letter");
    assert!(letter.contains("Geachte heer, mevrouw"), "{letter}");
    seen += no_english(&h, "letter", &english);
    h.get_by_label("Sluiten").click();
    h.run_steps(2);

    h.state_mut().tab = Tab::Settings;
    h.run_steps(3);
    h.get_by_label("Taal");
    seen += no_english(&h, "settings", &english);
    assert!(seen > 100, "only {seen} texts looked at");
    let _ = std::fs::remove_dir_all(&dir);
}
