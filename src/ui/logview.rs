//! The log review: past calls and their muted intervals, totals per call, day and week, a date
//! filter, export of the selection to CSV or JSON, and confirmed deletion.
//!
//! It reads the same journal file as `holdguard log` and exports with the same functions. Deleting
//! goes through the guard thread, which owns the journal's append handle (see
//! [`crate::journal::Journal::delete`]).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;

use crate::control::{clock, Controller, Request};
use crate::journal::{self, Interval};

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
    pending_delete: Option<u64>,
    /// Where exports go.
    pub export_dir: PathBuf,
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
        }
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
            self.error = Some("no home folder, so no journal".into());
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
    }

    /// The date filter as a range of Unix seconds, or what is wrong with it.
    pub fn range(&self) -> Result<(f64, f64), String> {
        let parse = |s: &str, what: &str| -> Result<Option<f64>, String> {
            if s.trim().is_empty() {
                return Ok(None);
            }
            journal::parse_date(s)
                .map(Some)
                .ok_or_else(|| format!("{what} \"{}\" is not a date: use YYYY-MM-DD", s.trim()))
        };
        let from = parse(&self.from, "From")?.unwrap_or(f64::NEG_INFINITY);
        let to = parse(&self.to, "To")?.map_or(f64::INFINITY, |t| t + 86_400.0);
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
            return Err("nothing to export".into());
        }
        let text = if json {
            serde_json::to_string_pretty(&journal::to_json(&sel)).map_err(|e| e.to_string())?
        } else {
            journal::to_csv(&sel)
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
    pub fn ui(&mut self, ui: &mut egui::Ui, ctl: &Arc<Controller>) {
        self.reload(false);
        if let Some(seq) = self.pending_delete {
            match ctl.wait(seq, Duration::ZERO) {
                Ok(true) => {
                    self.pending_delete = None;
                    self.selected.clear();
                    self.message = Some("Deleted.".into());
                    self.reload(true);
                }
                Ok(false) => ui.ctx().request_repaint_after(Duration::from_millis(50)),
                Err(e) => {
                    self.pending_delete = None;
                    self.message = Some(format!("Not deleted: {e}"));
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
        ui.heading(format!(
            "On hold {} this week, microphone muted for {}",
            clock(wh),
            clock(wm)
        ));
        ui.horizontal(|ui| {
            ui.label("From");
            ui.add(
                egui::TextEdit::singleline(&mut self.from)
                    .desired_width(90.0)
                    .hint_text("YYYY-MM-DD"),
            );
            ui.label("to");
            ui.add(
                egui::TextEdit::singleline(&mut self.to)
                    .desired_width(90.0)
                    .hint_text("YYYY-MM-DD"),
            );
            ui.label("(UTC)");
            if ui.button("Clear").clicked() {
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
                format!("journal: {w}"),
            );
        }
        let shown: Vec<Interval> = self.filtered().into_iter().cloned().collect();
        let (h, m) = journal::totals(&shown);
        ui.label(format!(
            "Shown: {} call(s), on hold {}, muted {} in {} interval(s)",
            journal::by_call(&shown).len(),
            clock(h),
            clock(m),
            shown.len()
        ));
        self.day_chart(ui, &shown);
        ui.horizontal(|ui| {
            let n = self.selection().len();
            let what = if self.selected.is_empty() {
                "all shown"
            } else {
                "ticked calls"
            };
            if ui.button("Export CSV").clicked() {
                self.message = Some(match self.export(false) {
                    Ok(p) => format!("Exported {n} interval(s) ({what}) to {}", p.display()),
                    Err(e) => format!("Not exported: {e}"),
                });
            }
            if ui.button("Export JSON").clicked() {
                self.message = Some(match self.export(true) {
                    Ok(p) => format!("Exported {n} interval(s) ({what}) to {}", p.display()),
                    Err(e) => format!("Not exported: {e}"),
                });
            }
            let can_delete = n > 0 && self.pending_delete.is_none();
            if ui
                .add_enabled(can_delete, egui::Button::new("Delete…"))
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
        ui.separator();
        egui::ScrollArea::vertical().show(ui, |ui| {
            let calls = journal::by_call(&shown);
            if calls.is_empty() {
                ui.label("No muted intervals yet.");
            }
            for (call, ivs) in calls.iter().rev() {
                let (ch, cm) = journal::totals(ivs.iter().copied());
                let mut ticked = self.selected.contains(call);
                let title = format!(
                    "Call {} UTC: on hold {}, muted {}",
                    journal::format_utc(ivs[0].start),
                    clock(ch),
                    clock(cm)
                );
                if ui.checkbox(&mut ticked, title).changed() {
                    if ticked {
                        self.selected.insert(call.clone());
                    } else {
                        self.selected.remove(call);
                    }
                }
                ui.indent(("call", call), |ui| {
                    egui::CollapsingHeader::new(format!("{} interval(s)", ivs.len()))
                        .id_salt(call)
                        .show(ui, |ui| {
                            egui::Grid::new(("ivs", call)).striped(true).show(ui, |ui| {
                                for t in ["Start", "End", "Duration", "Reason", "Ended by"] {
                                    ui.strong(t);
                                }
                                ui.end_row();
                                for i in ivs {
                                    ui.label(&journal::format_utc(i.start)[11..]);
                                    ui.label(&journal::format_utc(i.end)[11..]);
                                    ui.label(clock(i.duration()));
                                    ui.label(i.reason.replace('_', " "));
                                    ui.label(i.closed_by.replace('_', " "));
                                    ui.end_row();
                                }
                            });
                        });
                });
            }
            ui.separator();
            ui.strong("Per week");
            for (week, h, m) in journal::totals_by(&shown, journal::week_of).iter().rev() {
                ui.label(format!(
                    "Week of {week}: on hold {}, muted {}",
                    clock(*h),
                    clock(*m)
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

    fn confirm(&mut self, ui: &mut egui::Ui, ctl: &Arc<Controller>) {
        let sel: Vec<(String, f64)> = self
            .selection()
            .iter()
            .map(|i| (i.call.clone(), i.start))
            .collect();
        let calls: BTreeSet<&str> = sel.iter().map(|(c, _)| c.as_str()).collect();
        let modal = egui::Modal::new(egui::Id::unique("holdguard-confirm-delete")).show(ui.ctx(), |ui| {
            ui.heading("Delete from the log?");
            ui.label(format!(
                "{} interval(s) of {} call(s) will be removed from the journal. This cannot be undone.",
                sel.len(),
                calls.len()
            ));
            ui.horizontal(|ui| {
                if ui.button("Delete").clicked() {
                    self.pending_delete = Some(ctl.submit(Request::Delete(sel.clone())));
                    self.confirm_delete = false;
                }
                if ui.button("Cancel").clicked() {
                    self.confirm_delete = false;
                }
            });
        });
        if modal.should_close() {
            self.confirm_delete = false;
        }
    }
}
