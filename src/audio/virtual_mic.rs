//! The virtual microphone that softphones pick: "Hold Guard Microphone".
//!
//! On Linux it is a null sink (`holdguard_sink`) that the guard plays the gated microphone into,
//! plus a source remapped from its monitor (`holdguard_mic`) — the plumbing NoiseTorch uses. Both
//! PulseAudio and PipeWire (through pipewire-pulse) load these modules over the native protocol, so
//! no `pactl` or libpulse is needed. Creating is idempotent: a pair already there (another start,
//! or a crash) is reused, a broken or duplicated set is cleaned up first. Other systems use an
//! existing device instead (a virtual cable on Windows, BlackHole on macOS): see `--out`.

use std::ffi::CString;
use std::io::BufReader;
use std::os::unix::net::UnixStream;

use pulseaudio::protocol::{self as pa, Command};

/// Name of the null sink the guard plays into.
pub const SINK: &str = "holdguard_sink";
/// Name of the source softphones record from.
pub const SOURCE: &str = "holdguard_mic";

/// The PulseAudio auth cookie, looked up as libpulse does: `$PULSE_COOKIE`, then
/// `$XDG_CONFIG_HOME/pulse/cookie` (`~/.config` when unset), then `~/.pulse-cookie`. The
/// `pulseaudio` crate skips `$XDG_CONFIG_HOME`, and a daemon that checks cookies refuses a client
/// that sends the wrong one.
pub fn cookie_path() -> Option<std::path::PathBuf> {
    cookie_path_with(|k| std::env::var_os(k))
}

/// [`cookie_path`] with the environment passed in.
fn cookie_path_with(
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Option<std::path::PathBuf> {
    let home = var("HOME").map(std::path::PathBuf::from);
    let config = var("XDG_CONFIG_HOME")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    var("PULSE_COOKIE")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain(config.map(|c| c.join("pulse/cookie")))
        .chain(home.map(|h| h.join(".pulse-cookie")))
        .find(|p| p.exists())
}

/// Points `$PULSE_COOKIE` at [`cookie_path`] for the `pulseaudio` crate's other clients in this
/// process (cpal's PulseAudio host), which would otherwise miss a cookie under
/// `$XDG_CONFIG_HOME`. Call at start-up, before any thread exists.
pub fn export_cookie_path() {
    if std::env::var_os("PULSE_COOKIE").is_none() {
        if let Some(p) = cookie_path() {
            std::env::set_var("PULSE_COOKIE", p);
        }
    }
}

/// A stream's properties name this process (cpal's PulseAudio client sets the process id).
fn of_this_process(props: &pa::Props) -> bool {
    props
        .get(pa::Prop::ApplicationProcessId)
        .map(|v| v.strip_suffix(&[0]).unwrap_or(v))
        .is_some_and(|v| v == std::process::id().to_string().as_bytes())
}

/// What records from where, as the sound server sees it.
pub struct Recordings {
    /// Running (not paused) streams of other applications on the virtual microphone.
    pub apps_on_ours: usize,
    /// The sources this process's recording streams are on. PulseAudio moves a stream whose
    /// device went away to the default source without telling the client (which may be our own
    /// virtual microphone): the guard compares these with what it opened.
    pub ours_on: Vec<String>,
    /// Other applications' recording streams, with the source each is on: one on the guarded
    /// microphone itself goes around the guard.
    pub apps: Vec<AppRecording>,
}

/// Another application's recording stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppRecording {
    /// The server's index of the stream (to move it).
    pub index: u32,
    /// The application's name as it gives it ("baresip", "Firefox"), else the stream's.
    pub app: String,
    /// The source it records.
    pub source: String,
}

/// The call's own sound: a playback stream of the application that records the virtual
/// microphone (the softphone), which the guard listens to instead of everything on the speakers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallPlayback {
    /// The server's index of the playback stream (sink input).
    pub index: u32,
    /// The sink it plays on (its monitor carries it).
    pub sink: String,
    /// The application's name.
    pub app: String,
}

/// A property's text (without the NUL the protocol keeps).
fn prop_text(props: &pa::Props, p: pa::Prop) -> Option<String> {
    props
        .get(p)
        .map(|v| String::from_utf8_lossy(v.strip_suffix(&[0]).unwrap_or(v)).into_owned())
        .filter(|v| !v.is_empty())
}

