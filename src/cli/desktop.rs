//! `install-desktop`: puts TCP Playground in the current user's launcher
//! (Linux and other freedesktop systems), or takes it out again.
//!
//! A launcher finds programs through `.desktop` files in
//! `$XDG_DATA_HOME/applications` (`~/.local/share/applications` by default)
//! and their icons in `$XDG_DATA_HOME/icons/hicolor/SIZE/apps`. Both files
//! are compiled into the program, so the command works wherever the binary
//! is (for example after `cargo install --path .`), and the entry starts
//! this very binary by its full path. Nothing outside the user's own data
//! folder is touched, and no root is needed.
//!
//! Windows has no such files to write: the program runs from wherever it
//! was unzipped, and Explorer's "Pin to Start" puts it in the Start menu.
//! There the command says so ([`ON_WINDOWS`]) and changes nothing.

#![forbid(unsafe_code)]

use std::fs;
use std::path::{Path, PathBuf};

use super::DesktopArgs;

/// The launcher entry, with `Exec=tcp-playground` to be replaced by the
/// binary's full path.
const DESKTOP_FILE: &str = include_str!("../../assets/tcp-playground.desktop");

/// The icon, 256×256 pixels.
const ICON: &[u8] = include_bytes!("../../assets/icon.png");

/// Where the files go, under one data folder.
pub struct Places {
    pub entry: PathBuf,
    pub icon: PathBuf,
}

impl Places {
    /// The places under `data_home` (the `XDG_DATA_HOME` folder).
    pub fn under(data_home: &Path) -> Places {
        Places {
            entry: data_home.join("applications/tcp-playground.desktop"),
            icon: data_home.join("icons/hicolor/256x256/apps/tcp-playground.png"),
        }
    }
}

/// The user's data folder: `$XDG_DATA_HOME`, or `~/.local/share`.
#[cfg(not(windows))]
fn data_home() -> Result<PathBuf, String> {
    dirs::data_dir().ok_or_else(|| {
        "cannot find your data folder: set HOME (or XDG_DATA_HOME) and try again".to_owned()
    })
}

/// The `.desktop` text for a binary at `exe`. A path with spaces or
/// quotes is quoted as the desktop entry specification asks.
pub fn desktop_entry(exe: &Path) -> String {
    let path = exe.display().to_string();
    let needs_quotes = path
        .chars()
        .any(|c| c.is_whitespace() || "\"'\\`$<>|&;()*?#~".contains(c));
    let exec = if needs_quotes {
        let escaped: String = path
            .chars()
            .flat_map(|c| match c {
                '"' | '`' | '$' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        format!("\"{escaped}\"")
    } else {
        path
    };
    DESKTOP_FILE
        .lines()
        .map(|line| {
            if line.starts_with("Exec=") {
                format!("Exec={exec}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Writes (or with `uninstall` removes) the entry and the icon under
/// `data_home`, for the binary at `exe`; says what it did.
pub fn install(data_home: &Path, exe: &Path, uninstall: bool) -> Result<Vec<String>, String> {
    let places = Places::under(data_home);
    let mut done = Vec::new();
    if uninstall {
        for path in [&places.entry, &places.icon] {
            match fs::remove_file(path) {
                Ok(()) => done.push(format!("removed {}", path.display())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    done.push(format!("{} was not there", path.display()));
                }
                Err(e) => return Err(format!("cannot remove {}: {e}", path.display())),
            }
        }
        return Ok(done);
    }
    let entry = desktop_entry(exe);
    // The icon first: an entry whose icon is missing shows a blank square.
    for (path, bytes) in [(&places.icon, ICON), (&places.entry, entry.as_bytes())] {
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder)
                .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
        }
        fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        done.push(format!("wrote {}", path.display()));
    }
    Ok(done)
}

/// What `install-desktop` says on Windows, where it has nothing to do.
pub const ON_WINDOWS: &str = "on Windows nothing needs installing: unzip tcp-playground-*-windows-x64.zip anywhere and double-click tcp-playground.exe. To have it in the Start menu, right-click tcp-playground.exe and choose \"Pin to Start\"";

/// Runs `install-desktop`.
#[cfg(windows)]
pub fn run(_args: &DesktopArgs) -> Result<(), String> {
    Err(ON_WINDOWS.to_owned())
}

/// Runs `install-desktop`.
#[cfg(not(windows))]
pub fn run(args: &DesktopArgs) -> Result<(), String> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| format!("cannot tell where this program is: {e}"))?;
    for line in install(&data_home()?, &exe, args.uninstall)? {
        say!("{line}");
    }
    if !args.uninstall {
        say!("TCP Playground is in your launcher (it may take a moment to appear).");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_starts_this_binary_by_its_full_path() {
        let entry = desktop_entry(Path::new("/home/ann/.cargo/bin/tcp-playground"));
        assert!(entry.contains("\nExec=/home/ann/.cargo/bin/tcp-playground\n"));
        assert!(entry.contains("Icon=tcp-playground"));
        assert!(entry.contains("Name[zh_CN]="));
        let spaced = desktop_entry(Path::new("/opt/my apps/tcp-playground"));
        assert!(spaced.contains("\nExec=\"/opt/my apps/tcp-playground\"\n"));
    }

    #[test]
    fn install_then_uninstall_leaves_nothing() {
        let home = tempfile::tempdir().unwrap();
        let exe = Path::new("/usr/local/bin/tcp-playground");
        let said = install(home.path(), exe, false).unwrap();
        assert_eq!(said.len(), 2);
        let places = Places::under(home.path());
        assert_eq!(fs::read(&places.icon).unwrap(), ICON);
        let entry = fs::read_to_string(&places.entry).unwrap();
        assert!(entry.starts_with("[Desktop Entry]\n"));
        assert!(entry.contains("Exec=/usr/local/bin/tcp-playground\n"));
        // Installing again overwrites, it does not fail.
        install(home.path(), exe, false).unwrap();
        install(home.path(), exe, true).unwrap();
        assert!(!places.entry.exists() && !places.icon.exists());
        // Uninstalling twice says so, and does not fail.
        let again = install(home.path(), exe, true).unwrap();
        assert!(again.iter().all(|line| line.ends_with("was not there")));
    }

    #[test]
    fn a_folder_that_cannot_be_written_is_a_clear_error() {
        let home = tempfile::tempdir().unwrap();
        // A file where the applications folder should be.
        fs::write(home.path().join("applications"), b"").unwrap();
        let err = install(home.path(), Path::new("/bin/tcp-playground"), false).unwrap_err();
        assert!(err.contains("cannot create"), "{err}");
    }
}
