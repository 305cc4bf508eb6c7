//! Settings: a TOML file in the platform config directory (`~/.config/holdguard/config.toml`).
//!
//! Reading never fails over a bad setting: an unknown key or a value of the wrong type or range
//! gets a warning that names the key, and that one setting keeps its default. The file is only
//! written when the user saves settings, and then atomically (a temporary file renamed over it),
//! so a crash never leaves half a file and a file the user wrote is never replaced behind their back.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::guard::GuardConfig;

/// Which audio devices to use (names as `holdguard devices` lists them; empty = the default).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Devices {
    pub mic: String,
    pub far: String,
    pub out: String,
}

/// Everything the user can set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub guard: GuardConfig,
    pub devices: Devices,
    /// Global shortcut that toggles manual mute.
    pub hotkey: String,
    /// Push-to-talk: the microphone is open while this is held (empty: none).
    pub talk_hotkey: String,
    /// Chime and notification when the agent is back.
    pub alert: bool,
    /// Start Hold Guard when the user logs in.
    pub start_at_login: bool,
    /// Keep the microphone and far end open while no application uses Hold Guard Microphone
    /// (by default they are released then, so an idle guard costs next to nothing).
    pub keep_devices_open: bool,
    /// Move every other application that records the guarded microphone directly onto Hold
    /// Guard Microphone (off: only say which ones go around the guard).
    pub route_recorders: bool,
    /// The language of the window, tray, notifications and reports: `en`, `nl`, or `auto` (the
    /// system's, from `LANG`).
    pub language: String,
    /// The user's name, address, e-mail and phone number for rights letters (never sent
    /// anywhere by Hold Guard).
    pub you: crate::rights::Person,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            guard: GuardConfig::default(),
            devices: Devices::default(),
            hotkey: "Ctrl+Alt+M".into(),
            talk_hotkey: "Ctrl+Alt+Space".into(),
            alert: true,
            start_at_login: false,
            keep_devices_open: false,
            route_recorders: true,
            language: "auto".into(),
            you: Default::default(),
        }
    }
}

/// Where the config file lives unless told otherwise.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "holdguard").map(|d| d.config_dir().join("config.toml"))
}

/// A config file that could not be used at all (unreadable, or not TOML).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {what}: {reason}")]
    File {
        path: PathBuf,
        what: &'static str,
        reason: String,
    },
}

/// Reads `path`. A missing file gives the defaults. Returns the settings and one warning per
/// setting that was ignored.
pub fn load(path: &Path) -> Result<(Config, Vec<String>), ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Config::default(), Vec::new()))
        }
        Err(e) => {
            return Err(ConfigError::File {
                path: path.into(),
                what: "cannot read",
                reason: e.to_string(),
            })
        }
    };
    let user: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::File {
        path: path.into(),
        what: "not valid TOML, using the defaults",
        reason: e.message().to_string(),
    })?;
    Ok(settle(user, path))
}

/// Reads a file that holds only the keys of the `[guard]` table (policy timings to try, as
/// `eval --guard` and `crossval --guard` take them), checked and kept in range as the settings
/// file's `[guard]` is. Returns the timings and one warning per value that was ignored.
pub fn load_guard(path: &Path) -> Result<(GuardConfig, Vec<String>), ConfigError> {
    let unreadable = |what, reason: String| ConfigError::File {
        path: path.into(),
        what,
        reason,
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| unreadable("cannot read", e.to_string()))?;
    let guard: toml::Table =
        toml::from_str(&text).map_err(|e| unreadable("not valid TOML", e.message().to_string()))?;
    let mut user = toml::Table::new();
    user.insert("guard".into(), toml::Value::Table(guard));
    let (cfg, warnings) = settle(user, path);
    Ok((cfg.guard, warnings))
}

/// The user's values laid over the defaults and checked, with a warning (naming `path`) for each
/// one that was ignored.
fn settle(user: toml::Table, path: &Path) -> (Config, Vec<String>) {
    let mut warnings = Vec::new();
    let mut merged = toml::Table::try_from(Config::default()).expect("defaults serialise");
    merge(&mut merged, user, "", &mut warnings);
    let mut cfg: Config =
        toml::Value::Table(merged)
            .try_into()
            .unwrap_or_else(|e: toml::de::Error| {
                warnings.push(format!("settings ignored: {}", e.message()));
                Config::default()
            });
    validate(&mut cfg, &mut warnings);
    let shown = path.display();
    (
        cfg,
        warnings
            .into_iter()
            .map(|w| format!("{shown}: {w}"))
            .collect(),
    )
}

/// Lays the user's values over the defaults, key by key, keeping the default where the user's
/// value is unknown or of another type.
fn merge(base: &mut toml::Table, user: toml::Table, prefix: &str, warnings: &mut Vec<String>) {
    for (key, value) in user {
        let name = format!("{prefix}{key}");
        match base.get_mut(&key) {
            None => warnings.push(format!("unknown setting `{name}` ignored")),
            Some(toml::Value::Table(b)) => match value {
                toml::Value::Table(u) => merge(b, u, &format!("{name}."), warnings),
                other => warnings.push(format!(
                    "`{name}` must be a table, not {}; using the defaults",
                    other.type_str()
                )),
            },
            Some(slot) => {
                let fits = match (&*slot, &value) {
                    (toml::Value::Float(_), toml::Value::Integer(i)) => {
                        *slot = toml::Value::Float(*i as f64);
                        continue;
                    }
                    (a, b) => a.type_str() == b.type_str(),
                };
                if fits {
                    *slot = value;
                } else {
                    warnings.push(format!(
                        "`{name}` must be a {}, not {}; using the default {}",
                        slot.type_str(),
                        value.type_str(),
                        slot
                    ));
                }
            }
        }
    }
}

