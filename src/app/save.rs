//! Saving the transcript without ever freezing the window.
//!
//! Two ways to save:
//!
//! - **Save…** asks for a path with the system's file dialog. The dialog
//!   blocks the thread that opens it, so it runs on a worker thread; the
//!   window keeps drawing and the button stays disabled until it returns.
//! - **Quick save** needs no dialog (which may be missing on Linux): it
//!   writes `transcript-DATE-TIME.txt` into a default folder, shown in the
//!   window.
//!
//! The dialog hides behind the [`FileChooser`] trait, so tests can answer it
//! with a path of their own and never open a real dialog. The file itself is
//! written on the worker thread too, from a copy of the transcript: a failed
//! save reports why and the transcript in memory is never touched.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;

use crossbeam_channel::{Receiver, TryRecvError, bounded};
use rust_i18n::t;

use crate::transcript::{Format, Transcript};

/// Asks the user where to save. Implementations may block.
pub trait FileChooser: Send + Sync {
    /// Returns the chosen path, or `None` if the user cancelled (or no
    /// dialog could be shown).
    fn choose_save_path(&self, suggested_name: &str) -> Option<PathBuf>;
}

/// The system's native save dialog (through `rfd`).
pub struct NativeDialog;

impl FileChooser for NativeDialog {
    fn choose_save_path(&self, suggested_name: &str) -> Option<PathBuf> {
        let mut dialog = rfd::FileDialog::new()
            .set_title(t!("save.dialog_title"))
            .set_file_name(suggested_name);
        for format in Format::ALL {
            dialog = dialog.add_filter(format_name(format), &[format.extension()]);
        }
        dialog.save_file()
    }
}

/// A format's name in the dialog's list of file types, in the language in
/// use.
fn format_name(format: Format) -> std::borrow::Cow<'static, str> {
    match format {
        Format::Text => t!("save.format.text"),
        Format::JsonLines => t!("save.format.json_lines"),
        Format::Csv => t!("save.format.csv"),
    }
}

/// The folder for quick saves: `Documents/TCP Playground` (or the home
/// folder's equivalent), falling back to the current folder.
pub fn default_save_folder() -> PathBuf {
    let base = dirs::document_dir()
        .or_else(dirs::home_dir)
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("TCP Playground")
}

/// A file name with the date and time, e.g. `transcript-20261125-101502.txt`.
pub fn timestamped_name(format: Format) -> String {
    format!(
        "transcript-{}.{}",
        chrono::Local::now().format("%Y%m%d-%H%M%S"),
        format.extension()
    )
}

/// How the last save went, for the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaveOutcome {
    /// Saved: this many events, to this path.
    Saved { path: PathBuf, events: usize },
    /// The user closed the dialog without choosing.
    Cancelled,
    /// The save failed; the message says why.
    Failed(String),
}

/// Runs saves on a worker thread, one at a time.
pub struct Saver {
    chooser: Arc<dyn FileChooser>,
    folder: PathBuf,
    pending: Option<Receiver<SaveOutcome>>,
    last: Option<SaveOutcome>,
}

impl Saver {
    /// A saver that asks `chooser` for paths and quick-saves into `folder`.
    pub fn new(chooser: Arc<dyn FileChooser>, folder: PathBuf) -> Self {
        Saver {
            chooser,
            folder,
            pending: None,
            last: None,
        }
    }

    /// The quick-save folder.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// True while a save (or its dialog) is under way.
    pub fn is_busy(&self) -> bool {
        self.pending.is_some()
    }

    /// How the last finished save went.
    pub fn last(&self) -> Option<&SaveOutcome> {
        self.last.as_ref()
    }

    /// Opens the dialog, then saves there. `wake` is called when done.
    pub fn save_with_dialog(&mut self, transcript: Transcript, wake: impl Fn() + Send + 'static) {
        let chooser = Arc::clone(&self.chooser);
        self.start(wake, move || {
            match chooser.choose_save_path(&timestamped_name(Format::Text)) {
                Some(path) => write(&transcript, &path),
                None => SaveOutcome::Cancelled,
            }
        });
    }

    /// Saves as text into the quick-save folder, creating it if needed.
    pub fn quick_save(&mut self, transcript: Transcript, wake: impl Fn() + Send + 'static) {
        let folder = self.folder.clone();
        self.start(wake, move || {
            if let Err(e) = std::fs::create_dir_all(&folder) {
                return SaveOutcome::Failed(
                    t!(
                        "save.cannot_create_folder",
                        folder = folder.display(),
                        why = e
                    )
                    .into_owned(),
                );
            }
            write(&transcript, &folder.join(timestamped_name(Format::Text)))
        });
    }

    /// Picks up the result of a finished save; call every frame.
    pub fn poll(&mut self) {
        let Some(rx) = &self.pending else { return };
        match rx.try_recv() {
            Ok(outcome) => {
                self.last = Some(outcome);
                self.pending = None;
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                self.last = Some(SaveOutcome::Failed(
                    t!("save.stopped_unexpectedly").into_owned(),
                ));
                self.pending = None;
            }
        }
    }

    fn start(
        &mut self,
        wake: impl Fn() + Send + 'static,
        job: impl FnOnce() -> SaveOutcome + Send + 'static,
    ) {
        if self.is_busy() {
            return;
        }
        let (tx, rx) = bounded(1);
        let spawned = thread::Builder::new()
            .name("save".to_owned())
            .spawn(move || {
                let _ = tx.send(job());
                wake();
            });
        match spawned {
            Ok(_) => self.pending = Some(rx),
            Err(e) => {
                self.last = Some(SaveOutcome::Failed(
                    t!("save.cannot_start", why = e).into_owned(),
                ));
            }
        }
    }
}

/// Writes `transcript` to `path`; the format comes from the extension, and
/// a path without a known extension gets `.txt` added.
fn write(transcript: &Transcript, path: &Path) -> SaveOutcome {
    let path = match Format::from_path(path) {
        Some(_) => path.to_owned(),
        None => {
            let mut name = path.as_os_str().to_owned();
            name.push(".txt");
            PathBuf::from(name)
        }
    };
    match transcript.save(&path) {
        Ok(_) => SaveOutcome::Saved {
            path,
            events: transcript.len(),
        },
        Err(e) => SaveOutcome::Failed(e.to_string()),
    }
}
