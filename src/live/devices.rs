//! Finding the devices: listing them, resolving the user's choices to the microphone, the
//! far end and the output (an unresolvable one is an error, never a silent substitute), and
//! noticing when the server's device set changes.

use cpal::traits::{DeviceTrait, HostTrait};

use super::report::Ids;
use super::RunOptions;

/// One audio device the sound server offers: what `holdguard devices` prints and the Settings
/// page offers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The id that `--mic`, `--far`, `--out` and the settings take.
    pub id: String,
    /// The server's own name for it ("Built-in Audio Analog Stereo").
    pub description: String,
    pub input: bool,
    pub output: bool,
    /// The server's default input or output.
    pub default_input: bool,
    pub default_output: bool,
}

impl DeviceInfo {
    /// What it can do, for people: "input (default), output".
    pub fn kinds(&self) -> String {
        let mut kinds = Vec::new();
        if self.input {
            kinds.push(if self.default_input {
                "input (default)"
            } else {
                "input"
            });
        }
        if self.output {
            kinds.push(if self.default_output {
                "output (default)"
            } else {
                "output"
            });
        }
        kinds.join(", ")
    }
}

/// The sound server's devices, with the name of the cpal host that reaches it.
pub fn list_devices() -> anyhow::Result<(String, Vec<DeviceInfo>)> {
    let host = cpal::default_host();
    let id_of = |d: Option<cpal::Device>| d.and_then(|d| d.id().ok()).map(|i| i.to_string());
    let default_in = id_of(host.default_input_device());
    let default_out = id_of(host.default_output_device());
    let mut devices = Vec::new();
    for d in host.devices()? {
        let Ok(id) = d.id() else { continue };
        let id = id.to_string();
        devices.push(DeviceInfo {
            description: d.description().map(|x| x.to_string()).unwrap_or_default(),
            input: d.supports_input(),
            output: d.supports_output(),
            default_input: Some(&id) == default_in.as_ref(),
            default_output: Some(&id) == default_out.as_ref(),
            id,
        });
    }
    Ok((host.id().name().to_string(), devices))
}

pub(super) fn find(host: &cpal::Host, id: &str) -> anyhow::Result<cpal::Device> {
    let parsed: cpal::DeviceId = id
        .parse()
        .map_err(|e| anyhow::anyhow!("device {id}: {e}; see `holdguard devices`"))?;
    host.device_by_id(&parsed)
        .ok_or_else(|| anyhow::anyhow!("device {id} not found; see `holdguard devices`"))
}

/// The device id of a sound-server node in this host's naming.
pub(super) fn node_id(host: &cpal::Host, node: &str, monitor: bool) -> String {
    match host.id().name().to_ascii_lowercase().as_str() {
        // PipeWire: an input opened on a sink node records what plays to it.
        // A default source that is a sink's monitor is that sink's node too.
        "pipewire" => format!("pipewire:{}", node.trim_end_matches(".monitor")),
        h if monitor => format!("{h}:{node}.monitor"),
        h => format!("{h}:{node}"),
    }
}

/// Whether the devices to use have changed since `ids` were chosen (checked every few seconds).
pub(super) fn changed_devices(
    opts: &RunOptions,
    ids: &Ids,
    host: &cpal::Host,
    host_id: cpal::HostId,
    server: Option<&mut crate::audio::virtual_mic::Server>,
) -> bool {
    if opts.far.is_none() {
        let sink = server.and_then(|s| s.default_sink().ok().flatten());
        if sink.is_some_and(|sink| node_id(host, &sink, true) != ids.far) {
            return true;
        }
    }
    match &opts.mic {
        Some(m) if *m != ids.mic => {
            cpal::host_from_id(host_id).is_ok_and(|probe| find(&probe, m).is_ok())
        }
        _ => false,
    }
}

/// An input device that is neither ours nor the far end, real sources first. `devices` are the
/// sound server's device names, when it could be asked: a host's listing also holds streams (a
/// softphone's own recording), which are no microphone.
pub(super) fn other_input(
    host: &cpal::Host,
    far: &str,
    devices: Option<&[String]>,
) -> Option<String> {
    let mut found: Vec<(bool, String)> = host
        .devices()
        .ok()?
        .filter(|d| d.supports_input())
        .filter_map(|d| Some((d.supports_output(), d.id().ok()?.to_string())))
        // Not the "default" stand-ins either: they may lead back to our own microphone.
        .filter(|(_, id)| !id.contains("holdguard") && !id.ends_with("default") && id != far)
        .filter(|(_, id)| devices.is_none_or(|names| is_device(id, names)))
        .collect();
    found.sort();
    found.into_iter().next().map(|(_, id)| id)
}

