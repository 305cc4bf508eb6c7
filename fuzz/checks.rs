//! What each fuzz target checks, in one place: the coverage-guided targets beside this file
//! (`scripts/fuzz.sh`) and the stable tests that mutate real inputs and replay what the fuzzer
//! found (`tests/mutations.rs`) run the same code. Each check may only fail by panicking, and a
//! panic is a bug in Hold Guard.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use holdguard::control::{answer, parse_reply, read_request, Controller};
use holdguard::guard::GuardConfig;
use holdguard::i18n::Lang;
use holdguard::journal::{self, Labels};
use holdguard::rights::{self, Call, Kind, Person, Request};
use holdguard::source::AudioSource;

/// A folder of this process's own in the temp folder, for the checks that read files.
pub fn scratch(kind: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("holdguard-fuzz-{kind}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder in the temp folder");
    dir
}

/// The audio decoder front end: the bytes open or are refused with an error, and what opens reads
/// to its end or to an error. One input in eight (by length) runs the whole analysis instead,
/// with the bytes as both tracks. Returns the samples decoded, if the bytes opened.
pub fn audio(data: &[u8], dir: &Path) -> Option<usize> {
    let path = dir.join("input");
    std::fs::write(&path, data).expect("writing the scratch file");
    if data.len().is_multiple_of(8) {
        let _ = holdguard::analyze::analyze(&path, Some(&path), &GuardConfig::default());
        return None;
    }
    let mut src = AudioSource::open(&path).ok()?;
    let (mut out, mut samples) = (Vec::new(), 0);
    // Enough for any seed and any sane mutation of one; a header that claims hours is cut here.
    for _ in 0..4_096 {
        out.clear();
        let more = src.read_into(&mut out);
        samples += out.len();
        if !matches!(more, Ok(true)) {
            break;
        }
    }
    Some(samples)
}

/// The settings file: it loads with warnings or is refused with one error; what loads saves and
/// loads again unchanged, and the guard's own reading of it (`analyze`, `eval`) holds too.
/// Returns whether it loaded.
pub fn settings(data: &[u8], dir: &Path) -> bool {
    let path = dir.join("config.toml");
    std::fs::write(&path, data).expect("writing the scratch file");
    let Ok((cfg, _)) = holdguard::config::load(&path) else {
        return false;
    };
    holdguard::config::save(&cfg, &path).expect("saving settings that loaded");
    let (again, warnings) = holdguard::config::load(&path).expect("loading what was saved");
    assert_eq!(
        again, cfg,
        "settings changed on the way through the file: {warnings:?}"
    );
    let _ = holdguard::config::load_guard(&path);
    true
}

/// The journal and the call labels (the same bytes as both): they read, damaged lines aside, and
/// everything they feed — the CSV and JSON exports and every letter in both languages for every
/// call — is made. Returns the intervals read and the letters drafted.
pub fn journal(data: &[u8], dir: &Path) -> (usize, usize) {
    let (jp, lp) = (dir.join("journal.jsonl"), dir.join("labels.json"));
    std::fs::write(&jp, data).expect("writing the scratch journal");
    std::fs::write(&lp, data).expect("writing the scratch labels");
    let contents = journal::read(&jp).expect("a journal file that exists reads");
    let (labels, _) = Labels::read(&lp).expect("a labels file that exists reads");
    let tz = jiff::tz::TimeZone::get("Europe/Amsterdam").expect("the bundled zone data");
    let all: Vec<_> = contents.intervals.iter().collect();
    let _ = journal::to_csv(&all, &labels, &tz);
    let _ = journal::to_json(&all, &labels, &tz);
    let (you, mut letters) = (Person::default(), 0);
    for (call, intervals) in journal::by_call(&contents.intervals) {
        let c = Call::new(&call, intervals.into_iter().cloned().collect())
            .expect("a call the journal grouped");
        let label = labels.get(&call);
        for kind in Kind::ALL {
            for lang in [Lang::Nl, Lang::En] {
                letters += 1;
                let _ = rights::draft(&Request {
                    kind,
                    lang,
                    call: &c,
                    label: &label,
                    you: &you,
                    to: None,
                    date: jiff::civil::date(2026, 12, 6),
                    tz: &tz,
                });
            }
        }
    }
    (all.len(), letters)
}

/// A controller with a stand-in for the guard thread that answers every request at once.
fn controller() -> &'static Arc<Controller> {
    static CTL: OnceLock<Arc<Controller>> = OnceLock::new();
    CTL.get_or_init(|| {
        let ctl = Controller::new();
        let guard = ctl.clone();
        std::thread::spawn(move || loop {
            for (_, reply) in guard.take_requests() {
                reply.send(None);
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        });
        ctl
    })
}

/// The control socket's two parsers; the first byte picks the side. Odd: the guard reads a
/// client's request line and answers it (every answer says whether it went well). Even: a client
/// reads the guard's reply line.
pub fn control(data: &[u8]) {
    let Some((&side, rest)) = data.split_first() else {
        return;
    };
    if side & 1 == 1 {
        if let Ok(line) = read_request(rest) {
            let reply = answer(controller(), &line);
            assert!(reply["ok"].is_boolean(), "a reply without ok: {reply}");
        }
    } else if let Ok(reply) = std::str::from_utf8(rest) {
        let _ = parse_reply(reply);
    }
}