/// Errors talking to the sound server; the text says what to do.
#[derive(Debug, thiserror::Error)]
pub enum VirtualMicError {
    #[error("no PulseAudio or PipeWire (pipewire-pulse) server found; start one, or pass --out DEVICE to use an existing device")]
    NoServer,
    #[error("the sound server refused {what}: {reason}")]
    Protocol { what: &'static str, reason: String },
}

/// A connection to the sound server's native protocol.
pub struct Server {
    sock: BufReader<UnixStream>,
    version: u16,
    seq: u32,
}

fn proto(what: &'static str) -> impl FnOnce(pa::ProtocolError) -> VirtualMicError {
    move |e| VirtualMicError::Protocol {
        what,
        reason: e.to_string(),
    }
}

impl Server {
    /// Connects and authenticates like any client of the user's session.
    pub fn connect() -> Result<Self, VirtualMicError> {
        let path = pulseaudio::socket_path_from_env().ok_or(VirtualMicError::NoServer)?;
        let sock = UnixStream::connect(path).map_err(|_| VirtualMicError::NoServer)?;
        let mut s = Self {
            sock: BufReader::new(sock),
            version: pa::MAX_VERSION,
            seq: 0,
        };
        let cookie = cookie_path()
            .and_then(|p| std::fs::read(p).ok())
            .unwrap_or_default();
        let auth = pa::AuthParams {
            version: pa::MAX_VERSION,
            supports_shm: false,
            supports_memfd: false,
            cookie,
        };
        let reply: pa::AuthReply = s.call(&Command::Auth(auth), "the connection")?;
        s.version = pa::MAX_VERSION.min(reply.version);
        let mut props = pa::Props::new();
        props.set(
            pa::Prop::ApplicationName,
            CString::new("Hold Guard").expect("no NUL"),
        );
        let _: pa::SetClientNameReply =
            s.call(&Command::SetClientName(props), "the client name")?;
        Ok(s)
    }

    fn call<R: pa::CommandReply>(
        &mut self,
        cmd: &Command,
        what: &'static str,
    ) -> Result<R, VirtualMicError> {
        self.seq += 1;
        pa::write_command_message(self.sock.get_mut(), self.seq, cmd, self.version)
            .map_err(proto(what))?;
        let (_, reply) =
            pa::read_reply_message::<R>(&mut self.sock, self.version).map_err(proto(what))?;
        Ok(reply)
    }

    fn ack(&mut self, cmd: &Command, what: &'static str) -> Result<(), VirtualMicError> {
        self.seq += 1;
        pa::write_command_message(self.sock.get_mut(), self.seq, cmd, self.version)
            .map_err(proto(what))?;
        pa::read_ack_message(&mut self.sock).map_err(proto(what))?;
        Ok(())
    }

    /// The default output (where the softphone plays the far end).
    pub fn default_sink(&mut self) -> Result<Option<String>, VirtualMicError> {
        let info: pa::ServerInfo = self.call(&Command::GetServerInfo, "the server info")?;
        Ok(info
            .default_sink_name
            .map(|s| s.to_string_lossy().into_owned()))
    }

    /// The default input (the user's microphone, unless it is our own).
    pub fn default_source(&mut self) -> Result<Option<String>, VirtualMicError> {
        let info: pa::ServerInfo = self.call(&Command::GetServerInfo, "the server info")?;
        Ok(info
            .default_source_name
            .map(|s| s.to_string_lossy().into_owned()))
    }

    /// How many running (not paused) streams record from the virtual microphone: softphones
    /// using it now. Two small queries over the open socket, cheap enough to ask twice a second.
    pub fn recorders(&mut self) -> Result<usize, VirtualMicError> {
        Ok(self.recordings()?.apps_on_ours)
    }

    /// Who records what, from three small queries: apps using the virtual microphone or the
    /// microphone itself, and where this process's own recordings are.
    pub fn recordings(&mut self) -> Result<Recordings, VirtualMicError> {
        let sources: pa::SourceInfoList =
            self.call(&Command::GetSourceInfoList, "the source list")?;
        let outputs: pa::SourceOutputInfoList =
            self.call(&Command::GetSourceOutputInfoList, "the recording streams")?;
        let ours = sources
            .iter()
            .find(|s| s.name.as_bytes() == SOURCE.as_bytes())
            .map(|s| s.index);
        // cpal's PipeWire streams carry the process id on their client only.
        let clients: pa::ClientInfoList =
            self.call(&Command::GetClientInfoList, "the client list")?;
        let our_clients: Vec<u32> = clients
            .iter()
            .filter(|c| of_this_process(&c.props))
            .map(|c| c.index)
            .collect();
        let (mine, apps): (Vec<_>, Vec<_>) = outputs.iter().partition(|o| {
            of_this_process(&o.props) || o.client_index.is_some_and(|c| our_clients.contains(&c))
        });
        let text = |c: &CString| c.to_string_lossy().into_owned();
        let app_recordings = apps
            .iter()
            .filter(|o| !o.corked)
            .filter_map(|o| {
                let source = sources.iter().find(|s| s.index == o.source_index)?;
                let app = o
                    .props
                    .get(pa::Prop::ApplicationName)
                    .map(|v| {
                        String::from_utf8_lossy(v.strip_suffix(&[0]).unwrap_or(v)).into_owned()
                    })
                    .filter(|a| !a.is_empty())
                    .unwrap_or_else(|| text(&o.name));
                Some(AppRecording {
                    index: o.index,
                    app,
                    source: text(&source.name),
                })
            })
            .collect();
        Ok(Recordings {
            apps: app_recordings,
            apps_on_ours: apps
                .iter()
                .filter(|o| Some(o.source_index) == ours && !o.corked)
                .count(),
            ours_on: mine
                .iter()
                .filter_map(|o| sources.iter().find(|s| s.index == o.source_index))
                .map(|s| s.name.to_string_lossy().into_owned())
                .collect(),
        })
    }

