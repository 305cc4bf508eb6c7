//! What the window shows: the guard's state, levels and timeline, the log review and the settings.
//!
//! UI state only. It reads the guard's [`Status`] through the [`Controller`] and queues requests;
//! it never runs the engine, so the guard keeps working when eframe stops painting (window hidden
//! or minimised). Kept apart from eframe's `App` so tests can drive it headless (egui_kittest).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eframe::egui;

use super::hotkey::Availability;
use super::icons::Look;
use super::logview::LogView;
use crate::config::Config;
use crate::control::{clock, now_unix, Controller, Request, State, Status, SLOT_S, TIMELINE_S};
use crate::dsp::class::Class;
use crate::guard::Command;
use crate::live::RunOptions;
use crate::tr;

/// The window's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Guard,
    Log,
    Settings,
}

/// Colour of a far-end class on the timeline.
pub fn class_color(c: Class) -> egui::Color32 {
    match c {
        Class::Silence => egui::Color32::from_gray(90),
        Class::Tone => egui::Color32::from_rgb(0xd4, 0xa0, 0x17),
        Class::Music => egui::Color32::from_rgb(0x3f, 0x7f, 0xd8),
        Class::Speech => egui::Color32::from_rgb(0x2e, 0xb8, 0x5c),
        Class::SpeechOverMusic => egui::Color32::from_rgb(0x2a, 0xa8, 0xa8),
    }
}

fn rgb(c: [u8; 3]) -> egui::Color32 {
    egui::Color32::from_rgb(c[0], c[1], c[2])
}

/// The banner colour for a state.
pub fn banner_color(status: &Status) -> egui::Color32 {
    rgb(super::tray::look(&Status {
        problem: None,
        ..status.clone()
    })
    .color())
}

/// The settings page's working copy.
pub struct Settings {
    /// What is saved (and in force).
    pub saved: Config,
    /// What the user is editing.
    pub edit: Config,
    pub path: Option<PathBuf>,
    pub autostart: Option<PathBuf>,
    pub message: Option<String>,
    /// The sound server's devices, listed when the page is first shown (and after a refresh).
    pub devices: Option<Result<Vec<crate::live::DeviceInfo>, String>>,
}

/// Everything the window shows.
pub struct View {
    pub ctl: Arc<Controller>,
    pub tab: Tab,
    pub hotkey: Availability,
    /// Whether the push-to-talk shortcut works.
    pub talk_hotkey: Availability,
    /// Why there is no tray icon, if there is none.
    pub tray_problem: Option<String>,
    pub config_warnings: Vec<String>,
    pub settings: Settings,
    pub log: LogView,
    /// The options the guard thread starts with; changed settings go here, then a restart.
    pub run_opts: Arc<Mutex<RunOptions>>,
    /// Set when a saved setting needs the hotkey registered again.
    pub hotkey_changed: bool,
}

impl View {
    pub fn new(
        ctl: Arc<Controller>,
        config: Config,
        config_path: Option<PathBuf>,
        journal: Option<PathBuf>,
        run_opts: Arc<Mutex<RunOptions>>,
    ) -> Self {
        Self {
            ctl,
            tab: Tab::Guard,
            hotkey: Availability::Unavailable(tr!("hotkey-not-registered")),
            talk_hotkey: Availability::Unavailable(tr!("hotkey-not-registered")),
            tray_problem: None,
            config_warnings: Vec::new(),
            settings: Settings {
                saved: config.clone(),
                edit: config,
                path: config_path,
                autostart: super::autostart::entry_path(),
                message: None,
                devices: None,
            },
            log: LogView::new(journal),
            run_opts,
            hotkey_changed: false,
        }
    }

