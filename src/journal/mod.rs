//! The journal: a durable log of muted intervals, never of audio.
//!
//! Append-only JSON Lines in the platform data directory (`~/.local/share/holdguard/journal.jsonl`
//! on Linux), created with mode 0600. A line is written, flushed and fsynced when an interval
//! opens and another when it closes, so a crash loses nothing that was decided. While an interval
//! is open the guard also rewrites a small heartbeat file; on the next start an interval that was
//! never closed is closed at the last heartbeat with the reason "ended unexpectedly". A line that
//! cannot be parsed (a torn write, a hand edit) is skipped with a warning, never fatal.

pub mod labels;
mod time;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use labels::{Label, Labels};
pub use time::{
    call_start, day_of, format_local, format_utc, iso_local, local_zone, parse_date, week_of, zoned,
};

/// Why a muted interval ended.
pub const ENDED_UNEXPECTEDLY: &str = "ended unexpectedly";

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// A muted interval began (`start` in seconds since the Unix epoch).
    Open {
        call: String,
        start: f64,
        reason: String,
    },
    /// It ended.
    Close {
        call: String,
        start: f64,
        end: f64,
        reason: String,
        closed_by: String,
    },
}

/// A muted interval read back from the journal.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Interval {
    pub call: String,
    pub start: f64,
    pub end: f64,
    pub reason: String,
    pub closed_by: String,
}

impl Interval {
    /// Seconds muted.
    pub fn duration(&self) -> f64 {
        (self.end - self.start).max(0.0)
    }
    /// Whether this interval is the guard muting a hold (not the user muting by hand).
    pub fn is_hold(&self) -> bool {
        matches!(self.reason.as_str(), "hold_music" | "silent_hold")
    }
}

/// Errors of the journal; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{path}: {what}: {source}")]
    Io {
        path: PathBuf,
        what: &'static str,
        source: std::io::Error,
    },
}

fn io<'a>(path: &'a Path, what: &'static str) -> impl FnOnce(std::io::Error) -> JournalError + 'a {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        what,
        source,
    }
}

/// Where the journal lives unless told otherwise.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "holdguard").map(|d| d.data_dir().join("journal.jsonl"))
}

/// Everything in a journal file, and what could not be read.
#[derive(Debug, Default)]
pub struct Contents {
    /// Closed intervals, in file order.
    pub intervals: Vec<Interval>,
    /// Intervals opened and never closed.
    pub unclosed: Vec<(String, f64, String)>,
    /// One line per skipped line: "line N: why".
    pub warnings: Vec<String>,
}

/// Reads a journal. A missing file is an empty journal.
pub fn read(path: &Path) -> Result<Contents, JournalError> {
    let mut c = Contents::default();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(c),
        Err(e) => return Err(io(path, "cannot read the journal")(e)),
    };
    for (i, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(io(path, "cannot read the journal"))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Record>(&line) {
            Ok(Record::Open {
                call,
                start,
                reason,
            }) => c.unclosed.push((call, start, reason)),
            Ok(Record::Close {
                call,
                start,
                end,
                reason,
                closed_by,
            }) => {
                c.unclosed
                    .retain(|(oc, os, _)| !(oc == &call && (os - start).abs() < 1e-6));
                c.intervals.push(Interval {
                    call,
                    start,
                    end,
                    reason,
                    closed_by,
                });
            }
            Err(e) => c.warnings.push(format!(
                "line {}: skipped, not a journal record ({e})",
                i + 1
            )),
        }
    }
    Ok(c)
}

/// The open journal of a running guard.
pub struct Journal {
    path: PathBuf,
    heartbeat: PathBuf,
    file: File,
    open: Option<(String, f64, String)>,
}

