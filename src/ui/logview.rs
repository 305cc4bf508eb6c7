//! The log review: past calls and their muted intervals, totals per call, day and week, a date
//! filter, export of the selection to CSV or JSON, and confirmed deletion.
//!
//! It reads the same journal file as `holdguard log` and exports with the same functions. Deleting
//! goes through the guard thread, which owns the journal's append handle (see
//! [`crate::journal::Journal::delete`]). Each call can be named (company, number, note: the
//! labels file beside the journal) and gets a "Your rights" dialog that drafts the GDPR letters
//! of [`crate::rights`], to copy, save or open in the desktop's mail program.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;

use crate::control::{clock, Controller, Request};
use crate::journal::labels::{self, Made};
use crate::journal::{self, Interval, Label, Labels};
use crate::rights::{self, Kind, Lang, Person};
use crate::tr;

/// Colour of the per-day bars (the same red as the muted-for-hold icon).
pub const BAR_COLOR: egui::Color32 = egui::Color32::from_rgb(0xc6, 0x28, 0x28);

/// State of the log view.
pub struct LogView {
    pub path: Option<PathBuf>,
    pub intervals: Vec<Interval>,
    pub warnings: Vec<String>,
    pub error: Option<String>,
    loaded: Option<Instant>,
    /// Date filter, `YYYY-MM-DD` (UTC), empty for open-ended.
    pub from: String,
    pub to: String,
    /// Calls ticked for export or deletion.
    pub selected: BTreeSet<String>,
    confirm_delete: bool,
    pending_delete: Option<crate::control::Pending>,
    /// Where exports go.
    pub export_dir: PathBuf,
    pub message: Option<String>,
    /// The user's words about each call, and why they could not be read.
    pub labels: Labels,
    pub labels_warning: Option<String>,
    /// The zone times are shown in.
    pub tz: jiff::tz::TimeZone,
    /// The call being named, with the label as edited so far.
    pub naming: Option<(String, Label)>,
    /// The open "Your rights" dialog.
    pub letter: Option<LetterDialog>,
}

/// The "Your rights" dialog of one call.
pub struct LetterDialog {
    pub call: String,
    pub kind: Kind,
    pub lang: Lang,
    /// The recipient's address (e-mail for "Open in e-mail").
    pub to: String,
    /// What the last button did, or why it could not.
    pub message: Option<String>,
}

/// Where exported files go: the Downloads folder, else the home folder.
pub fn default_export_dir() -> PathBuf {
    directories::UserDirs::new()
        .and_then(|u| u.download_dir().map(PathBuf::from))
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()))
        .unwrap_or_else(std::env::temp_dir)
}

impl LogView {
    pub fn new(path: Option<PathBuf>) -> Self {
        Self {
            path,
            intervals: Vec::new(),
            warnings: Vec::new(),
            error: None,
            loaded: None,
            from: String::new(),
            to: String::new(),
            selected: BTreeSet::new(),
            confirm_delete: false,
            pending_delete: None,
            export_dir: default_export_dir(),
            message: None,
            labels: Labels::default(),
            labels_warning: None,
            tz: journal::local_zone(),
            naming: None,
            letter: None,
        }
    }

