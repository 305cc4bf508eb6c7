//! Your rights after the call: letters under the GDPR (in Dutch: AVG), drafted from the log.
//!
//! Hold Guard knows when a call was, how long the caller waited and what was muted; these are
//! the facts a company needs to find the recording. From them and the user's own details
//! (settings, `[you]`) this room fills the templates in `assets/letters/{en,nl}/`: an access
//! request (art. 15), an erasure request (art. 17), an objection to recording (art. 21), and a
//! complaint to the Autoriteit Persoonsgegevens (art. 77) for when the company let the deadline
//! of art. 12(3) pass. Every letter says it is a draft for the user to check; nothing here sends
//! anything anywhere.
//!
//! Pure: the date of the letter and the time zone come in as arguments, so the same call gives
//! the same letter in a test as on the user's desk.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

use crate::journal::labels::Made;
use crate::journal::{call_start, zoned, Interval, Label};

/// Which letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Access request: a copy of the recordings and what is done with them (art. 15).
    Access,
    /// Erasure request with written confirmation (art. 17).
    Erase,
    /// Objection to recording this and future calls (art. 21).
    Object,
    /// Complaint to the Autoriteit Persoonsgegevens after a missed deadline (art. 77).
    Complaint,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Access, Kind::Erase, Kind::Object, Kind::Complaint];

    /// The name used on the command line and in the labels file.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Access => "access",
            Kind::Erase => "erase",
            Kind::Object => "object",
            Kind::Complaint => "complaint",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Whether the company owes an answer to this letter (all but the complaint).
    pub fn is_request(self) -> bool {
        self != Kind::Complaint
    }

    fn template(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::En, Kind::Access) => include_str!("../assets/letters/en/access.txt"),
            (Lang::En, Kind::Erase) => include_str!("../assets/letters/en/erase.txt"),
            (Lang::En, Kind::Object) => include_str!("../assets/letters/en/object.txt"),
            (Lang::En, Kind::Complaint) => include_str!("../assets/letters/en/complaint.txt"),
            (Lang::Nl, Kind::Access) => include_str!("../assets/letters/nl/access.txt"),
            (Lang::Nl, Kind::Erase) => include_str!("../assets/letters/nl/erase.txt"),
            (Lang::Nl, Kind::Object) => include_str!("../assets/letters/nl/object.txt"),
            (Lang::Nl, Kind::Complaint) => include_str!("../assets/letters/nl/complaint.txt"),
        }
    }

    /// "an access request under article 15 GDPR", for the complaint that cites it.
    fn as_cited(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::En, Kind::Access) => "an access request under article 15 GDPR",
            (Lang::En, Kind::Erase) => "an erasure request under article 17 GDPR",
            (Lang::En, Kind::Object) => "an objection under article 21 GDPR",
            (Lang::Nl, Kind::Access) => "een inzageverzoek op grond van artikel 15 AVG",
            (Lang::Nl, Kind::Erase) => "een verzoek om verwijdering op grond van artikel 17 AVG",
            (Lang::Nl, Kind::Object) => "een bezwaar op grond van artikel 21 AVG",
            (Lang::En, Kind::Complaint) => "a complaint",
            (Lang::Nl, Kind::Complaint) => "een klacht",
        }
    }
}

/// The letter's language: the app's.
pub use crate::i18n::Lang;

/// The user's details for letters (settings, `[you]`). Kept on this computer only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Person {
    pub name: String,
    /// Postal address; lines separated by newlines.
    pub address: String,
    pub email: String,
    /// The number the user calls from, so the company can find the call.
    pub phone: String,
}

/// One call as the journal knows it.
#[derive(Clone, Debug)]
pub struct Call {
    pub id: String,
    /// When it began (Unix seconds).
    pub start: f64,
    pub intervals: Vec<Interval>,
}

impl Call {
    /// The call `id` of the journal with its `intervals`: it began at the time its id names, or
    /// at its first interval for an id that names none. `None` without intervals.
    pub fn new(id: &str, intervals: Vec<Interval>) -> Option<Self> {
        let start = call_start(id).or_else(|| intervals.first().map(|i| i.start))?;
        Some(Self {
            id: id.to_string(),
            start,
            intervals,
        })
    }
}

/// A drafted letter.
#[derive(Clone, Debug, PartialEq)]
pub struct Letter {
    pub subject: String,
    /// The letter from the draft notice on, without the subject line.
    pub body: String,
    /// The date by which the company must answer (requests only).
    pub deadline: Option<Date>,
}