    /// The playback of the application recording the virtual microphone, if it plays anything:
    /// a stream of the same client, process or application name (a browser or softphone may
    /// play from another process than it records from). With several, the oldest.
    pub fn call_playback(&mut self) -> Result<Option<CallPlayback>, VirtualMicError> {
        let sources: pa::SourceInfoList =
            self.call(&Command::GetSourceInfoList, "the source list")?;
        let Some(ours) = sources
            .iter()
            .find(|s| s.name.as_bytes() == SOURCE.as_bytes())
            .map(|s| s.index)
        else {
            return Ok(None);
        };
        let outputs: pa::SourceOutputInfoList =
            self.call(&Command::GetSourceOutputInfoList, "the recording streams")?;
        let phones: Vec<_> = outputs
            .iter()
            .filter(|o| o.source_index == ours && !of_this_process(&o.props))
            .map(|o| {
                (
                    o.client_index,
                    prop_text(&o.props, pa::Prop::ApplicationProcessId),
                    prop_text(&o.props, pa::Prop::ApplicationName),
                )
            })
            .collect();
        if phones.is_empty() {
            return Ok(None);
        }
        let inputs: pa::SinkInputInfoList =
            self.call(&Command::GetSinkInputInfoList, "the playback streams")?;
        let same = |i: &pa::SinkInputInfo| {
            let (pid, app) = (
                prop_text(&i.props, pa::Prop::ApplicationProcessId),
                prop_text(&i.props, pa::Prop::ApplicationName),
            );
            phones.iter().any(|(c, p, a)| {
                (c.is_some() && *c == i.client_index)
                    || (p.is_some() && *p == pid)
                    || (a.is_some() && *a == app)
            })
        };
        let Some(input) = inputs
            .iter()
            .filter(|i| !i.corked && !of_this_process(&i.props) && same(i))
            .min_by_key(|i| i.index)
        else {
            return Ok(None);
        };
        let sinks: pa::SinkInfoList = self.call(&Command::GetSinkInfoList, "the sink list")?;
        Ok(sinks
            .iter()
            .find(|s| s.index == input.sink_index)
            .map(|s| CallPlayback {
                index: input.index,
                sink: s.name.to_string_lossy().into_owned(),
                app: prop_text(&input.props, pa::Prop::ApplicationName)
                    .unwrap_or_else(|| input.name.to_string_lossy().into_owned()),
            }))
    }

    /// Moves another application's recording onto the virtual microphone.
    pub fn move_to_virtual_mic(&mut self, recording: u32) -> Result<(), VirtualMicError> {
        let params = pa::MoveStreamParams {
            index: Some(recording),
            device_index: None,
            device_name: Some(CString::new(SOURCE).expect("no NUL")),
        };
        self.ack(
            &Command::MoveSourceOutput(params),
            "moving a recording onto Hold Guard Microphone",
        )
    }

    /// Names of the server's devices: every source (microphones, monitors, ours) and sink. Streams
    /// (a softphone's recording, a player) are not among them.
    pub fn device_names(&mut self) -> Result<Vec<String>, VirtualMicError> {
        let sources: pa::SourceInfoList =
            self.call(&Command::GetSourceInfoList, "the source list")?;
        let sinks: pa::SinkInfoList = self.call(&Command::GetSinkInfoList, "the sink list")?;
        Ok(sources
            .iter()
            .map(|s| s.name.to_string_lossy().into_owned())
            .chain(sinks.iter().map(|s| s.name.to_string_lossy().into_owned()))
            .collect())
    }

