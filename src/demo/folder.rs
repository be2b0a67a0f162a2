//! The demo's folder: created, or cleared when a previous demo left its marker in it, and
//! refused otherwise, so the demo never deletes a user's files.

use std::path::Path;

use super::DemoError;

/// The file that marks a folder as written by `ecoute demo`.
pub const MARKER: &str = ".ecoute-demo";
const MARKER_TEXT: &str =
    "Written by `ecoute demo`: running it again empties this folder and starts over.\n";

/// Makes `dir` an empty demo folder holding only the marker: creates it, or clears it when
/// it carries the marker (or is empty); refuses a file or a folder with other contents.
pub fn prepare(dir: &Path) -> Result<(), DemoError> {
    let io = |source| DemoError::Io {
        path: dir.to_owned(),
        source,
    };
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => return Err(DemoError::NotAFolder(dir.to_owned())),
        Ok(_) => {
            let mut entries: Vec<String> = std::fs::read_dir(dir)
                .map_err(io)?
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            if !entries.is_empty() {
                if !entries.iter().any(|name| name == MARKER) {
                    entries.sort();
                    return Err(DemoError::Foreign {
                        dir: dir.to_owned(),
                        example: entries.swap_remove(0),
                    });
                }
                std::fs::remove_dir_all(dir).map_err(io)?;
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(io(source)),
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::write(dir.join(MARKER), MARKER_TEXT).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_folder_is_cleared_and_an_unmarked_one_refused() {
        let root = tempfile::tempdir().expect("folder");
        let dir = root.path().join("demo");
        prepare(&dir).expect("a new folder");
        std::fs::write(dir.join("ecoute.db"), "old").expect("write");
        prepare(&dir).expect("a previous demo");
        assert!(!dir.join("ecoute.db").exists());
        assert!(dir.join(MARKER).exists());

        let mine = root.path().join("mine");
        std::fs::create_dir(&mine).expect("folder");
        std::fs::write(mine.join("thesis.odt"), "precious").expect("write");
        let error = prepare(&mine).expect_err("refused").to_string();
        assert!(error.contains("thesis.odt"), "{error}");
        assert_eq!(
            std::fs::read_to_string(mine.join("thesis.odt")).expect("kept"),
            "precious"
        );
    }
}