impl Journal {
    /// Opens (creating with mode 0600) the journal at `path`, and closes any interval a previous
    /// run left open at its last heartbeat. Returns the journal and the intervals it recovered.
    pub fn open(path: &Path) -> Result<(Self, Vec<Interval>), JournalError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir, "cannot create the journal folder"))?;
        }
        let contents = read(path)?;
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(path)
            .map_err(io(path, "cannot open the journal"))?;
        let heartbeat = path.with_extension("heartbeat");
        let mut j = Self {
            path: path.to_path_buf(),
            heartbeat,
            file,
            open: None,
        };
        let last_beat = j.last_heartbeat();
        let mut recovered = Vec::new();
        for (call, start, reason) in contents.unclosed {
            let end = last_beat.filter(|b| *b >= start).unwrap_or(start);
            j.write(&Record::Close {
                call: call.clone(),
                start,
                end,
                reason: reason.clone(),
                closed_by: ENDED_UNEXPECTEDLY.into(),
            })?;
            recovered.push(Interval {
                call,
                start,
                end,
                reason,
                closed_by: ENDED_UNEXPECTEDLY.into(),
            });
        }
        Ok((j, recovered))
    }

    /// Path of the journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records that the microphone was muted at `start` (Unix seconds). An interval still open is
    /// closed first at the same instant.
    pub fn open_interval(
        &mut self,
        call: &str,
        start: f64,
        reason: &str,
    ) -> Result<(), JournalError> {
        if self.open.is_some() {
            self.close_interval(start, reason)?;
        }
        self.write(&Record::Open {
            call: call.into(),
            start,
            reason: reason.into(),
        })?;
        self.open = Some((call.into(), start, reason.into()));
        self.beat(start)
    }

    /// Records that the open interval ended at `end`, and why. Does nothing when none is open.
    pub fn close_interval(&mut self, end: f64, closed_by: &str) -> Result<(), JournalError> {
        let Some((call, start, reason)) = self.open.take() else {
            return Ok(());
        };
        self.write(&Record::Close {
            call,
            start,
            end: end.max(start),
            reason,
            closed_by: closed_by.into(),
        })
    }

    /// Removes closed intervals (see [`delete_intervals`]); the open one, if any, stays. Reopens
    /// the append handle on the new file.
    pub fn delete(&mut self, which: &[(String, f64)]) -> Result<usize, JournalError> {
        let which: Vec<(String, f64)> = which
            .iter()
            .filter(|(c, s)| {
                !self
                    .open
                    .as_ref()
                    .is_some_and(|(oc, os, _)| oc == c && (os - s).abs() < 1e-6)
            })
            .cloned()
            .collect();
        let n = delete_intervals(&self.path, &which)?;
        if n > 0 {
            self.file = OpenOptions::new()
                .append(true)
                .open(&self.path)
                .map_err(io(&self.path, "cannot reopen the journal"))?;
        }
        Ok(n)
    }

    /// Whether an interval is open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Notes that the guard is alive at `now` while an interval is open (call every few seconds).
    pub fn heartbeat(&mut self, now: f64) -> Result<(), JournalError> {
        if self.open.is_some() {
            self.beat(now)?;
        }
        Ok(())
    }

    fn beat(&self, now: f64) -> Result<(), JournalError> {
        // Written to a temporary file and renamed, so a crash mid-write leaves the previous beat.
        let tmp = self.heartbeat.with_extension("heartbeat.tmp");
        let mut f = File::create(&tmp).map_err(io(&tmp, "cannot write the heartbeat"))?;
        f.write_all(format!("{now}\n").as_bytes())
            .map_err(io(&tmp, "cannot write the heartbeat"))?;
        f.sync_all()
            .map_err(io(&tmp, "cannot write the heartbeat"))?;
        std::fs::rename(&tmp, &self.heartbeat)
            .map_err(io(&self.heartbeat, "cannot write the heartbeat"))
    }

    fn last_heartbeat(&self) -> Option<f64> {
        std::fs::read_to_string(&self.heartbeat)
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn write(&mut self, r: &Record) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(r).expect("records serialise");
        line.push(b'\n');
        self.file
            .write_all(&line)
            .map_err(io(&self.path, "cannot append to the journal"))?;
        self.file
            .flush()
            .map_err(io(&self.path, "cannot append to the journal"))?;
        self.file
            .sync_data()
            .map_err(io(&self.path, "cannot sync the journal"))
    }
}