    /// Modules whose arguments name ours.
    fn our_modules(&mut self) -> Result<Vec<(u32, String)>, VirtualMicError> {
        let list: pa::ModuleInfoList = self.call(&Command::GetModuleInfoList, "the module list")?;
        Ok(list
            .into_iter()
            .filter_map(|m| {
                let args = m
                    .argument
                    .map(|a| a.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let ours = args.contains(&format!("sink_name={SINK}"))
                    || args.contains(&format!("source_name={SOURCE}"));
                ours.then(|| (m.index, m.name.to_string_lossy().into_owned()))
            })
            .collect())
    }

    fn load(&mut self, name: &str, args: &str) -> Result<u32, VirtualMicError> {
        let params = pa::LoadModuleParams {
            name: CString::new(name).expect("no NUL"),
            arguments: Some(CString::new(args).expect("no NUL")),
        };
        let pa::LookupReply(index) = self.call(
            &Command::LoadModule(params),
            "to create the virtual microphone",
        )?;
        Ok(index)
    }

    fn unload(&mut self, index: u32) -> Result<(), VirtualMicError> {
        self.ack(
            &Command::UnloadModule(index),
            "to remove the virtual microphone",
        )
    }
}

/// The virtual microphone while it exists.
pub struct VirtualMic {
    modules: Vec<u32>,
    /// True when this run found the pair already there and reused it.
    pub reused: bool,
}

impl VirtualMic {
    /// Creates the null sink and remapped source, or reuses a complete pair left by a previous
    /// run; anything else carrying our names is removed first.
    pub fn create(server: &mut Server) -> Result<Self, VirtualMicError> {
        let existing = server.our_modules()?;
        let sinks: Vec<u32> = existing
            .iter()
            .filter(|m| m.1 == "module-null-sink")
            .map(|m| m.0)
            .collect();
        let remaps: Vec<u32> = existing
            .iter()
            .filter(|m| m.1 == "module-remap-source")
            .map(|m| m.0)
            .collect();
        if sinks.len() == 1 && remaps.len() == 1 && existing.len() == 2 {
            return Ok(Self {
                modules: vec![remaps[0], sinks[0]],
                reused: true,
            });
        }
        for (index, _) in existing.iter().rev() {
            server.unload(*index)?;
        }
        let sink = server.load(
            "module-null-sink",
            &format!("sink_name={SINK} rate=48000 channels=1 sink_properties='device.description=\"Hold Guard Sink\"'"),
        )?;
        let source = server.load(
            "module-remap-source",
            &format!(
                "master={SINK}.monitor source_name={SOURCE} source_properties='device.description=\"Hold Guard Microphone\"'"
            ),
        );
        let source = match source {
            Ok(s) => s,
            Err(e) => {
                let _ = server.unload(sink);
                return Err(e);
            }
        };
        Ok(Self {
            modules: vec![source, sink],
            reused: false,
        })
    }

    /// Removes both modules.
    pub fn remove(self, server: &mut Server) -> Result<(), VirtualMicError> {
        for m in &self.modules {
            server.unload(*m)?;
        }
        Ok(())
    }

    /// Whether the modules are still loaded (false after the sound server restarted).
    pub fn alive(&self, server: &mut Server) -> bool {
        server
            .our_modules()
            .map(|m| self.modules.iter().all(|i| m.iter().any(|(j, _)| i == j)))
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::cookie_path_with;
    use std::ffi::OsString;
    use std::path::Path;

    #[test]
    fn the_cookie_is_looked_up_as_libpulse_does() {
        let root = std::env::temp_dir().join(format!("holdguard-cookie-{}", std::process::id()));
        let (home, xdg) = (root.join("home"), root.join("xdg"));
        for d in [home.join(".config/pulse"), xdg.join("pulse")] {
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("cookie"), b"x").unwrap();
        }
        std::fs::write(home.join(".pulse-cookie"), b"x").unwrap();
        let env = |vars: &[(&str, &Path)]| {
            let vars: Vec<(String, OsString)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_os_str().to_owned()))
                .collect();
            cookie_path_with(move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
        };
        let explicit = root.join("explicit");
        std::fs::write(&explicit, b"x").unwrap();
        assert_eq!(
            env(&[
                ("HOME", &home),
                ("XDG_CONFIG_HOME", &xdg),
                ("PULSE_COOKIE", &explicit)
            ]),
            Some(explicit.clone())
        );
        assert_eq!(
            env(&[("HOME", &home), ("XDG_CONFIG_HOME", &xdg)]),
            Some(xdg.join("pulse/cookie"))
        );
        assert_eq!(
            env(&[("HOME", &home)]),
            Some(home.join(".config/pulse/cookie"))
        );
        std::fs::remove_file(home.join(".config/pulse/cookie")).unwrap();
        assert_eq!(env(&[("HOME", &home)]), Some(home.join(".pulse-cookie")));
        assert_eq!(env(&[]), None);
        let _ = std::fs::remove_dir_all(&root);
    }
}