/// Puts settings outside their sensible range back to the default, with a warning.
fn validate(cfg: &mut Config, warnings: &mut Vec<String>) {
    if cfg.language != "auto" && crate::i18n::Lang::from_code(&cfg.language).is_none() {
        warnings.push(format!(
            "`language` = {:?} is not one of \"auto\", \"en\", \"nl\"; using \"auto\"",
            cfg.language
        ));
        cfg.language = "auto".into();
    }
    let d = GuardConfig::default();
    let g = &mut cfg.guard;
    let mut check = |name: &str, v: &mut f64, lo: f64, hi: f64, def: f64| {
        if !(lo..=hi).contains(v) {
            warnings.push(format!(
                "`guard.{name}` = {v} is outside {lo}–{hi}; using the default {def}"
            ));
            *v = def;
        }
    };
    check(
        "silent_hold_delay_s",
        &mut g.silent_hold_delay_s,
        2.0,
        120.0,
        d.silent_hold_delay_s,
    );
    check(
        "music_confirm_s",
        &mut g.music_confirm_s,
        0.2,
        10.0,
        d.music_confirm_s,
    );
    check(
        "entry_window_s",
        &mut g.entry_window_s,
        0.0,
        60.0,
        d.entry_window_s,
    );
    check(
        "reopen_speech_s",
        &mut g.reopen_speech_s,
        0.05,
        2.0,
        d.reopen_speech_s,
    );
    check(
        "over_music_wait_s",
        &mut g.over_music_wait_s,
        0.0,
        3.0,
        d.over_music_wait_s,
    );
    check("min_dwell_s", &mut g.min_dwell_s, 0.0, 5.0, d.min_dwell_s);
    check("memory_s", &mut g.memory_s, 60.0, 7200.0, d.memory_s);
    if !(0.05..=0.95).contains(&g.music_share) {
        warnings.push(format!(
            "`guard.music_share` = {} is outside 0.05–0.95; using the default {}",
            g.music_share, d.music_share
        ));
        g.music_share = d.music_share;
    }
    if !(3.0..=12.0).contains(&g.repeat_z) {
        warnings.push(format!(
            "`guard.repeat_z` = {} is outside 3–12; using the default {}",
            g.repeat_z, d.repeat_z
        ));
        g.repeat_z = d.repeat_z;
    }
}

/// Writes `cfg` to `path` atomically (temporary file in the same folder, fsync, rename).
pub fn save(cfg: &Config, path: &Path) -> Result<(), ConfigError> {
    let err = |what: &'static str| {
        move |e: std::io::Error| ConfigError::File {
            path: path.into(),
            what,
            reason: e.to_string(),
        }
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err("cannot create the folder"))?;
    }
    let text = toml::to_string_pretty(cfg).expect("settings serialise");
    let tmp = path.with_extension("toml.tmp");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(err("cannot write"))?;
        f.write_all(b"# Hold Guard settings. Unknown keys are ignored with a warning.\n")
            .map_err(err("cannot write"))?;
        f.write_all(text.as_bytes()).map_err(err("cannot write"))?;
        f.sync_all().map_err(err("cannot write"))?;
    }
    std::fs::rename(&tmp, path).map_err(err("cannot replace"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("holdguard-config-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    #[test]
    fn missing_file_gives_defaults() {
        let (c, w) = load(&tmp("none.toml")).unwrap();
        assert_eq!(c, Config::default());
        assert!(w.is_empty());
    }

    #[test]
    fn bad_keys_and_values_warn_and_keep_defaults() {
        let p = tmp("bad.toml");
        std::fs::write(
            &p,
            "alert = false\nhotkey = 5\ncolour = \"blue\"\n[guard]\nsilent_hold_delay_s = 8\nmusic_share = 3.0\nentry_window = 1\n",
        )
        .unwrap();
        let (c, w) = load(&p).unwrap();
        assert!(!c.alert, "a good value is kept");
        assert_eq!(
            c.guard.silent_hold_delay_s, 8.0,
            "integers are fine for seconds"
        );
        assert_eq!(c.hotkey, "Ctrl+Alt+M");
        assert_eq!(c.guard.music_share, GuardConfig::default().music_share);
        let all = w.join("\n");
        for key in [
            "`hotkey`",
            "`colour`",
            "`guard.music_share`",
            "`guard.entry_window`",
        ] {
            assert!(all.contains(key), "{key} named in {all}");
        }
        assert_eq!(w.len(), 4, "{all}");
        assert!(w.iter().all(|l| l.starts_with(&p.display().to_string())));
        // The file is left as the user wrote it.
        assert!(std::fs::read_to_string(&p).unwrap().contains("colour"));
    }

    #[test]
    fn not_toml_is_an_error_naming_the_file() {
        let p = tmp("broken.toml");
        std::fs::write(&p, "this is = = not toml").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(
            e.contains("broken.toml") && e.contains("not valid TOML"),
            "{e}"
        );
    }

    #[test]
    fn save_is_atomic_and_round_trips() {
        let p = tmp("saved.toml");
        let mut c = Config::default();
        c.guard.silent_hold_delay_s = 7.5;
        c.devices.mic = "pipewire:usb mic".into();
        save(&c, &p).unwrap();
        assert!(!p.with_extension("toml.tmp").exists());
        let (back, w) = load(&p).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(back, c);
    }
}