/// Whether a host's device id (`pipewire:NODE`, `pulseaudio:NAME`) names one of the server's
/// devices (a monitor is a source of its own there, `NAME.monitor`).
pub(super) fn is_device(id: &str, names: &[String]) -> bool {
    names.iter().any(|n| n == node_name(id))
}

/// The sound server's name of the node behind a cpal device id (`pulseaudio:sink_b.monitor`).
pub(super) fn node_name(id: &str) -> &str {
    id.split_once(':').map_or(id, |(_, n)| n)
}

/// The devices to use now: (microphone, far end, output). The chosen microphone when it is there
/// (at `start` it must be: a substitute the user did not pick could be anything, the call's own
/// output included), else the default one (never our own virtual microphone, never what the far
/// end plays to); the far end as chosen, else what plays to the default output; the virtual
/// microphone's sink unless an output was chosen.
pub(super) fn resolve(
    opts: &RunOptions,
    host: &cpal::Host,
    server: Option<&mut crate::audio::virtual_mic::Server>,
    start: bool,
) -> anyhow::Result<Ids> {
    let (default_sink, default_source, devices) = match server {
        Some(s) => (
            s.default_sink().ok().flatten(),
            s.default_source().ok().flatten(),
            s.device_names().ok(),
        ),
        None => (None, None, None),
    };
    let out_id = opts
        .out
        .clone()
        .unwrap_or_else(|| node_id(host, crate::audio::virtual_mic::SINK, false));
    let far_id = match (&opts.far, &default_sink) {
        (Some(f), _) => f.clone(),
        (None, Some(sink)) => node_id(host, sink, true),
        (None, None) => {
            anyhow::bail!("cannot tell which output the softphone plays to; pass --far DEVICE")
        }
    };
    // The sound server often makes our own virtual microphone its default source: then the first
    // other input stands in (real sources before monitors of outputs).
    let default_mic = || {
        default_source
            .filter(|src| !src.contains(crate::audio::virtual_mic::SOURCE))
            .map(|src| node_id(host, &src, false))
            .filter(|id| *id != far_id)
            .or_else(|| other_input(host, &far_id, devices.as_deref()))
    };
    let mic_id = match &opts.mic {
        Some(m) if find(host, m).is_ok() => m.clone(),
        Some(m) if start => anyhow::bail!(
            "microphone {m} not found; pick one from `holdguard devices` (or leave --mic out for the default)"
        ),
        Some(m) => default_mic().unwrap_or_else(|| m.clone()),
        None => default_mic().ok_or_else(|| {
            anyhow::anyhow!(
                "cannot tell which microphone to guard; pass --mic DEVICE (see `holdguard devices`)"
            )
        })?,
    };
    if mic_id == far_id {
        anyhow::bail!(
            "the microphone {mic_id} is what the far end plays to: the company would hear itself, not you; pick the real microphone with --mic (see `holdguard devices`)"
        );
    }
    Ok(Ids {
        mic: mic_id,
        far: far_id,
        out: out_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_server_devices_stand_in_for_a_lost_microphone() {
        let names: Vec<String> = ["alsa_input.usb-mic", "sink_a", "sink_a.monitor"]
            .map(String::from)
            .to_vec();
        assert!(is_device("pipewire:alsa_input.usb-mic", &names));
        assert!(is_device("pipewire:sink_a", &names));
        assert!(is_device("pulseaudio:sink_a.monitor", &names));
        // A softphone's recording stream shows up in the host's listing too.
        assert!(!is_device("pipewire:parecord", &names));
        assert!(!is_device("pipewire:Firefox", &names));
    }

    #[test]
    fn a_device_says_what_it_can_do_and_whether_it_is_the_default() {
        let d = |input, output, default_input, default_output| DeviceInfo {
            id: "pipewire:x".into(),
            input,
            output,
            default_input,
            default_output,
            ..Default::default()
        };
        assert_eq!(d(true, false, false, false).kinds(), "input");
        assert_eq!(d(true, false, true, false).kinds(), "input (default)");
        assert_eq!(d(false, true, false, true).kinds(), "output (default)");
        assert_eq!(
            d(true, true, false, true).kinds(),
            "input, output (default)"
        );
        assert_eq!(d(false, false, false, false).kinds(), "");
    }
}
