//! The desktop app: `holdguard` with no command.
//!
//! Three threads matter. The guard thread runs [`crate::live::run`] (restarting it when settings
//! change, retrying when audio cannot start); the UI thread runs eframe; tray-icon and
//! global-hotkey call back on threads of their own. They meet only in the [`Controller`]: requests
//! go in, a status snapshot comes out, and a wake-up makes eframe run [`App::logic`] even while the
//! window is hidden — which is where the tray icon, the alerts and "bring the window forward"
//! happen. Nothing in `ui()` is needed for guarding.

pub mod alert;
pub mod autostart;
pub mod hotkey;
pub mod icons;
pub mod logview;
pub mod portal;
pub mod tray;
pub mod view;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui;

use crate::control::{self, Controller, Request};
use crate::live::RunOptions;

/// How the app was started.
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    /// Start with the window hidden in the tray (the autostart entry does).
    pub hidden: bool,
    /// Settings and journal files (default: the platform folders).
    pub config: Option<PathBuf>,
    pub journal: Option<PathBuf>,
}

/// Runs the guard thread: guards with the current options until stopped; restarts on request;
/// when audio cannot start, shows why and tries again every few seconds.
fn guard_thread(ctl: Arc<Controller>, opts: Arc<Mutex<RunOptions>>) {
    while !ctl.stopping() {
        ctl.take_restart();
        let o = opts.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match crate::live::run(o.clone(), &ctl, &|r| crate::live::print_report(&r, true)) {
            Ok(()) => continue,
            Err(e) => {
                let why = format!("{e:#}");
                eprintln!(
                    "holdguard: {}",
                    crate::tr!("status-guard-failed", why = why.as_str())
                );
                ctl.update(|s| {
                    s.state = control::State::Starting;
                    s.problem = Some(why.clone());
                });
                // Meanwhile the log can still be edited; commands cannot be obeyed.
                let until = Instant::now() + Duration::from_secs(3);
                while Instant::now() < until && !ctl.should_end() {
                    std::thread::sleep(Duration::from_millis(20));
                    for (req, reply) in ctl.take_requests() {
                        let error = match req {
                            Request::Delete(which) => {
                                match o.journal.clone().or_else(crate::journal::default_path) {
                                    Some(p) => crate::journal::delete_intervals(&p, &which)
                                        .err()
                                        .map(|e| e.to_string()),
                                    None => Some("no journal".into()),
                                }
                            }
                            Request::Command(_) => Some(format!("the guard is not running: {why}")),
                        };
                        reply.send(error);
                    }
                }
            }
        }
    }
}

/// The eframe side: desktop integration around the [`view::View`].
struct App {
    view: view::View,
    ctl: Arc<Controller>,
    tray: Option<tray::Tray>,
    hotkey: Option<hotkey::Hotkey>,
    shows_seen: u64,
    agent_back_seen: u64,
    visible: bool,
    quitting: bool,
}

