//! The rights letters, word for word: each kind in each language for one fixed call, compared
//! with the golden files in `tests/golden/` (`UPDATE_GOLDEN=1` rewrites them after a deliberate
//! change; read the diff before committing it).
//!
//! The call crosses the night the clocks went forward in Amsterdam (29 March 2026, 02:00 CET to
//! 03:00 CEST), and the letter is dated the last day of March, so the deadline has to land on the
//! last day of April.

use holdguard::journal::{labels::Made, Interval, Label};
use holdguard::rights::{draft, Call, Kind, Lang, Person, Request};
use jiff::civil::date;
use jiff::tz::TimeZone;

fn call() -> Call {
    let at = |s: &str| holdguard::journal::call_start(s).unwrap();
    let iv = |a: &str, b: &str, reason: &str, by: &str| Interval {
        call: "2026-03-29-00-50-00".into(),
        start: at(a),
        end: at(b),
        reason: reason.into(),
        closed_by: by.into(),
    };
    Call {
        id: "2026-03-29-00-50-00".into(),
        start: at("2026-03-29-00-50-00"),
        intervals: vec![
            iv(
                "2026-03-29-00-50-02",
                "2026-03-29-00-50-40",
                "silent_hold",
                "agent_speech",
            ),
            iv(
                "2026-03-29-00-52-10",
                "2026-03-29-01-05-40",
                "hold_music",
                "agent_speech",
            ),
            iv(
                "2026-03-29-01-07-00",
                "2026-03-29-01-07-20",
                "manual_mute",
                "manual_unmute",
            ),
        ],
    }
}

fn you() -> Person {
    Person {
        name: "Anna de Vries".into(),
        address: "Keizersgracht 1\n1015 AA Amsterdam".into(),
        email: "anna@example.nl".into(),
        phone: "+31 6 1234 5678".into(),
    }
}

fn label() -> Label {
    Label {
        company: "Voorbeeld Verzekeringen B.V.".into(),
        number: "+31 20 123 4567".into(),
        note: "claim 4471".into(),
        letters: vec![Made {
            kind: "access".into(),
            lang: "nl".into(),
            date: "2026-03-31".into(),
        }],
    }
}

#[test]
fn every_letter_matches_its_golden_file() {
    let tz = TimeZone::get("Europe/Amsterdam").unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let (call, you, label) = (call(), you(), label());
    let mut wrong = Vec::new();
    for lang in [Lang::En, Lang::Nl] {
        for kind in Kind::ALL {
            let d = if kind == Kind::Complaint {
                date(2026, 5, 4)
            } else {
                date(2026, 3, 31)
            };
            let letter = draft(&Request {
                kind,
                lang,
                call: &call,
                label: &label,
                you: &you,
                to: Some("privacy@voorbeeld.example"),
                date: d,
                tz: &tz,
            })
            .unwrap();
            if kind.is_request() {
                assert_eq!(letter.deadline, Some(date(2026, 4, 30)));
            }
            let text = letter.text(lang);
            assert!(
                !text.contains('{'),
                "{kind:?} {lang:?}: a key was not filled"
            );
            let path = dir.join(format!("letter-{}-{}.txt", lang.code(), kind.name()));
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::write(&path, &text).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                wrong.push(format!("{}:\n{text}", path.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "letters differ from their golden files:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn missing_details_are_marked_for_the_user_and_odd_text_stays_as_typed() {
    let tz = TimeZone::UTC;
    let call = call();
    let label = Label {
        company: "A&B <Zoë> {company} \"quoted\"".into(),
        ..Label::default()
    };
    let you = Person::default();
    let r = |lang| Request {
        kind: Kind::Erase,
        lang,
        call: &call,
        label: &label,
        you: &you,
        to: None,
        date: date(2028, 1, 31),
        tz: &tz,
    };
    let en = draft(&r(Lang::En)).unwrap();
    assert_eq!(en.deadline, Some(date(2028, 2, 29)));
    let text = en.text(Lang::En);
    assert!(
        text.contains("[your name]") && text.contains("[your address]"),
        "{text}"
    );
    assert!(
        text.contains("To: A&B <Zoë> {company} \"quoted\""),
        "{text}"
    );
    assert!(text.contains("by 29 February 2028"), "{text}");
    // No gap where the e-mail address and the recipient's address would be.
    assert!(!text.contains("\n\n\n"), "{text}");
    let nl = draft(&r(Lang::Nl)).unwrap().text(Lang::Nl);
    assert!(
        nl.contains("[uw naam]") && nl.contains("uiterlijk op 29 februari 2028"),
        "{nl}"
    );
    assert!(nl.starts_with("Onderwerp: Verzoek om verwijdering"), "{nl}");
}

#[test]
fn a_complaint_needs_a_request_to_cite() {
    let tz = TimeZone::UTC;
    let call = call();
    let (you, label) = (you(), Label::default());
    let err = draft(&Request {
        kind: Kind::Complaint,
        lang: Lang::En,
        call: &call,
        label: &label,
        you: &you,
        to: None,
        date: date(2026, 6, 1),
        tz: &tz,
    })
    .unwrap_err();
    assert!(err.to_string().contains("--kind access"), "{err}");
}
