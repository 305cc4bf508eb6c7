//! Start at login: an XDG autostart entry (`~/.config/autostart/holdguard.desktop`).
//!
//! Off by default. The entry runs `holdguard --hidden`: at login the app starts in the tray, not
//! with its window in the user's face.

use std::path::{Path, PathBuf};

/// Where the autostart entry lives (`$XDG_CONFIG_HOME/autostart`).
pub fn entry_path() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.config_dir().join("autostart/holdguard.desktop"))
}

/// Whether the entry exists.
pub fn enabled(path: &Path) -> bool {
    path.is_file()
}

/// The entry's text for the program at `exe`.
pub fn entry(exe: &Path) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=Hold Guard\nComment=Mutes your microphone while a call is on hold\nExec=\"{}\" --hidden\nIcon=audio-input-microphone\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
        exe.display()
    )
}

/// Creates or removes the entry.
pub fn set(path: &Path, on: bool) -> Result<(), String> {
    if on {
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find this program's path: {e}"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let tmp = path.with_extension("desktop.tmp");
        std::fs::write(&tmp, entry(&exe)).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
    } else {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggling_creates_and_removes_the_entry() {
        let dir = std::env::temp_dir().join(format!("hg-autostart-{}", std::process::id()));
        let path = dir.join("autostart/holdguard.desktop");
        assert!(!enabled(&path));
        set(&path, true).unwrap();
        assert!(enabled(&path));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("[Desktop Entry]\n")
                && text.contains("\nExec=\"")
                && text.contains("--hidden")
        );
        set(&path, false).unwrap();
        assert!(!enabled(&path));
        set(&path, false).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