impl Letter {
    /// Subject line and body, as printed and saved.
    pub fn text(&self, lang: Lang) -> String {
        let subject = match lang {
            Lang::En => "Subject",
            Lang::Nl => "Onderwerp",
        };
        format!("{subject}: {}\n\n{}", self.subject, self.body)
    }
}

/// Why a letter cannot be drafted.
#[derive(Debug, thiserror::Error)]
pub enum RightsError {
    #[error(
        "no request letter is recorded for call {0}: a complaint follows a request the company \
         left unanswered; make one first with `holdguard letter {0} --kind access`"
    )]
    NoRequest(String),
    #[error("the date {0} is out of range")]
    Date(String),
}

/// One month after `date`, the deadline of art. 12(3) GDPR: the same day of the next month, or
/// that month's last day when it is shorter (31 January gives 28 or 29 February).
pub fn deadline(date: Date) -> Result<Date, RightsError> {
    date.checked_add(1.month())
        .map_err(|_| RightsError::Date(date.to_string()))
}

/// A recorded letter that asks the company for an answer: its kind and date.
fn request(m: &Made) -> Option<(Kind, Date)> {
    let kind = Kind::from_name(&m.kind).filter(|k| k.is_request())?;
    Some((kind, m.date.parse().ok()?))
}

/// The date by which the company must answer a recorded letter (none for a complaint, or a
/// record that cannot be read).
pub fn answer_due(m: &Made) -> Option<Date> {
    request(m).and_then(|(_, d)| deadline(d).ok())
}

/// The latest request letter recorded in `label`, if any: the one a complaint cites.
pub fn last_request(label: &Label) -> Option<(Kind, Date)> {
    label
        .letters
        .iter()
        .filter_map(request)
        .max_by_key(|(_, d)| *d)
}

/// Everything a letter is made from.
pub struct Request<'a> {
    pub kind: Kind,
    pub lang: Lang,
    pub call: &'a Call,
    pub label: &'a Label,
    pub you: &'a Person,
    /// The recipient's address (e-mail or postal), if given.
    pub to: Option<&'a str>,
    /// The letter's date.
    pub date: Date,
    pub tz: &'a TimeZone,
}