/// Removes the intervals `which` ((call, start) pairs) from the journal at `path`, keeping every
/// other line (unreadable ones too: they are not ours to drop). The file is rewritten to a
/// temporary file (mode 0600), synced and renamed over the old one, so a crash leaves either the
/// old or the new journal, never half of one. Returns how many intervals went.
///
/// Only the process that writes the journal may call this while guarding (it must reopen its
/// append handle afterwards): see [`Journal::delete`].
pub fn delete_intervals(path: &Path, which: &[(String, f64)]) -> Result<usize, JournalError> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io(path, "cannot read the journal")(e)),
    };
    let doomed = |call: &str, start: f64| {
        which
            .iter()
            .any(|(c, s)| c == call && (s - start).abs() < 1e-6)
    };
    let mut kept = Vec::with_capacity(text.len());
    let mut removed = 0;
    for line in text.split_inclusive(|b| *b == b'\n') {
        let drop = match serde_json::from_slice::<Record>(line) {
            Ok(Record::Open { call, start, .. }) => doomed(&call, start),
            Ok(Record::Close { call, start, .. }) => {
                let d = doomed(&call, start);
                removed += d as usize;
                d
            }
            Err(_) => false,
        };
        if !drop {
            kept.extend_from_slice(line);
        }
    }
    if removed == 0 {
        return Ok(0);
    }
    let tmp = path.with_extension("jsonl.tmp");
    let mut options = OpenOptions::new();
    options.create(true).write(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(&tmp)
        .map_err(io(&tmp, "cannot write the new journal"))?;
    f.write_all(&kept)
        .and_then(|_| f.sync_all())
        .map_err(io(&tmp, "cannot write the new journal"))?;
    std::fs::rename(&tmp, path).map_err(io(path, "cannot replace the journal"))?;
    Ok(removed)
}

/// Seconds on hold (intervals the guard muted for a hold) and seconds muted (all intervals).
pub fn totals<'a>(intervals: impl IntoIterator<Item = &'a Interval>) -> (f64, f64) {
    intervals.into_iter().fold((0.0, 0.0), |(h, m), i| {
        (
            h + if i.is_hold() { i.duration() } else { 0.0 },
            m + i.duration(),
        )
    })
}

/// (key, seconds on hold, seconds muted) per value of `key` (e.g. [`day_of`] or [`week_of`] of
/// the interval's start), in key order.
pub fn totals_by<'a>(
    intervals: impl IntoIterator<Item = &'a Interval>,
    key: impl Fn(f64) -> String,
) -> Vec<(String, f64, f64)> {
    let mut map: std::collections::BTreeMap<String, (f64, f64)> = Default::default();
    for i in intervals {
        let e = map.entry(key(i.start)).or_default();
        let (h, m) = totals([i]);
        e.0 += h;
        e.1 += m;
    }
    map.into_iter().map(|(k, (h, m))| (k, h, m)).collect()
}

/// A CSV field: quoted when it holds a comma, quote, newline or leading/trailing space, and
/// with a leading `=` or `@` defused so a spreadsheet shows it instead of computing it (a leading
/// `+` stays: phone numbers start with it).
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Intervals as CSV, one row per interval, with the call's label; times in ISO 8601 with the
/// offset of `tz`.
pub fn to_csv(intervals: &[&Interval], labels: &Labels, tz: &jiff::tz::TimeZone) -> String {
    let mut s = String::from("call,company,number,note,start,end,duration_s,reason,closed_by\n");
    for i in intervals {
        let l = labels.get(&i.call);
        let row = [
            csv_field(&i.call),
            csv_field(&l.company),
            csv_field(&l.number),
            csv_field(&l.note),
            iso_local(i.start, tz),
            iso_local(i.end, tz),
            format!("{:.1}", i.duration()),
            csv_field(&i.reason),
            csv_field(&i.closed_by),
        ];
        s.push_str(&row.join(","));
        s.push('\n');
    }
    s
}