    /// Opens the "Your rights" dialog of the latest call in the log, if there is one.
    pub fn open_latest_letter(&mut self) {
        self.reload(true);
        let latest = journal::by_call(&self.intervals)
            .into_iter()
            .map(|(c, v)| (journal::call_start(&c).unwrap_or(v[0].start), c))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, call)) = latest {
            self.letter = Some(LetterDialog {
                call,
                kind: Kind::Access,
                lang: crate::i18n::current(),
                to: String::new(),
                message: None,
            });
        }
    }

    fn labels_path(&self) -> Option<PathBuf> {
        self.path.as_deref().map(labels::path_for)
    }

    /// Changes the label of `call` on disk, then shows the result.
    fn edit_label(&mut self, call: &str, edit: impl FnOnce(&mut Label)) -> Result<(), String> {
        let path = self.labels_path().ok_or("no home folder, so no journal")?;
        Labels::update(&path, call, edit).map_err(|e| e.to_string())?;
        self.reload(true);
        Ok(())
    }

    /// Rereads the journal (at most every 2 s unless `force`).
    pub fn reload(&mut self, force: bool) {
        if !force
            && self
                .loaded
                .is_some_and(|t| t.elapsed() < Duration::from_secs(2))
        {
            return;
        }
        self.loaded = Some(Instant::now());
        let Some(path) = &self.path else {
            self.error = Some(tr!("log-no-journal"));
            return;
        };
        match journal::read(path) {
            Ok(c) => {
                self.intervals = c.intervals;
                self.warnings = c.warnings;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
        match Labels::read(&labels::path_for(path)) {
            Ok((l, w)) => {
                self.labels = l;
                self.labels_warning = w;
            }
            Err(e) => self.labels_warning = Some(e.to_string()),
        }
    }

    /// The date filter as a range of Unix seconds, or what is wrong with it.
    pub fn range(&self) -> Result<(f64, f64), String> {
        let parse = |s: &str, what: &str| -> Result<Option<f64>, String> {
            if s.trim().is_empty() {
                return Ok(None);
            }
            journal::parse_date(s)
                .map(Some)
                .ok_or_else(|| tr!("log-bad-date", what = what, value = s.trim()))
        };
        let from = parse(&self.from, &tr!("log-from"))?.unwrap_or(f64::NEG_INFINITY);
        let to = parse(&self.to, &tr!("log-to"))?.map_or(f64::INFINITY, |t| t + 86_400.0);
        Ok((from, to))
    }

    /// Intervals that start inside the date filter.
    pub fn filtered(&self) -> Vec<&Interval> {
        let (from, to) = self.range().unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
        self.intervals
            .iter()
            .filter(|i| i.start >= from && i.start < to)
            .collect()
    }

    /// What export and delete act on: the ticked calls, or everything shown when none is.
    pub fn selection(&self) -> Vec<&Interval> {
        let shown = self.filtered();
        if self.selected.is_empty() {
            shown
        } else {
            shown
                .into_iter()
                .filter(|i| self.selected.contains(&i.call))
                .collect()
        }
    }

    /// Writes the selection to `holdguard-log-DATE.EXT` in the export folder.
    pub fn export(&mut self, json: bool) -> Result<PathBuf, String> {
        let sel = self.selection();
        if sel.is_empty() {
            return Err(tr!("log-nothing"));
        }
        let text = if json {
            serde_json::to_string_pretty(&journal::to_json(&sel, &self.labels, &self.tz))
                .map_err(|e| e.to_string())?
        } else {
            journal::to_csv(&sel, &self.labels, &self.tz)
        };
        let name = format!(
            "holdguard-log-{}.{}",
            journal::day_of(crate::control::now_unix()),
            if json { "json" } else { "csv" }
        );
        std::fs::create_dir_all(&self.export_dir)
            .map_err(|e| format!("{}: {e}", self.export_dir.display()))?;
        let path = self.export_dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut egui::Ui, ctl: &Arc<Controller>, you: &Person) {
        self.reload(false);
        let answer = self.pending_delete.as_ref().map(|p| p.wait(Duration::ZERO));
        if let Some(answer) = answer {
            match answer {
                Ok(true) => {
                    self.pending_delete = None;
                    self.selected.clear();
                    self.message = Some(tr!("log-deleted"));
                    self.reload(true);
                }
                Ok(false) => ui.ctx().request_repaint_after(Duration::from_millis(50)),
                Err(e) => {
                    self.pending_delete = None;
                    self.message = Some(tr!("log-not-deleted", error = e.to_string()));
                }
            }
        }
        let now = crate::control::now_unix();
        let this_week = journal::week_of(now);
        let (wh, wm) = journal::totals(
            self.intervals
                .iter()
                .filter(|i| journal::week_of(i.start) == this_week),
        );
        ui.heading(tr!("log-week", hold = clock(wh), muted = clock(wm)));
        ui.horizontal(|ui| {
            ui.label(tr!("log-from"));
            ui.add(
                egui::TextEdit::singleline(&mut self.from)
                    .desired_width(90.0)
                    .hint_text(tr!("log-date-hint")),
            );
            ui.label(tr!("log-to"));
            ui.add(
                egui::TextEdit::singleline(&mut self.to)
                    .desired_width(90.0)
                    .hint_text(tr!("log-date-hint")),
            );
            ui.label(tr!("log-utc"));
            if ui.button(tr!("log-clear")).clicked() {
                self.from.clear();
                self.to.clear();
            }
        });
        if let Err(e) = self.range() {
            ui.colored_label(egui::Color32::RED, e);
        }
        if let Some(e) = &self.error {
            ui.colored_label(egui::Color32::RED, e);
        }
        for w in &self.warnings {
            ui.colored_label(
                egui::Color32::from_rgb(0xe6, 0x9b, 0x00),
                tr!("log-journal-warning", warning = w.as_str()),
            );
        }
        if let Some(w) = &self.labels_warning {
            ui.colored_label(egui::Color32::from_rgb(0xe6, 0x9b, 0x00), w);
        }
        let shown: Vec<Interval> = self.filtered().into_iter().cloned().collect();
        let (h, m) = journal::totals(&shown);
        ui.label(tr!(
            "log-shown",
            calls = tr!("log-calls", n = journal::by_call(&shown).len()),
            hold = clock(h),
            muted = clock(m),
            intervals = tr!("log-intervals", n = shown.len())
        ));
        self.day_chart(ui, &shown);
        ui.horizontal(|ui| {
            let n = self.selection().len();
            let what = if self.selected.is_empty() {
                tr!("log-all-shown")
            } else {
                tr!("log-ticked")
            };
            for (json, button) in [
                (false, tr!("log-export-csv")),
                (true, tr!("log-export-json")),
            ] {
                if ui.button(button).clicked() {
                    self.message = Some(match self.export(json) {
                        Ok(p) => tr!(
                            "log-exported",
                            intervals = tr!("log-intervals", n = n),
                            what = what.as_str(),
                            path = p.display().to_string()
                        ),
                        Err(e) => tr!("log-not-exported", error = e),
                    });
                }
            }
            let can_delete = n > 0 && self.pending_delete.is_none();
            if ui
                .add_enabled(can_delete, egui::Button::new(tr!("log-delete")))
                .clicked()
            {
                self.confirm_delete = true;
            }
        });
        if let Some(msg) = &self.message {
            ui.label(msg);
        }
        if self.confirm_delete {
            self.confirm(ui, ctl);
        }
        if self.letter.is_some() {
            self.letter_dialog(ui, you);
        }
        ui.separator();
        egui::ScrollArea::vertical().show(ui, |ui| {
            let calls = journal::by_call(&shown);
            if calls.is_empty() {
                ui.label(tr!("log-empty"));
            }
            for (call, ivs) in calls.iter().rev() {
                let (ch, cm) = journal::totals(ivs.iter().copied());
                let mut ticked = self.selected.contains(call);
                let label = self.labels.get(call);
                let start = journal::call_start(call).unwrap_or(ivs[0].start);
                let name = [label.company.as_str(), label.number.as_str()]
                    .iter()
                    .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                let time = journal::format_local(start, &self.tz)[..16].to_string();
                let title = if name.is_empty() {
                    tr!("log-call", time = time, hold = clock(ch), muted = clock(cm))
                } else {
                    tr!(
                        "log-call-named",
                        time = time,
                        name = name,
                        hold = clock(ch),
                        muted = clock(cm)
                    )
                };
                ui.horizontal(|ui| {
                    if ui.checkbox(&mut ticked, title).changed() {
                        if ticked {
                            self.selected.insert(call.clone());
                        } else {
                            self.selected.remove(call);
                        }
                    }
                    if ui.small_button(tr!("log-name")).clicked() {
                        self.naming = Some((call.clone(), label.clone()));
                    }
                    if ui.small_button(tr!("log-rights")).clicked() {
                        self.letter = Some(LetterDialog {
                            call: call.clone(),
                            kind: Kind::Access,
                            lang: crate::i18n::current(),
                            to: String::new(),
                            message: None,
                        });
                    }
                });
                if self.naming.as_ref().is_some_and(|(c, _)| c == call) {
                    self.name_editor(ui);
                }
                if !label.note.trim().is_empty() {
                    ui.indent(("note", call), |ui| ui.weak(&label.note));
                }
                self.letters_made(ui, &label);
                ui.indent(("call", call), |ui| {
                    egui::CollapsingHeader::new(tr!("log-intervals", n = ivs.len()))
                        .id_salt(call)
                        .show(ui, |ui| {
                            egui::Grid::new(("ivs", call)).striped(true).show(ui, |ui| {
                                for t in [
                                    "log-start",
                                    "log-end",
                                    "log-duration",
                                    "log-reason",
                                    "log-ended-by",
                                ] {
                                    ui.strong(crate::i18n::t(t));
                                }
                                ui.end_row();
                                for i in ivs {
                                    ui.label(&journal::format_local(i.start, &self.tz)[11..]);
                                    ui.label(&journal::format_local(i.end, &self.tz)[11..]);
                                    ui.label(clock(i.duration()));
                                    ui.label(crate::i18n::reason(&i.reason));
                                    ui.label(crate::i18n::reason(&i.closed_by));
                                    ui.end_row();
                                }
                            });
                        });
                });
            }
            ui.separator();
            ui.strong(tr!("log-per-week"));
            for (week, h, m) in journal::totals_by(&shown, journal::week_of).iter().rev() {
                ui.label(tr!(
                    "log-week-of",
                    week = week.as_str(),
                    hold = clock(*h),
                    muted = clock(*m)
                ));
            }
        });
    }

    /// Bars of minutes muted per day for the last 14 days shown.
    fn day_chart(&self, ui: &mut egui::Ui, shown: &[Interval]) {
        let days = journal::totals_by(shown, journal::day_of);
        let days = &days[days.len().saturating_sub(14)..];
        let (rect, _) = ui.allocate_exact_size(
            egui::vec2(ui.available_width().min(560.0), 70.0),
            egui::Sense::hover(),
        );
        let p = ui.painter_at(rect);
        p.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        let top = days.iter().map(|d| d.2).fold(60.0, f64::max);
        let w = rect.width() / 14.0;
        for (k, (day, _, muted)) in days.iter().enumerate() {
            let hgt = (muted / top) as f32 * (rect.height() - 16.0);
            let x = rect.left() + k as f32 * w;
            let bar = egui::Rect::from_min_max(
                egui::pos2(x + 3.0, rect.bottom() - 14.0 - hgt),
                egui::pos2(x + w - 3.0, rect.bottom() - 14.0),
            );
            p.rect_filled(bar, 1.0, BAR_COLOR);
            p.text(
                egui::pos2(x + w / 2.0, rect.bottom() - 1.0),
                egui::Align2::CENTER_BOTTOM,
                &day[5..],
                egui::FontId::proportional(9.0),
                ui.visuals().text_color(),
            );
        }
    }

    /// The letters made for a call, with the date the company must answer by.
    fn letters_made(&self, ui: &mut egui::Ui, label: &Label) {
        let today = jiff::Zoned::now().with_time_zone(self.tz.clone()).date();
        for m in &label.letters {
            let kind = Kind::from_name(&m.kind);
            let what = kind.map_or(m.kind.clone(), kind_title);
            let date = m.date.as_str();
            let due = rights::answer_due(m);
            ui.indent(("letter", &m.date, &m.kind), |ui| match due {
                Some(d) if d < today => ui.colored_label(
                    egui::Color32::from_rgb(0xe6, 0x9b, 0x00),
                    tr!(
                        "log-letter-passed",
                        what = what.as_str(),
                        date = date,
                        due = d.to_string()
                    ),
                ),
                Some(d) => ui.label(tr!(
                    "log-letter-due",
                    what = what.as_str(),
                    date = date,
                    due = d.to_string()
                )),
                None => ui.label(tr!("log-letter-made", what = what.as_str(), date = date)),
            });
        }
    }

    /// Company, number and note of the call being named.
    fn name_editor(&mut self, ui: &mut egui::Ui) {
        let Some((call, edit)) = &mut self.naming else {
            return;
        };
        let (mut save, mut cancel) = (false, false);
        ui.indent(("naming", call.as_str()), |ui| {
            egui::Grid::new("naming").num_columns(2).show(ui, |ui| {
                for (what, value) in [
                    (tr!("log-company"), &mut edit.company),
                    (tr!("log-number"), &mut edit.number),
                ] {
                    let name = ui.label(what).id;
                    ui.text_edit_singleline(value).labelled_by(name);
                    ui.end_row();
                }
                let name = ui.label(tr!("log-note")).id;
                ui.add(egui::TextEdit::multiline(&mut edit.note).desired_rows(2))
                    .labelled_by(name);
                ui.end_row();
            });
            ui.horizontal(|ui| {
                save = ui.button(tr!("log-save-name")).clicked();
                cancel = ui.button(tr!("log-cancel")).clicked();
            });
        });
        if save {
            let (call, edit) = self.naming.take().expect("naming is open");
            if let Err(e) = self.edit_label(&call, |l| {
                l.company = edit.company.trim().to_string();
                l.number = edit.number.trim().to_string();
                l.note = edit.note.trim().to_string();
            }) {
                self.message = Some(tr!("log-not-saved", error = e));
            }
        } else if cancel {
            self.naming = None;
        }
    }

    /// The letter of the open dialog, as it stands.
    fn draft_letter(&self, you: &Person) -> Result<(String, rights::Letter), String> {
        let d = self.letter.as_ref().ok_or_else(|| tr!("letter-gone"))?;
        let ivs: Vec<Interval> = self
            .intervals
            .iter()
            .filter(|i| i.call == d.call)
            .cloned()
            .collect();
        let call = rights::Call::new(&d.call, ivs).ok_or_else(|| tr!("letter-gone"))?;
        let label = self.labels.get(&d.call);
        let date = jiff::Zoned::now().with_time_zone(self.tz.clone()).date();
        let to = d.to.trim();
        let letter = rights::draft(&rights::Request {
            kind: d.kind,
            lang: d.lang,
            call: &call,
            label: &label,
            you,
            to: (!to.is_empty()).then_some(to),
            date,
            tz: &self.tz,
        })
        .map_err(|e| match e {
            rights::RightsError::NoRequest(_) => tr!("letter-no-request"),
            e => e.to_string(),
        })?;
        Ok((date.to_string(), letter))
    }

    fn letter_dialog(&mut self, ui: &mut egui::Ui, you: &Person) {
        let drafted = self.draft_letter(you);
        let Some(d) = &mut self.letter else {
            return;
        };
        let mut used: Option<&str> = None;
        let mut close = false;
        let modal = egui::Modal::new(egui::Id::unique("holdguard-letter")).show(ui.ctx(), |ui| {
            ui.set_max_width(620.0);
            ui.heading(tr!("letter-title"));
            ui.horizontal_wrapped(|ui| {
                for k in Kind::ALL {
                    ui.selectable_value(&mut d.kind, k, kind_title(k));
                }
            });
            ui.horizontal(|ui| {
                for l in [Lang::Nl, Lang::En] {
                    ui.selectable_value(&mut d.lang, l, l.native_name());
                }
                let name = ui.label(tr!("letter-to")).id;
                ui.add(
                    egui::TextEdit::singleline(&mut d.to)
                        .hint_text(tr!("letter-to-hint"))
                        .desired_width(260.0),
                )
                .labelled_by(name);
            });
            if you.name.trim().is_empty() || you.address.trim().is_empty() {
                ui.colored_label(
                    egui::Color32::from_rgb(0xe6, 0x9b, 0x00),
                    tr!("letter-you-missing"),
                );
            }
            match &drafted {
                Ok((_, letter)) => {
                    let mut text = letter.text(d.lang);
                    egui::ScrollArea::vertical()
                        .max_height(380.0)
                        .show(ui, |ui| {
                            ui.add(
                                egui::TextEdit::multiline(&mut text)
                                    .desired_width(f32::INFINITY)
                                    .interactive(false),
                            );
                        });
                    ui.horizontal(|ui| {
                        if ui.button(tr!("letter-copy")).clicked() {
                            ui.ctx().copy_text(text.clone());
                            used = Some("copy");
                        }
                        if ui.button(tr!("letter-save")).clicked() {
                            used = Some("save");
                        }
                        if ui.button(tr!("letter-mail")).clicked() {
                            used = Some("mail");
                        }
                        close = ui.button(tr!("letter-close")).clicked();
                    });
                }
                Err(e) => {
                    ui.colored_label(egui::Color32::RED, e);
                    close = ui.button(tr!("letter-close")).clicked();
                }
            }
            if let Some(m) = &d.message {
                ui.label(m);
            }
        });
        if modal.should_close() {
            close = true;
        }
        if let (Some(what), Ok((date, letter))) = (used, drafted) {
            let (call, kind, lang, to) = (d.call.clone(), d.kind, d.lang, d.to.clone());
            let done = match what {
                "save" => {
                    let path = self.export_dir.join(format!(
                        "holdguard-letter-{call}-{}-{}.txt",
                        kind.name(),
                        lang.code()
                    ));
                    std::fs::create_dir_all(&self.export_dir)
                        .and_then(|_| std::fs::write(&path, letter.text(lang)))
                        .map(|_| tr!("letter-saved", path = path.display().to_string()))
                        .map_err(|e| format!("{}: {e}", path.display()))
                }
                "mail" => open_mail(&mailto(&to, &letter.subject, &letter.body))
                    .map(|_| tr!("letter-mailed")),
                _ => Ok(tr!("letter-copied")),
            };
            let done = done.and_then(|m| {
                self.edit_label(&call, |l| {
                    l.letters.push(Made {
                        kind: kind.name().into(),
                        lang: lang.code().into(),
                        date,
                    })
                })
                .map(|_| m)
            });
            if let Some(d) = &mut self.letter {
                d.message = Some(done.unwrap_or_else(|e| tr!("letter-not-done", error = e)));
            }
        }
        if close {
            self.letter = None;
        }
    }

    fn confirm(&mut self, ui: &mut egui::Ui, ctl: &Arc<Controller>) {
        let sel: Vec<(String, f64)> = self
            .selection()
            .iter()
            .map(|i| (i.call.clone(), i.start))
            .collect();
        let calls: BTreeSet<&str> = sel.iter().map(|(c, _)| c.as_str()).collect();
        let modal =
            egui::Modal::new(egui::Id::unique("holdguard-confirm-delete")).show(ui.ctx(), |ui| {
                ui.heading(tr!("log-delete-title"));
                ui.label(tr!(
                    "log-delete-what",
                    intervals = tr!("log-intervals", n = sel.len()),
                    calls = tr!("log-calls", n = calls.len())
                ));
                ui.horizontal(|ui| {
                    if ui.button(tr!("log-delete-confirm")).clicked() {
                        self.pending_delete = Some(ctl.submit(Request::Delete(sel.clone())));
                        self.confirm_delete = false;
                    }
                    if ui.button(tr!("log-cancel")).clicked() {
                        self.confirm_delete = false;
                    }
                });
            });
        if modal.should_close() {
            self.confirm_delete = false;
        }
    }
}

/// The dialog's name of a letter kind.
fn kind_title(k: Kind) -> String {
    match k {
        Kind::Access => tr!("letter-access"),
        Kind::Erase => tr!("letter-erase"),
        Kind::Object => tr!("letter-object"),
        Kind::Complaint => tr!("letter-complaint"),
    }
}

/// A `mailto:` link (RFC 6068): every byte but the unreserved ones percent-encoded, line breaks
/// as CRLF. A recipient that is not an e-mail address is left out (the user fills it in).
pub fn mailto(to: &str, subject: &str, body: &str) -> String {
    fn enc(s: &str) -> String {
        let mut out = String::with_capacity(s.len() * 3);
        for b in s.replace("\r\n", "\n").replace('\n', "\r\n").bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
    let to = to.trim();
    let to = if to.contains('@') && !to.contains(char::is_whitespace) {
        enc(to).replace("%40", "@")
    } else {
        String::new()
    };
    format!("mailto:{to}?subject={}&body={}", enc(subject), enc(body))
}

/// Hands a link to the desktop's opener (`xdg-open`, `open` on macOS, `start` on Windows).
fn open_mail(link: &str) -> Result<(), String> {
    let mut cmd = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    cmd.arg(link)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| tr!("letter-no-opener", error = e.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn mailto_links_encode_everything_unsafe() {
        let link = super::mailto(
            "privacy@bank.example",
            "Verzoek & vraag?",
            "Zoë <x>\n100% #1",
        );
        assert_eq!(
            link,
            "mailto:privacy@bank.example?subject=Verzoek%20%26%20vraag%3F&body=Zo%C3%AB%20%3Cx%3E%0D%0A100%25%20%231"
        );
        assert!(super::mailto("Postbus 1, Den Haag", "s", "b").starts_with("mailto:?subject=s"));
    }
}
