//! The desktop app against real parts: an X server (Xvfb + openbox), a D-Bus session bus and a
//! PipeWire server. Run with `bash scripts/session.sh cargo test --release --test desktop --
//! --ignored --nocapture` (`scripts/test.sh` does); they are ignored in a bare `cargo test`.
//!
//! One app is started and driven the way a user would: screenshots of the main and log views are
//! checked by their colours, the tray's StatusNotifierItem is found on the bus and its menu
//! clicked, the hotkey pressed with xdotool, the window closed to the tray and brought back, and
//! the app quit from the tray. It also prints the figures the README quotes (start-up time, RSS,
//! CPU while hidden).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::status;

const BIN: &str = env!("CARGO_BIN_EXE_holdguard");

/// Colours the checks look for (sRGB as drawn): the LIVE and MUTED — manual banners, the log's
/// per-day bars.
const LIVE_GREEN: (u8, u8, u8) = (0x2e, 0x9e, 0x4f);
const MANUAL_PURPLE: (u8, u8, u8) = (0x7b, 0x3f, 0xb5);
const BAR_RED: (u8, u8, u8) = (0xc6, 0x28, 0x28);

fn run(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        // The command line in English, whatever the machine's locale.
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e} (run inside scripts/session.sh)"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn state() -> String {
    status()
        .and_then(|s| s["state"].as_str().map(String::from))
        .unwrap_or_default()
}

fn wait_for(what: &str, secs: f64, mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while t.elapsed().as_secs_f64() < secs {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what}: not within {secs} s");
}

/// Pixels of exactly `c` in a screenshot of the whole screen.
fn count_color(shot: &Path, c: (u8, u8, u8)) -> u64 {
    let o = run(
        "convert",
        &[shot.to_str().unwrap(), "-format", "%c", "histogram:info:-"],
    );
    assert!(o.status.success(), "convert: {}", text(&o));
    let want = format!("({},{},{})", c.0, c.1, c.2);
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.replace(' ', "").contains(&want))
        .filter_map(|l| l.trim().split(':').next()?.trim().parse::<u64>().ok())
        .sum()
}

fn screenshot(dir: &Path, name: &str) -> PathBuf {
    // Let the window paint what changed.
    std::thread::sleep(Duration::from_millis(700));
    let p = dir.join(name);
    let o = run("import", &["-window", "root", p.to_str().unwrap()]);
    assert!(o.status.success(), "import: {}", text(&o));
    p
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap()
}