    /// Draws the whole window.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("tabs").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.tab, Tab::Guard, tr!("tab-guard"));
                ui.selectable_value(&mut self.tab, Tab::Log, tr!("tab-log"));
                ui.selectable_value(&mut self.tab, Tab::Settings, tr!("tab-settings"));
            });
        });
        egui::CentralPanel::default_margins().show(ui, |ui| match self.tab {
            Tab::Guard => self.guard_page(ui),
            Tab::Log => self.log.ui(ui, &self.ctl, &self.settings.saved.you),
            Tab::Settings => self.settings_page(ui),
        });
    }

    fn guard_page(&mut self, ui: &mut egui::Ui) {
        let st = self.ctl.status();
        let now = now_unix();
        egui::Frame::new()
            .fill(banner_color(&st))
            .corner_radius(6.0)
            .inner_margin(12.0)
            .show(ui, |ui| {
                ui.set_min_width(ui.available_width());
                ui.label(
                    egui::RichText::new(st.state.banner())
                        .size(28.0)
                        .strong()
                        .color(egui::Color32::WHITE),
                );
                let why = match (&st.reason, st.state) {
                    (_, State::Starting) => tr!("guard-opening"),
                    _ if st.standby => tr!("status-standby"),
                    _ if st.no_call => tr!("guard-no-call"),
                    (Some(r), _) => tr!("guard-last-change", reason = crate::i18n::reason(r)),
                    (None, _) => tr!("guard-waiting"),
                };
                ui.label(
                    egui::RichText::new(tr!(
                        "guard-since",
                        time = clock(now - st.since),
                        why = why
                    ))
                    .color(egui::Color32::WHITE),
                );
                if st.speaking_muted && st.state.muted() {
                    ui.label(
                        egui::RichText::new(tr!("status-muted-speech"))
                            .size(20.0)
                            .strong()
                            .color(egui::Color32::WHITE),
                    );
                }
            });
        if let Some(p) = &st.problem {
            ui.colored_label(rgb(Look::Problem.color()), p.as_str());
        }
        if !st.bypass.is_empty() {
            ui.colored_label(
                rgb(Look::Problem.color()),
                tr!("guard-bypass", apps = st.bypass.join(", ")),
            );
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let muted = st.state.muted();
            let label = if muted {
                tr!("guard-unmute")
            } else {
                tr!("guard-mute")
            };
            let big = egui::Button::new(egui::RichText::new(label).size(20.0))
                .min_size(egui::vec2(220.0, 44.0));
            if ui.add(big).clicked() {
                self.ctl.submit(Request::Command(Command::Toggle));
            }
            let mut paused = st.state == State::Paused;
            if ui
                .add(egui::Checkbox::new(&mut paused, tr!("guard-pause")))
                .changed()
            {
                self.ctl.submit(Request::Command(if paused {
                    Command::Pause
                } else {
                    Command::Resume
                }));
            }
        });
        ui.add_space(6.0);
        meter(ui, &tr!("guard-far-end"), st.far_db);
        meter(ui, &tr!("guard-microphone"), st.mic_db);
        ui.add_space(6.0);
        ui.label(tr!("guard-timeline"));
        timeline(ui, &self.ctl.timeline());
        ui.horizontal_wrapped(|ui| {
            for c in Class::ALL {
                let (r, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                ui.painter().rect_filled(r, 1.0, class_color(c));
                ui.label(crate::i18n::class(c.name()));
            }
        });
        ui.separator();
        match &self.hotkey {
            Availability::Active(k) => {
                ui.label(tr!("guard-shortcut", key = k.as_str()));
            }
            Availability::Pending => {
                ui.label(tr!("guard-shortcut-pending"));
            }
            Availability::Unavailable(why) => {
                ui.colored_label(
                    rgb(Look::Problem.color()),
                    tr!("guard-no-shortcut", why = why.as_str()),
                );
                ui.label(tr!("guard-bind-toggle"));
            }
            Availability::NotSet => {}
        }
        match &self.talk_hotkey {
            Availability::Active(k) => {
                ui.label(tr!("guard-talk-shortcut", key = k.as_str()));
            }
            Availability::Pending => {}
            Availability::Unavailable(why) => {
                ui.colored_label(
                    rgb(Look::Problem.color()),
                    tr!("guard-no-talk-shortcut", why = why.as_str()),
                );
                ui.label(tr!("guard-bind-talk"));
            }
            Availability::NotSet => {}
        }
        if let Some(why) = &self.tray_problem {
            ui.colored_label(
                rgb(Look::Problem.color()),
                tr!("guard-no-tray", why = why.as_str()),
            );
        }
        for w in &self.config_warnings {
            ui.colored_label(
                rgb(Look::Problem.color()),
                tr!("guard-settings-warning", warning = w.as_str()),
            );
        }
        ui.small(tr!(
            "guard-devices",
            mic = or_dash(&st.mic),
            out = or_dash(&st.out),
            far = or_dash(&st.far)
        ));
        ui.ctx().request_repaint_after(Duration::from_millis(100));
    }

    fn settings_page(&mut self, ui: &mut egui::Ui) {
        let s = &mut self.settings;
        egui::Grid::new("settings").num_columns(2).show(ui, |ui| {
            let devices = s.devices.get_or_insert_with(|| {
                crate::live::list_devices()
                    .map(|(_, devices)| devices)
                    .map_err(|e| e.to_string())
            });
            let list: Vec<crate::live::DeviceInfo> = devices.clone().unwrap_or_default();
            let picker = |ui: &mut egui::Ui, label: &str, value: &mut String, input: bool| {
                let name = ui.label(label).id;
                egui::ComboBox::from_id_salt(label)
                    .width(320.0)
                    .selected_text(if value.is_empty() {
                        tr!("settings-default")
                    } else {
                        value.clone()
                    })
                    .show_ui(ui, |ui| {
                        ui.selectable_value(value, String::new(), tr!("settings-default"));
                        for d in list
                            .iter()
                            .filter(|d| if input { d.input } else { d.output })
                        {
                            ui.selectable_value(value, d.id.clone(), &d.id)
                                .on_hover_text(&d.description);
                        }
                    })
                    .response
                    .labelled_by(name);
                ui.end_row();
            };
            picker(
                ui,
                &tr!("settings-microphone"),
                &mut s.edit.devices.mic,
                true,
            );
            picker(ui, &tr!("settings-far"), &mut s.edit.devices.far, true);
            picker(ui, &tr!("settings-out"), &mut s.edit.devices.out, false);
            ui.label(tr!("settings-delay"));
            let delay = s.edit.guard.silent_hold_delay_s;
            ui.add(
                egui::Slider::new(&mut s.edit.guard.silent_hold_delay_s, 2.0..=60.0)
                    .show_value(false)
                    .text(tr!("settings-seconds", s = format!("{delay:.0}"))),
            );
            ui.end_row();
            ui.label(tr!("settings-sensitivity"));
            let mut sens = 1.0 - s.edit.guard.music_share;
            if ui
                .add(
                    egui::Slider::new(&mut sens, 0.2..=0.6)
                        .show_value(false)
                        .text(tr!("settings-careful-eager")),
                )
                .changed()
            {
                s.edit.guard.music_share = 1.0 - sens;
            }
            ui.end_row();
            let name = ui.label(tr!("settings-shortcut")).id;
            ui.text_edit_singleline(&mut s.edit.hotkey)
                .labelled_by(name);
            ui.end_row();
            let name = ui.label(tr!("settings-talk-shortcut")).id;
            ui.text_edit_singleline(&mut s.edit.talk_hotkey)
                .labelled_by(name);
            ui.end_row();
            ui.label(tr!("settings-alert"));
            ui.checkbox(&mut s.edit.alert, tr!("settings-alert-what"));
            ui.end_row();
            ui.label(tr!("settings-recorders"));
            ui.checkbox(&mut s.edit.route_recorders, tr!("settings-recorders-what"));
            ui.end_row();
            ui.label(tr!("settings-login"));
            ui.checkbox(&mut s.edit.start_at_login, tr!("settings-login-what"));
            ui.end_row();
            let name = ui.label(tr!("settings-language")).id;
            let auto = tr!(
                "settings-language-auto",
                lang = crate::i18n::Lang::from_env().native_name()
            );
            let shown = crate::i18n::Lang::from_code(&s.edit.language)
                .map_or(auto.clone(), |l| l.native_name().to_string());
            egui::ComboBox::from_id_salt("language")
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut s.edit.language, "auto".to_string(), auto);
                    for l in crate::i18n::Lang::ALL {
                        ui.selectable_value(
                            &mut s.edit.language,
                            l.code().to_string(),
                            l.native_name(),
                        );
                    }
                })
                .response
                .labelled_by(name);
            ui.end_row();
        });
        ui.add_space(6.0);
        ui.strong(tr!("settings-you"));
        ui.small(tr!("settings-you-note"));
        egui::Grid::new("you").num_columns(2).show(ui, |ui| {
            let you = &mut self.settings.edit.you;
            for (what, value, lines) in [
                (tr!("settings-name"), &mut you.name, 1),
                (tr!("settings-address"), &mut you.address, 3),
                (tr!("settings-email"), &mut you.email, 1),
                (tr!("settings-phone"), &mut you.phone, 1),
            ] {
                let name = ui.label(what).id;
                let edit = if lines == 1 {
                    egui::TextEdit::singleline(value)
                } else {
                    egui::TextEdit::multiline(value).desired_rows(lines)
                };
                ui.add(edit.desired_width(320.0)).labelled_by(name);
                ui.end_row();
            }
        });
        if let Some(Err(e)) = &self.settings.devices {
            ui.colored_label(
                egui::Color32::RED,
                tr!("settings-no-devices", error = e.as_str()),
            );
        }
        ui.horizontal(|ui| {
            let dirty = self.settings.edit != self.settings.saved;
            if ui
                .add_enabled(dirty, egui::Button::new(tr!("settings-save")))
                .clicked()
            {
                self.settings.message = Some(match self.save() {
                    Ok(m) => m,
                    Err(e) => tr!("settings-not-saved", error = e),
                });
            }
            if ui
                .add_enabled(dirty, egui::Button::new(tr!("settings-revert")))
                .clicked()
            {
                self.settings.edit = self.settings.saved.clone();
            }
            if ui.button(tr!("settings-refresh")).clicked() {
                self.settings.devices = None;
            }
        });
        if let Some(m) = &self.settings.message {
            ui.label(m);
        }
        if let Some(p) = &self.settings.path {
            ui.small(tr!("settings-file", path = p.display().to_string()));
        }
    }

    /// Saves the edited settings and applies them; returns what happened.
    pub fn save(&mut self) -> Result<String, String> {
        let s = &mut self.settings;
        super::hotkey::parse(&s.edit.hotkey)?;
        if !s.edit.talk_hotkey.trim().is_empty() {
            super::hotkey::parse(&s.edit.talk_hotkey)?;
        }
        let path = s.path.clone().ok_or_else(|| tr!("settings-no-home"))?;
        if s.edit.start_at_login != s.saved.start_at_login {
            let entry = s
                .autostart
                .clone()
                .ok_or_else(|| tr!("settings-no-autostart"))?;
            super::autostart::set(&entry, s.edit.start_at_login)?;
        }
        crate::config::save(&s.edit, &path).map_err(|e| e.to_string())?;
        let restart = s.edit.guard != s.saved.guard
            || s.edit.devices != s.saved.devices
            || s.edit.route_recorders != s.saved.route_recorders
            || s.edit.keep_devices_open != s.saved.keep_devices_open;
        self.hotkey_changed =
            s.edit.hotkey != s.saved.hotkey || s.edit.talk_hotkey != s.saved.talk_hotkey;
        s.saved = s.edit.clone();
        crate::i18n::set(crate::i18n::Lang::from_setting(&s.saved.language));
        if restart {
            {
                let mut o = self.run_opts.lock().unwrap_or_else(|e| e.into_inner());
                *o = RunOptions {
                    journal: o.journal.take(),
                    ..RunOptions::from_config(&s.saved)
                };
            }
            self.ctl.request_restart();
            Ok(tr!("settings-saved-restart"))
        } else {
            Ok(tr!("settings-saved"))
        }
    }
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "—"
    } else {
        s
    }
}