/// Drafts a letter.
pub fn draft(r: &Request) -> Result<Letter, RightsError> {
    let lang = r.lang;
    let missing = |en: &str, nl: &str| match lang {
        Lang::En => format!("[{en}]"),
        Lang::Nl => format!("[{nl}]"),
    };
    let or = |s: &str, en: &str, nl: &str| {
        let s = s.trim();
        if s.is_empty() {
            missing(en, nl)
        } else {
            s.to_string()
        }
    };
    let start = zoned(r.call.start, r.tz);
    let hold: f64 = r
        .call
        .intervals
        .iter()
        .filter(|i| i.is_hold())
        .map(|i| i.duration())
        .sum();
    let intervals = r
        .call
        .intervals
        .iter()
        .map(|i| {
            format!(
                "- {} – {} ({}): {}",
                zoned(i.start, r.tz).strftime("%H:%M:%S"),
                zoned(i.end, r.tz).strftime("%H:%M:%S"),
                duration(i.duration()),
                reason(&i.reason, lang)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let number = r.label.number.trim();
    let called = match (number.is_empty(), lang) {
        (true, _) => String::new(),
        (false, Lang::En) => format!(" on {number}"),
        (false, Lang::Nl) => format!(" op {number}"),
    };
    let company = or(&r.label.company, "company", "bedrijf");
    let deadline_date = deadline(r.date)?;
    let (request, request_date, request_deadline) = if r.kind == Kind::Complaint {
        let (kind, sent) =
            last_request(r.label).ok_or_else(|| RightsError::NoRequest(r.call.id.clone()))?;
        (
            kind.as_cited(lang).to_string(),
            long_date(sent, lang),
            long_date(deadline(sent)?, lang),
        )
    } else {
        Default::default()
    };
    let draft_notice = match lang {
        Lang::En => {
            "DRAFT: check and complete this letter before you send it. Hold Guard drafted it \
             from its log on your computer; it is not legal advice."
        }
        Lang::Nl => {
            "CONCEPT: controleer en vul deze brief aan voordat u hem verstuurt. Hold Guard heeft \
             hem opgesteld uit het logboek op uw computer; dit is geen juridisch advies."
        }
    };
    let values = [
        ("draft", draft_notice.to_string()),
        ("your_name", or(&r.you.name, "your name", "uw naam")),
        (
            "your_address",
            or(&r.you.address, "your address", "uw adres"),
        ),
        ("your_email", r.you.email.trim().to_string()),
        (
            "your_phone",
            or(&r.you.phone, "your phone number", "uw telefoonnummer"),
        ),
        ("company", company),
        ("to", r.to.unwrap_or("").trim().to_string()),
        ("letter_date", long_date(r.date, lang)),
        ("call_date", long_date(start.date(), lang)),
        ("call_time", start.strftime("%H:%M").to_string()),
        ("zone", r.tz.iana_name().unwrap_or("UTC").to_string()),
        ("called", called),
        ("hold_total", duration(hold)),
        ("intervals", intervals),
        ("deadline", long_date(deadline_date, lang)),
        ("request", request),
        ("request_date", request_date),
        ("request_deadline", request_deadline),
    ];
    let filled = fill(r.kind.template(lang), &values);
    // Empty optional lines (no e-mail, no address of the recipient) leave no gaps in the head.
    let mut text = String::new();
    let mut blank = 0;
    for line in filled.lines() {
        blank = if line.trim().is_empty() { blank + 1 } else { 0 };
        if blank < 2 {
            text.push_str(line.trim_end());
            text.push('\n');
        }
    }
    let (subject_line, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let subject = subject_line
        .split_once(": ")
        .map_or(subject_line, |(_, s)| s)
        .to_string();
    Ok(Letter {
        subject,
        body: body.to_string(),
        deadline: r.kind.is_request().then_some(deadline_date),
    })
}

/// Replaces every `{key}` of `template` in one pass, so braces in the user's own text stay
/// as they are. An unknown key is left in place (the golden tests would show it).
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| Some((close, values.iter().find(|(k, _)| *k == &after[..close])?)))
        {
            Some((close, (_, v))) => {
                out.push_str(v);
                rest = &after[close + 1..];
                // "Bank B.V." at the end of a sentence takes no second full stop.
                if v.ends_with('.') && rest.starts_with('.') {
                    rest = &rest[1..];
                }
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// "6 December 2026" / "6 december 2026".
pub fn long_date(d: Date, lang: Lang) -> String {
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    let names = match lang {
        Lang::En => EN,
        Lang::Nl => NL,
    };
    format!(
        "{} {} {}",
        d.day(),
        names[(d.month() - 1) as usize],
        d.year()
    )
}

/// "12 min 30 s", "1 h 02 min", "45 s".
fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) => format!("{h} h {m:02} min"),
    }
}

/// Why an interval was muted, in words.
fn reason(r: &str, lang: Lang) -> String {
    let (en, nl) = match r {
        "hold_music" => ("on hold, with music", "in de wacht, met muziek"),
        "silent_hold" => ("on hold, in silence", "in de wacht, stil"),
        "manual_mute" => ("muted by me", "door mij gedempt"),
        other => return other.replace('_', " "),
    };
    match lang {
        Lang::En => en.into(),
        Lang::Nl => nl.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn deadlines_clamp_to_the_end_of_shorter_months() {
        assert_eq!(deadline(date(2026, 1, 31)).unwrap(), date(2026, 2, 28));
        assert_eq!(deadline(date(2028, 1, 31)).unwrap(), date(2028, 2, 29));
        assert_eq!(deadline(date(2026, 3, 31)).unwrap(), date(2026, 4, 30));
        assert_eq!(deadline(date(2026, 12, 6)).unwrap(), date(2027, 1, 6));
        assert!(deadline(date(9999, 12, 31)).is_err());
    }

    #[test]
    fn user_text_with_braces_is_not_filled_again() {
        let values = [("a", "{b}".to_string()), ("b", "x".to_string())];
        assert_eq!(fill("{a} {b} {c} {", &values), "{b} x {c} {");
        let values = [("co", "Bank B.V.".to_string())];
        assert_eq!(
            fill("about {co}. And {co}, too", &values),
            "about Bank B.V. And Bank B.V., too"
        );
    }

    #[test]
    fn durations_and_dates_read_as_words() {
        assert_eq!(duration(45.4), "45 s");
        assert_eq!(duration(750.0), "12 min 30 s");
        assert_eq!(duration(3720.0), "1 h 02 min");
        assert_eq!(long_date(date(2027, 3, 1), Lang::Nl), "1 maart 2027");
        assert_eq!(Lang::from_locale("nl_BE.UTF-8"), Lang::Nl);
        assert_eq!(Lang::from_locale("C.UTF-8"), Lang::En);
    }
}
