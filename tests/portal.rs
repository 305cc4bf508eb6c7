//! The Wayland shortcuts (`ui::portal`) against a stand-in for the desktop portal on a private
//! D-Bus bus: it speaks `org.freedesktop.portal.GlobalShortcuts` as the XDG specification writes
//! it (requests answered by `Response` signals on the request's path, sessions closed through
//! `org.freedesktop.portal.Session`), and plays the desktop pressing and releasing the keys. No
//! real portal backend with global shortcuts (KDE, GNOME, Hyprland) runs headless here, so this
//! checks our side of the protocol, not a desktop's. Needs `dbus-daemon` (scripts/setup.sh).
#![cfg(all(unix, feature = "desktop"))]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use holdguard::ui::portal::{bind_on, TALK, TOGGLE};
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

const PATH: &str = "/org/freedesktop/portal/desktop";
const IFACE: &str = "org.freedesktop.portal.GlobalShortcuts";

/// A private session bus, stopped when dropped.
struct Bus {
    daemon: Child,
    address: String,
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

fn bus() -> Bus {
    let mut daemon = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("dbus-daemon is not installed: run scripts/setup.sh");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(daemon.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    Bus {
        daemon,
        address: line.trim().to_string(),
    }
}

/// What the stand-in saw, and how it answers.
#[derive(Default)]
struct Seen {
    /// (id, description, preferred trigger) of every shortcut bound.
    bound: Vec<(String, String, String)>,
    sessions: Vec<String>,
    closed: usize,
}

struct FakePortal {
    seen: Arc<Mutex<Seen>>,
    /// The response code BindShortcuts answers with (0 bound, 1 cancelled by the user).
    bind_answer: u32,
}

fn request_path(hdr: &zbus::message::Header<'_>, options: &HashMap<String, OwnedValue>) -> String {
    let sender = hdr.sender().unwrap().as_str();
    let token: String = options["handle_token"]
        .try_clone()
        .unwrap()
        .try_into()
        .unwrap();
    format!(
        "/org/freedesktop/portal/desktop/request/{}/{token}",
        sender.trim_start_matches(':').replace('.', "_")
    )
}

#[zbus::interface(name = "org.freedesktop.portal.GlobalShortcuts")]
impl FakePortal {
    #[zbus(property, name = "version")]
    fn version(&self) -> u32 {
        1
    }

    async fn create_session(
        &self,
        options: HashMap<String, OwnedValue>,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
    ) -> OwnedObjectPath {
        let request = request_path(&hdr, &options);
        let token: String = options["session_handle_token"]
            .try_clone()
            .unwrap()
            .try_into()
            .unwrap();
        let session = format!(
            "/org/freedesktop/portal/desktop/session/{}/{token}",
            hdr.sender()
                .unwrap()
                .trim_start_matches(':')
                .replace('.', "_")
        );
        self.seen.lock().unwrap().sessions.push(session.clone());
        conn.object_server()
            .at(
                session.as_str(),
                FakeSession {
                    seen: self.seen.clone(),
                },
            )
            .await
            .unwrap();
        // As the specification has it, the session handle comes back as a string.
        let results = HashMap::from([("session_handle", Value::from(session.as_str()))]);
        conn.emit_signal(
            hdr.sender().map(|s| s.as_str()),
            request.as_str(),
            "org.freedesktop.portal.Request",
            "Response",
            &(0u32, results),
        )
        .await
        .unwrap();
        OwnedObjectPath::try_from(request).unwrap()
    }

    async fn bind_shortcuts(
        &self,
        _session: OwnedObjectPath,
        shortcuts: Vec<(String, HashMap<String, OwnedValue>)>,
        _parent_window: String,
        options: HashMap<String, OwnedValue>,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
    ) -> OwnedObjectPath {
        let request = request_path(&hdr, &options);
        let text = |p: &HashMap<String, OwnedValue>, k: &str| -> String {
            p.get(k)
                .and_then(|v| String::try_from(v.try_clone().ok()?).ok())
                .unwrap_or_default()
        };
        let mut back: Vec<(String, HashMap<&str, Value>)> = Vec::new();
        for (id, props) in &shortcuts {
            let preferred = text(props, "preferred_trigger");
            self.seen.lock().unwrap().bound.push((
                id.clone(),
                text(props, "description"),
                preferred.clone(),
            ));
            // The desktop shows the keys it bound its own way.
            back.push((
                id.clone(),
                HashMap::from([(
                    "trigger_description",
                    Value::from(format!("Press {preferred}")),
                )]),
            ));
        }
        let results = HashMap::from([("shortcuts", Value::from(back))]);
        conn.emit_signal(
            hdr.sender().map(|s| s.as_str()),
            request.as_str(),
            "org.freedesktop.portal.Request",
            "Response",
            &(self.bind_answer, results),
        )
        .await
        .unwrap();
        OwnedObjectPath::try_from(request).unwrap()
    }
}

struct FakeSession {
    seen: Arc<Mutex<Seen>>,
}

#[zbus::interface(name = "org.freedesktop.portal.Session")]
impl FakeSession {
    fn close(&self) {
        self.seen.lock().unwrap().closed += 1;
    }
}

fn portal(bus: &Bus, bind_answer: u32) -> (zbus::blocking::Connection, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let conn = zbus::blocking::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .name("org.freedesktop.portal.Desktop")
        .unwrap()
        .serve_at(
            PATH,
            FakePortal {
                seen: seen.clone(),
                bind_answer,
            },
        )
        .unwrap()
        .build()
        .unwrap();
    (conn, seen)
}

fn client(bus: &Bus) -> zbus::blocking::Connection {
    zbus::blocking::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .build()
        .unwrap()
}

/// The desktop presses (or releases) a shortcut of `session`.
fn desktop(portal: &zbus::blocking::Connection, session: &str, id: &str, pressed: bool) {
    let session = OwnedObjectPath::try_from(session).unwrap();
    let options: HashMap<&str, Value> = HashMap::new();
    portal
        .emit_signal(
            None::<&str>,
            PATH,
            IFACE,
            if pressed { "Activated" } else { "Deactivated" },
            &(session, id, 12345u64, options),
        )
        .unwrap();
}

#[test]
fn the_portal_binds_both_shortcuts_and_reports_presses_and_releases() {
    let bus = bus();
    let (desk, seen) = portal(&bus, 0);
    let toggles = Arc::new(AtomicUsize::new(0));
    let (talk_tx, talk_rx) = mpsc::channel();
    let t = toggles.clone();
    let p = bind_on(
        client(&bus),
        "Ctrl+Alt+M",
        "Ctrl+Alt+Space",
        move || {
            t.fetch_add(1, Ordering::SeqCst);
        },
        move |down| talk_tx.send(down).unwrap(),
    )
    .expect("the stand-in portal binds");
    {
        let s = seen.lock().unwrap();
        let ids: Vec<(&str, &str)> = s
            .bound
            .iter()
            .map(|(id, _, key)| (id.as_str(), key.as_str()))
            .collect();
        assert_eq!(
            ids,
            [(TOGGLE, "CTRL+ALT+m"), (TALK, "CTRL+ALT+space")],
            "what was asked of the desktop"
        );
        assert!(s.bound.iter().all(|(_, d, _)| d.starts_with("Hold Guard")));
    }
    assert_eq!(
        p.triggers[TOGGLE], "Press CTRL+ALT+m",
        "the desktop's own words"
    );
    assert_eq!(p.triggers[TALK], "Press CTRL+ALT+space");
    let session = seen.lock().unwrap().sessions[0].clone();

    desktop(&desk, &session, TOGGLE, true);
    desktop(&desk, &session, TOGGLE, false);
    desktop(&desk, &session, TALK, true);
    desktop(&desk, &session, TALK, false);
    // Another application's session with the same shortcut id is not ours.
    desktop(
        &desk,
        "/org/freedesktop/portal/desktop/session/1_9/other",
        TOGGLE,
        true,
    );
    let wait = Duration::from_secs(5);
    assert_eq!(talk_rx.recv_timeout(wait), Ok(true), "push-to-talk pressed");
    assert_eq!(
        talk_rx.recv_timeout(wait),
        Ok(false),
        "push-to-talk released"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        toggles.load(Ordering::SeqCst),
        1,
        "one press of the mute shortcut; its release and another session's press do nothing"
    );

    drop(p);
    let t0 = std::time::Instant::now();
    while seen.lock().unwrap().closed == 0 && t0.elapsed() < wait {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        seen.lock().unwrap().closed,
        1,
        "the session is closed on drop"
    );
}

#[test]
fn a_cancelled_dialog_or_no_portal_is_an_error_that_says_so() {
    let bus = bus();
    let e = bind_on(client(&bus), "Ctrl+Alt+M", "", || {}, |_| {})
        .err()
        .expect("nobody serves the portal on this bus");
    assert!(e.contains("no GlobalShortcuts portal"), "{e}");

    let (_desk, seen) = portal(&bus, 1);
    let e = bind_on(client(&bus), "Ctrl+Alt+M", "", || {}, |_| {})
        .err()
        .expect("the user cancelled");
    assert!(e.contains("cancelled"), "{e}");
    assert_eq!(
        seen.lock().unwrap().bound.len(),
        1,
        "no push-to-talk asked for"
    );
}

/// What the app does on Wayland: the portal is asked on a thread of its own (the desktop may
/// show a dialog first), the shortcuts are pending until its answer comes, then bound as the
/// desktop says, and a press reaches the app.
#[test]
fn on_wayland_the_app_asks_the_portal_without_waiting_for_it() {
    use holdguard::ui::hotkey::{register, Availability};
    let bus = bus();
    let (desk, seen) = portal(&bus, 0);
    // Only this test reads these; the others pass their connection in.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    std::env::set_var("WAYLAND_DISPLAY", "wayland-holdguard-test");
    let toggles = Arc::new(AtomicUsize::new(0));
    let t = toggles.clone();
    let mut hk = register(
        "Ctrl+Alt+M",
        "",
        move || {
            t.fetch_add(1, Ordering::SeqCst);
        },
        |_| {},
    );
    assert_eq!(hk.availability, Availability::Pending);
    let t0 = std::time::Instant::now();
    while !hk.poll() {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "no answer from the portal"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        matches!(&hk.availability, Availability::Active(k) if k.contains("Press CTRL+ALT+m")),
        "{:?}",
        hk.availability
    );
    assert_eq!(hk.talk, Availability::NotSet, "no push-to-talk key set");
    let session = seen.lock().unwrap().sessions[0].clone();
    desktop(&desk, &session, TOGGLE, true);
    let t0 = std::time::Instant::now();
    while toggles.load(Ordering::SeqCst) == 0 && t0.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(toggles.load(Ordering::SeqCst), 1);
}
