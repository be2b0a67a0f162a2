//! Where a program may read contacts from: a `csv:` path is relative to the program file
//! and must stay inside the program file's folder tree once symbolic links are followed, so
//! a program (a pull request, a copied example) cannot make ecoute read `/proc/self/environ`
//! or `/etc/passwd`.

use std::io;
use std::path::{Component, Path, PathBuf};

/// Why a program's contact file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SourcePathError {
    /// Absolute, climbing above the program's folder, or a link leading out of it.
    #[error("contact file `{path}` is outside the program's folder `{folder}`")]
    Outside {
        /// As written in the program.
        path: String,
        /// The program file's folder.
        folder: PathBuf,
    },
    /// Nothing at that path.
    #[error("contact file `{path}` does not exist")]
    Missing {
        /// As written in the program.
        path: String,
    },
    /// A folder, a device or a pipe.
    #[error("contact file `{path}` is not a regular file")]
    NotAFile {
        /// As written in the program.
        path: String,
    },
    /// The folder or the file could not be inspected.
    #[error("cannot read contact file `{path}`: {source}")]
    Unreadable {
        /// As written in the program.
        path: String,
        /// Why.
        source: io::Error,
    },
}

impl SourcePathError {
    /// What to do about it; `folder` is the program file's folder the path was read from.
    pub fn hint(&self, folder: &Path) -> String {
        match self {
            SourcePathError::Outside { .. } => format!(
                "contact files must be in `{}` or a folder below it (symbolic links are followed); \
                 copy the file there and write its path relative to the program file",
                folder.display()
            ),
            SourcePathError::Missing { .. }
            | SourcePathError::Unreadable { .. }
            | SourcePathError::NotAFile { .. } => format!(
                "name a CSV file; paths are relative to the program file's folder `{}`",
                folder.display()
            ),
        }
    }
}

/// The file a program's `csv:` entry names, resolved (links followed) and checked to lie in
/// `folder`, the program file's folder, or below it.
pub fn confined_source(folder: &Path, path: &str) -> Result<PathBuf, SourcePathError> {
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let outside = || SourcePathError::Outside {
        path: path.to_owned(),
        folder: folder.to_owned(),
    };
    if climbs_out(Path::new(path)) {
        return Err(outside());
    }
    let unreadable = |source: io::Error| match source.kind() {
        io::ErrorKind::NotFound => SourcePathError::Missing {
            path: path.to_owned(),
        },
        _ => SourcePathError::Unreadable {
            path: path.to_owned(),
            source,
        },
    };
    let root = folder.canonicalize().map_err(unreadable)?;
    let resolved = folder.join(path).canonicalize().map_err(unreadable)?;
    if !resolved.starts_with(&root) {
        return Err(outside());
    }
    if !resolved.metadata().map_err(unreadable)?.is_file() {
        return Err(SourcePathError::NotAFile {
            path: path.to_owned(),
        });
    }
    Ok(resolved)
}

/// True for an absolute path or one whose `..` lead above its starting folder.
fn climbs_out(path: &Path) -> bool {
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => depth -= 1,
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_climb_out_are_seen_without_touching_the_disk() {
        assert!(climbs_out(Path::new("/etc/passwd")));
        assert!(climbs_out(Path::new("../x.csv")));
        assert!(climbs_out(Path::new("a/../../x.csv")));
        assert!(!climbs_out(Path::new("a/../x.csv")));
        assert!(!climbs_out(Path::new("./contacts/x.csv")));
    }

    #[test]
    fn files_inside_pass_and_links_out_fail() {
        let dir = tempfile::tempdir().expect("temp");
        let programs = dir.path().join("programs");
        std::fs::create_dir_all(programs.join("contacts")).expect("mkdir");
        std::fs::write(programs.join("contacts/a.csv"), "email\n").expect("write");
        std::fs::write(dir.path().join("secret.csv"), "email\n").expect("write");
        std::os::unix::fs::symlink(dir.path().join("secret.csv"), programs.join("out.csv"))
            .expect("link");
        assert!(confined_source(&programs, "contacts/a.csv").is_ok());
        assert!(matches!(
            confined_source(&programs, "out.csv"),
            Err(SourcePathError::Outside { .. })
        ));
        assert!(matches!(
            confined_source(&programs, "nowhere.csv"),
            Err(SourcePathError::Missing { .. })
        ));
        assert!(matches!(
            confined_source(&programs, "contacts"),
            Err(SourcePathError::NotAFile { .. })
        ));
    }
}