/// Intervals as JSON, grouped by call with totals and labels; times in ISO 8601 with the offset
/// of `tz` (and Unix seconds, as in the journal).
pub fn to_json(
    intervals: &[&Interval],
    labels: &Labels,
    tz: &jiff::tz::TimeZone,
) -> serde_json::Value {
    let tenth = |x: f64| (x * 10.0).round() / 10.0;
    let owned: Vec<Interval> = intervals.iter().map(|i| (*i).clone()).collect();
    let calls = by_call(&owned);
    let (hold, muted) = totals(intervals.iter().copied());
    serde_json::json!({
        "calls": calls.iter().map(|(c, v)| {
            let (h, m) = totals(v.iter().copied());
            let l = labels.get(c);
            serde_json::json!({
                "call": c,
                "company": l.company,
                "number": l.number,
                "note": l.note,
                "letters": l.letters,
                "on_hold_s": tenth(h),
                "muted_s": tenth(m),
                "intervals": v.iter().map(|i| serde_json::json!({
                    "start": iso_local(i.start, tz),
                    "end": iso_local(i.end, tz),
                    "start_unix": i.start,
                    "end_unix": i.end,
                    "reason": i.reason,
                    "closed_by": i.closed_by,
                })).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
        "total": {
            "calls": calls.len(),
            "on_hold_s": tenth(hold),
            "muted_s": tenth(muted),
        },
    })
}

/// Intervals grouped by call, in the order calls first appear.
pub fn by_call(intervals: &[Interval]) -> Vec<(String, Vec<&Interval>)> {
    let mut out: Vec<(String, Vec<&Interval>)> = Vec::new();
    for iv in intervals {
        match out.iter_mut().find(|(c, _)| c == &iv.call) {
            Some((_, v)) => v.push(iv),
            None => out.push((iv.call.clone(), vec![iv])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("holdguard-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn intervals_round_trip_and_file_is_private() {
        let path = tmpdir("rt").join("journal.jsonl");
        let (mut j, recovered) = Journal::open(&path).unwrap();
        assert!(recovered.is_empty());
        j.open_interval("call-1", 100.0, "hold_music").unwrap();
        j.close_interval(160.5, "agent_speech").unwrap();
        j.open_interval("call-1", 200.0, "manual_mute").unwrap();
        j.close_interval(210.0, "manual_unmute").unwrap();
        let c = read(&path).unwrap();
        assert_eq!(c.intervals.len(), 2);
        assert_eq!(c.intervals[0].duration(), 60.5);
        assert!(c.intervals[0].is_hold() && !c.intervals[1].is_hold());
        assert!(c.unclosed.is_empty() && c.warnings.is_empty());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn an_interval_left_open_is_closed_at_the_last_heartbeat() {
        let path = tmpdir("crash").join("journal.jsonl");
        {
            let (mut j, _) = Journal::open(&path).unwrap();
            j.open_interval("call-2", 1000.0, "silent_hold").unwrap();
            j.heartbeat(1042.0).unwrap();
            // Dropped without closing: as after kill -9.
        }
        let (_, recovered) = Journal::open(&path).unwrap();
        assert_eq!(recovered.len(), 1);
        assert_eq!((recovered[0].start, recovered[0].end), (1000.0, 1042.0));
        assert_eq!(recovered[0].closed_by, ENDED_UNEXPECTEDLY);
        // Recovered once, not again on the next start.
        let (_, again) = Journal::open(&path).unwrap();
        assert!(again.is_empty());
        assert_eq!(read(&path).unwrap().intervals.len(), 1);
    }

    #[test]
    fn corrupt_lines_are_skipped_with_a_warning() {
        let path = tmpdir("corrupt").join("journal.jsonl");
        let (mut j, _) = Journal::open(&path).unwrap();
        j.open_interval("c", 1.0, "hold_music").unwrap();
        j.close_interval(2.0, "agent_speech").unwrap();
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"type\":\"open\",\"call\":\"c\",\"sta\n\xff\xfe garbage\n")
            .unwrap();
        drop(f);
        let (mut j, _) = Journal::open(&path).unwrap();
        j.open_interval("c", 3.0, "hold_music").unwrap();
        j.close_interval(4.0, "agent_speech").unwrap();
        let c = read(&path).unwrap();
        assert_eq!(c.intervals.len(), 2, "{c:?}");
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        assert!(c.warnings[0].starts_with("line 3:"), "{:?}", c.warnings);
    }

    #[test]
    fn delete_removes_only_the_chosen_intervals_and_keeps_appending() {
        let path = tmpdir("delete").join("journal.jsonl");
        let (mut j, _) = Journal::open(&path).unwrap();
        j.open_interval("a", 10.0, "hold_music").unwrap();
        j.close_interval(20.0, "agent_speech").unwrap();
        j.open_interval("b", 30.0, "silent_hold").unwrap();
        j.close_interval(40.0, "agent_speech").unwrap();
        j.open_interval("b", 50.0, "hold_music").unwrap();
        // The open interval cannot be deleted from under the guard.
        let n = j
            .delete(&[("a".into(), 10.0), ("b".into(), 50.0), ("zz".into(), 1.0)])
            .unwrap();
        assert_eq!(n, 1);
        j.close_interval(60.0, "agent_speech").unwrap();
        let c = read(&path).unwrap();
        let starts: Vec<f64> = c.intervals.iter().map(|i| i.start).collect();
        assert_eq!(starts, vec![30.0, 50.0]);
        assert!(c.unclosed.is_empty() && c.warnings.is_empty());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(delete_intervals(&path, &[("none".into(), 0.0)]).unwrap(), 0);
    }

    #[test]
    fn exports_agree_with_totals() {
        let iv = |s: f64, reason: &str| Interval {
            call: "c,1".into(),
            start: s,
            end: s + 30.0,
            reason: reason.into(),
            closed_by: "agent_speech".into(),
        };
        let all = [iv(0.0, "hold_music"), iv(100.0, "manual_mute")];
        let refs: Vec<&Interval> = all.iter().collect();
        assert_eq!(totals(refs.iter().copied()), (30.0, 60.0));
        let mut labels = Labels::default();
        labels.calls.insert(
            "c,1".into(),
            Label {
                company: "=HYPERLINK(\"x\")".into(),
                number: "+31 20 123".into(),
                note: "two\nlines, \"quoted\"".into(),
                letters: vec![],
            },
        );
        let ams = jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap();
        let csv = to_csv(&refs, &labels, &ams);
        assert_eq!(
            csv.lines().nth(1).unwrap(),
            "\"c,1\",\"'=HYPERLINK(\"\"x\"\")\",+31 20 123,\"two"
        );
        assert!(csv.contains(
            "lines, \"\"quoted\"\"\",1970-01-01T01:00:00+01:00,1970-01-01T01:00:30+01:00,30.0,hold_music,agent_speech\n"
        ));
        let by_day = totals_by(refs.iter().copied(), day_of);
        assert_eq!(by_day, vec![("1970-01-01".to_string(), 30.0, 60.0)]);
        let j = to_json(&refs, &labels, &ams);
        assert_eq!(j["total"]["muted_s"], 60.0);
        assert_eq!(j["calls"][0]["on_hold_s"], 30.0);
        assert_eq!(j["calls"][0]["note"], "two\nlines, \"quoted\"");
        assert_eq!(
            j["calls"][0]["intervals"][1]["start"],
            "1970-01-01T01:01:40+01:00"
        );
    }

    #[test]
    fn grouping_keeps_call_order() {
        let iv = |call: &str, s: f64| Interval {
            call: call.into(),
            start: s,
            end: s + 1.0,
            reason: "hold_music".into(),
            closed_by: "agent_speech".into(),
        };
        let all = [iv("b", 1.0), iv("a", 2.0), iv("b", 3.0)];
        let g = by_call(&all);
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].0.as_str(), g[0].1.len()), ("b", 2));
    }
}