/// CPU seconds (user + system) the process has used.
fn cpu_s(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn map_state(wid: &str) -> String {
    let o = run("xwininfo", &["-id", wid]);
    text(&o)
        .lines()
        .find(|l| l.contains("Map State:"))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn dbus(args: &[&str]) -> String {
    let mut a = vec!["--session", "--print-reply"];
    a.extend_from_slice(args);
    let o = run("dbus-send", &a);
    assert!(o.status.success(), "dbus-send {args:?}: {}", text(&o));
    text(&o)
}

/// The tray's menu as dbusmenu describes it.
fn menu_layout(dest: &str) -> String {
    dbus(&[
        dest,
        "/MenuBar",
        "com.canonical.dbusmenu.GetLayout",
        "int32:0",
        "int32:-1",
        "array:string:",
    ])
}

/// Clicks the tray menu item `id`, as a tray host does.
fn click_menu(dest: &str, id: &str) {
    dbus(&[
        dest,
        "/MenuBar",
        "com.canonical.dbusmenu.Event",
        &format!("int32:{id}"),
        "string:clicked",
        "variant:int32:0",
        "uint32:0",
    ]);
}

/// The id of the tray menu item labelled `label` in a dbusmenu GetLayout reply.
fn menu_id(layout: &str, label: &str) -> String {
    let mut last_id = None;
    let mut prev = "";
    for line in layout.lines() {
        let l = line.trim();
        if prev.ends_with("struct {") {
            if let Some(id) = l.strip_prefix("int32 ") {
                last_id = Some(id.to_string());
            }
        }
        if l.contains(&format!("\"{label}\"")) {
            return last_id.unwrap_or_else(|| panic!("no id before {label}"));
        }
        prev = l;
    }
    panic!("no menu item {label:?} in\n{layout}");
}

struct App(Child);

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn seed(config_home: &Path, data_home: &Path) {
    std::fs::create_dir_all(config_home.join("holdguard")).unwrap();
    std::fs::write(
        config_home.join("holdguard/config.toml"),
        "[devices]\nmic = \"pipewire:sink_b\"\nfar = \"pipewire:sink_a\"\n\
         [you]\nname = \"Anna de Vries\"\naddress = \"Keizersgracht 1\\n1015 AA Amsterdam\"\n\
         email = \"anna@example.nl\"\nphone = \"+31 6 1234 5678\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(data_home.join("holdguard")).unwrap();
    std::fs::write(
        data_home.join("holdguard/labels.json"),
        r#"{"calls": {"past-1": {"company": "Voorbeeld Verzekeringen B.V.", "number": "+31 20 123 4567"}}}"#,
    )
    .unwrap();
    // A week of past calls, so the log view has bars to draw.
    let now = holdguard::control::now_unix();
    let journal = data_home.join("holdguard/journal.jsonl");
    let (mut j, _) = holdguard::journal::Journal::open(&journal).unwrap();
    for d in 1..6 {
        let start = now - d as f64 * 86_400.0;
        j.open_interval(&format!("past-{d}"), start, "hold_music")
            .unwrap();
        j.close_interval(start + 300.0 * d as f64, "agent_speech")
            .unwrap();
    }
}

#[test]
#[ignore = "needs an X server, a session bus and PipeWire: run it through scripts/session.sh"]
fn the_desktop_app_end_to_end() {
    let env = |k: &str| {
        PathBuf::from(
            std::env::var_os(k)
                .unwrap_or_else(|| panic!("{k} unset: run inside scripts/session.sh")),
        )
    };
    let (config_home, data_home) = (env("XDG_CONFIG_HOME"), env("XDG_DATA_HOME"));
    assert!(std::env::var_os("DISPLAY").is_some(), "no DISPLAY");
    seed(&config_home, &data_home);
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    let started = Instant::now();
    let log = std::fs::File::create(shots.join("app.log")).unwrap();
    let child = Command::new(BIN)
        // A Dutch user: window, tray, tooltip and letters speak Dutch (the command-line calls
        // below run in the test's own locale).
        .env("LANG", "nl_NL.UTF-8")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut app = App(child);
    wait_for("the guard to start", 20.0, || {
        matches!(state().as_str(), "live" | "silent_hold" | "hold_music")
    });
    let startup = started.elapsed().as_secs_f64();
    assert_eq!(state(), "live", "a line that never sounded is no hold");

    // The window, painted with the LIVE banner.
    let wid = String::from_utf8_lossy(
        &run(
            "xdotool",
            &[
                "search",
                "--sync",
                "--onlyvisible",
                "--name",
                "^Hold Guard$",
            ],
        )
        .stdout,
    )
    .lines()
    .next()
    .expect("the window")
    .to_string();
    let window_up = started.elapsed().as_secs_f64();
    let main = screenshot(&shots, "main.png");
    let green = count_color(&main, LIVE_GREEN);
    assert!(green > 20_000, "LIVE banner: {green} green pixels");
    let rss_shown = rss_kb(pid);

    // The tray: a StatusNotifierItem of this process on the session bus, with our menu.
    let names = dbus(&[
        "--dest=org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.ListNames",
    ]);
    let sni = names
        .lines()
        .filter_map(|l| l.trim().strip_prefix("string \"")?.strip_suffix('"'))
        .find(|n| n.starts_with(&format!("org.kde.StatusNotifierItem-{pid}-")))
        .unwrap_or_else(|| panic!("no StatusNotifierItem for {pid} in\n{names}"))
        .to_string();
    let dest = format!("--dest={sni}");
    let layout = menu_layout(&dest);
    let mute = menu_id(&layout, "Microfoon dempen");
    click_menu(&dest, &mute);
    wait_for("tray Mute to mute", 3.0, || state() == "manual_mute");
    wait_for("the tray tooltip to follow", 3.0, || {
        dbus(&[
            &dest,
            "/StatusNotifierItem",
            "org.freedesktop.DBus.Properties.Get",
            "string:org.kde.StatusNotifierItem",
            "string:ToolTip",
        ])
        .contains("GEDEMPT — door jou")
    });
    let layout = menu_layout(&dest);
    assert!(layout.contains("\"Microfoon openen\""), "menu text follows");
    let muted = screenshot(&shots, "muted.png");
    assert!(
        count_color(&muted, MANUAL_PURPLE) > 20_000,
        "MUTED — manual banner"
    );
    assert!(count_color(&muted, LIVE_GREEN) < green / 10);

    // The global hotkey toggles it back.
    run("xdotool", &["key", "ctrl+alt+m"]);
    wait_for("the hotkey to unmute", 3.0, || state() == "manual_unmute");
    run("xdotool", &["key", "ctrl+alt+m"]);
    wait_for("the hotkey to mute", 3.0, || state() == "manual_mute");

    // The command-line fallbacks talk to this instance.
    let o = run(BIN, &["toggle"]);
    assert!(
        o.status.success() && text(&o).contains("LIVE"),
        "{}",
        text(&o)
    );
    assert!(run(BIN, &["resume"]).status.success());
    assert_eq!(state(), "live");
    let o = run(BIN, &["pause"]);
    assert!(text(&o).contains("PAUSED"), "{}", text(&o));
    assert!(run(BIN, &["resume"]).status.success());

    // A second start does not start a second guard.
    let o = run(BIN, &[]);
    assert!(
        o.status.success() && text(&o).contains("already running"),
        "{}",
        text(&o)
    );
    let o = run(BIN, &["run"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("already running"));
    assert_eq!(status().unwrap()["pid"], pid);

    // The log view.
    assert!(run(BIN, &["show", "log"]).status.success());
    let logshot = screenshot(&shots, "log.png");
    let bars = count_color(&logshot, BAR_RED);
    assert!(bars > 500, "per-day bars: {bars} red pixels");
    assert!(
        count_color(&logshot, LIVE_GREEN) < 2_000,
        "the banner is gone"
    );
    // The rights letters of the latest call, in Dutch: the dialog dims the log behind it.
    assert!(run(BIN, &["show", "letter"]).status.success());
    let lettershot = screenshot(&shots, "letter.png");
    let bars_behind = count_color(&lettershot, BAR_RED);
    assert!(
        bars_behind < bars / 4,
        "no dialog over the log: {bars_behind} of {bars} bar pixels undimmed"
    );
    run("xdotool", &["key", "--clearmodifiers", "Escape"]);
    assert!(run(BIN, &["show", "guard"]).status.success());

    // Closing the window hides it to the tray; the guard goes on.
    run("xdotool", &["windowactivate", "--sync", &wid]);
    run("xdotool", &["key", "--clearmodifiers", "alt+F4"]);
    wait_for("the window to hide", 5.0, || {
        map_state(&wid).contains("IsUnMapped")
    });
    assert!(status().is_some(), "still guarding after the window closed");
    // No softphone records "Hold Guard Microphone" yet: the app lets the devices go.
    wait_for(
        "standby with no app on the virtual microphone",
        15.0,
        || status().is_some_and(|s| s["standby"] == true),
    );
    std::thread::sleep(Duration::from_secs(2));
    let rss_hidden = rss_kb(pid);
    let (c0, t0) = (cpu_s(pid), Instant::now());
    std::thread::sleep(Duration::from_secs(10));
    let cpu_hidden = (cpu_s(pid) - c0) / t0.elapsed().as_secs_f64() * 100.0;
    run(BIN, &["mute"]);
    wait_for("mute while hidden", 3.0, || state() == "manual_mute");
    assert!(run(BIN, &["show"]).status.success());
    wait_for("the window to come back", 5.0, || {
        map_state(&wid).contains("IsViewable")
    });
    run(BIN, &["unmute"]);
    run(BIN, &["resume"]);

    // A real call: a softphone records the virtual microphone (the devices come back), hold music
    // mutes (red banner), the agent's return reopens, with a notification.
    let _softphone = App(Command::new("parec")
        .args([
            "--device",
            "holdguard_mic",
            "--channels=1",
            "--format=float32le",
        ])
        .arg("/dev/null")
        .spawn()
        .unwrap());
    wait_for("the devices to come back", 3.0, || {
        status().is_some_and(|s| s["standby"] == false)
    });
    let fixture = |n: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(n)
    };
    let notes = shots.join("notifications.txt");
    let mut monitor = Command::new("dbus-monitor")
        .args([
            "--session",
            "interface='org.freedesktop.Notifications',member='Notify'",
        ])
        .stdout(std::fs::File::create(&notes).unwrap())
        .spawn()
        .unwrap();
    let mut players: Vec<Child> = [
        ("sink_b", "hold_repeat_agent.mic.flac"),
        ("sink_a", "hold_repeat_agent.far.flac"),
    ]
    .iter()
    .map(|(sink, f)| {
        Command::new("paplay")
            .args(["-d", sink])
            .arg(fixture(f))
            .spawn()
            .unwrap()
    })
    .collect();
    wait_for("hold music to mute", 20.0, || state() == "hold_music");
    std::thread::sleep(Duration::from_secs(3));
    let hold = screenshot(&shots, "hold.png");
    let red = count_color(&hold, BAR_RED);
    assert!(red > 20_000, "MUTED — hold music banner: {red} red pixels");
    wait_for("the agent to reopen", 90.0, || {
        status().is_some_and(|s| s["agent_back"].as_u64() >= Some(1))
    });
    assert_eq!(state(), "live");
    // In Dutch, as the app speaks it.
    wait_for("the agent-is-back notification", 5.0, || {
        std::fs::read_to_string(&notes).is_ok_and(|t| t.contains("De medewerker is terug"))
    });
    let _ = monitor.kill();
    let _ = monitor.wait();
    for p in &mut players {
        let _ = p.wait();
    }

    // Quit from the tray: the process ends, the virtual microphone goes, nothing stays open.
    let layout = menu_layout(&dest);
    let quit = menu_id(&layout, "Hold Guard afsluiten");
    click_menu(&dest, &quit);
    let t = Instant::now();
    let code = loop {
        if let Some(s) = app.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "Quit did not end the app"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(code.success(), "{code:?}");
    let sinks = text(&run("pactl", &["list", "short", "modules"]));
    assert!(
        !sinks.contains("holdguard"),
        "virtual microphone left behind:\n{sinks}"
    );
    let c = holdguard::journal::read(&data_home.join("holdguard/journal.jsonl")).unwrap();
    assert!(c.unclosed.is_empty(), "{:?}", c.unclosed);
    assert!(c.intervals.iter().any(|i| i.reason == "manual_mute"));
    assert!(run(BIN, &["status"]).status.code() == Some(2));

    println!(
        "figures: start-up to guarding {startup:.2} s, to the window shown {window_up:.2} s; RSS {:.1} MB with the window shown, {:.1} MB hidden in the tray; CPU hidden in the tray between calls (standby) {cpu_hidden:.2} % of one core",
        rss_shown as f64 / 1024.0,
        rss_hidden as f64 / 1024.0
    );
    println!("screenshots in {}", shots.display());
}