impl App {
    fn register_hotkey(&mut self) {
        self.hotkey = None;
        let ctl = self.ctl.clone();
        let talk_ctl = self.ctl.clone();
        let saved = &self.view.settings.saved;
        let hk = hotkey::register(
            &saved.hotkey,
            &saved.talk_hotkey,
            move || {
                ctl.submit(Request::Command(crate::guard::Command::Toggle));
                alert::play(alert::Sound::Click, &ctl);
            },
            move |down| {
                talk_ctl.submit(Request::Command(if down {
                    crate::guard::Command::TalkStart
                } else {
                    crate::guard::Command::TalkEnd
                }));
            },
        );
        self.view.hotkey = hk.availability.clone();
        self.view.talk_hotkey = hk.talk.clone();
        self.hotkey = Some(hk);
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if self.ctl.stopping() && !self.quitting {
            self.quitting = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if let Some(hk) = self.hotkey.as_mut() {
            if hk.poll() {
                self.view.hotkey = hk.availability.clone();
                self.view.talk_hotkey = hk.talk.clone();
            }
        }
        let status = self.ctl.status();
        let now = control::now_unix();
        if let Some(t) = self.tray.as_mut() {
            t.update(&status, now);
        }
        if status.agent_back > self.agent_back_seen {
            self.agent_back_seen = status.agent_back;
            if self.view.settings.saved.alert {
                alert::play(alert::Sound::Chime, &self.ctl);
                alert::notify_agent_back();
            }
        }
        let shows = self.ctl.window().shown();
        if shows != self.shows_seen {
            self.shows_seen = shows;
            if let Some(v) = self.ctl.window().take_view() {
                self.view.tab = match v.as_str() {
                    "log" => view::Tab::Log,
                    "letter" => {
                        self.view.log.open_latest_letter();
                        view::Tab::Log
                    }
                    "settings" => view::Tab::Settings,
                    _ => view::Tab::Guard,
                };
            }
            self.visible = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::Visible(true));
            ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
            ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
        }
        if ctx.input(|i| i.viewport().close_requested()) && !self.quitting {
            if self.tray.is_some() {
                // Closing hides to the tray; Quit is in the tray menu.
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                ctx.send_viewport_cmd(egui::ViewportCommand::Visible(false));
                self.visible = false;
            } else {
                self.quitting = true;
                self.ctl.stop();
            }
        }
        if self.view.hotkey_changed {
            self.view.hotkey_changed = false;
            self.register_hotkey();
        }
        // Hidden, only the tooltip's clock needs a tick; shown, `ui` asks for its own repaints.
        if !self.visible {
            ctx.request_repaint_after(Duration::from_secs(1));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        // On X11 a window hidden to the tray still reports itself visible, so eframe would go on
        // painting it: draw nothing (and ask for no repaints) until it is shown again.
        if self.visible {
            self.view.ui(ui);
        }
    }
}

/// Starts the desktop app; returns when the user quits.
pub fn run_app(opts: AppOptions) -> anyhow::Result<ExitCode> {
    let _lock = match control::single_instance() {
        Ok(l) => l,
        Err(control::InstanceError::Running(pid)) => {
            // Bring the running one forward instead of starting a second guard.
            control::request(&control::socket_path(), "show")?;
            println!("{}", crate::tr!("cli-already-running", pid = pid));
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(e.into()),
    };
    let config_path = opts.config.clone().or_else(crate::config::default_path);
    let (config, warnings) = match &config_path {
        Some(p) => crate::config::load(p)?,
        None => Default::default(),
    };
    crate::i18n::set(crate::i18n::Lang::from_setting(&config.language));
    for w in &warnings {
        eprintln!("holdguard: {w}");
    }
    let journal = opts.journal.clone().or_else(crate::journal::default_path);
    let run_opts = Arc::new(Mutex::new(RunOptions {
        journal: journal.clone(),
        ..RunOptions::from_config(&config)
    }));

    let ctl = Controller::new();
    {
        let ctl = ctl.clone();
        ctrlc::set_handler(move || ctl.stop())?;
    }
    let _socket = control::serve(&control::socket_path(), ctl.clone())
        .map_err(|e| anyhow::anyhow!("cannot open the control socket: {e}"))?;
    let guard = {
        let (ctl, o) = (ctl.clone(), run_opts.clone());
        std::thread::Builder::new()
            .name("holdguard-guard".into())
            .spawn(move || guard_thread(ctl, o))?
    };

    let icon = egui::IconData {
        rgba: icons::rgba(icons::Look::Live, 64),
        width: 64,
        height: 64,
    };
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Hold Guard")
            .with_app_id("holdguard")
            .with_inner_size([640.0, 540.0])
            .with_min_inner_size([480.0, 420.0])
            .with_icon(Arc::new(icon))
            .with_visible(!opts.hidden),
        ..Default::default()
    };
    let app_ctl = ctl.clone();
    let result = eframe::run_native(
        "Hold Guard",
        native,
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            app_ctl.on_wake(move || ctx.request_repaint());
            let mut v = view::View::new(app_ctl.clone(), config, config_path, journal, run_opts);
            v.config_warnings = warnings;
            // The tray's menu items are not Send: they are made here, on the UI thread.
            let tray = match tray::Tray::new(&app_ctl) {
                Ok(t) => Some(t),
                Err(e) => {
                    v.tray_problem = Some(e);
                    None
                }
            };
            let mut app = App {
                view: v,
                ctl: app_ctl.clone(),
                tray,
                hotkey: None,
                shows_seen: app_ctl.window().shown(),
                agent_back_seen: 0,
                visible: !opts.hidden,
                quitting: false,
            };
            app.register_hotkey();
            Ok(Box::new(app))
        }),
    );
    ctl.stop();
    // The guard closes the open interval and removes the virtual microphone on its way out.
    let _ = guard.join();
    result.map_err(|e| {
        anyhow::anyhow!(
            "cannot open the window ({e}); without a desktop use `holdguard run`, the headless guard"
        )
    })?;
    Ok(ExitCode::SUCCESS)
}