/// A level bar from −60 to 0 dBFS.
fn meter(ui: &mut egui::Ui, label: &str, db: f32) {
    ui.horizontal(|ui| {
        ui.add_sized([90.0, 16.0], egui::Label::new(label));
        let frac = ((db + 60.0) / 60.0).clamp(0.0, 1.0);
        ui.add(
            egui::ProgressBar::new(frac)
                .desired_width(300.0)
                .text(if db <= -99.0 {
                    "—".to_string()
                } else {
                    format!("{db:.0} dB")
                }),
        );
    });
}

/// The rolling timeline: far-end class above, mute state below, newest on the right.
fn timeline(ui: &mut egui::Ui, slots: &[crate::control::Slot]) {
    let width = ui.available_width().min(600.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, 34.0), egui::Sense::hover());
    let p = ui.painter_at(rect);
    p.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    let n = (TIMELINE_S / SLOT_S) as usize;
    let w = rect.width() / n as f32;
    let offset = n.saturating_sub(slots.len());
    for (k, s) in slots.iter().enumerate() {
        let x = rect.left() + (offset + k) as f32 * w;
        p.rect_filled(
            egui::Rect::from_min_max(
                egui::pos2(x, rect.top()),
                egui::pos2(x + w, rect.top() + 20.0),
            ),
            0.0,
            class_color(s.class),
        );
        if s.muted {
            p.rect_filled(
                egui::Rect::from_min_max(
                    egui::pos2(x, rect.top() + 24.0),
                    egui::pos2(x + w, rect.bottom()),
                ),
                0.0,
                rgb(Look::MutedHold.color()),
            );
        }
    }
}
