//! Where a user's pills live, and finding one.

use std::path::{Path, PathBuf};

/// Where official pills are published, for messages.
pub const WHERE_OFFICIAL_PILLS_ARE: &str = "official pills are published at https://bootstrap.urbit.org \
     (the brass pill of Urbit version V as urbit-vV.pill) and in the bin/ folder of the urbit/urbit repository \
     (ivory.pill, brass.pill, solid.pill)";

/// The user's pill directory: `$ENGINE_PILLS`, else `$XDG_DATA_HOME/engine/pills`, else
/// `~/.local/share/engine/pills`.
pub fn pill_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ENGINE_PILLS").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("engine/pills")
}

/// The pill to use: `explicit` if the user gave one, else `file_name` in [`pill_dir`]. The error says
/// where it looked and where official pills are published.
pub fn find(file_name: &str, explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(format!("pill {} does not exist", path.display()))
        };
    }
    let path = pill_dir().join(file_name);
    if path.is_file() {
        return Ok(path);
    }
    Err(format!(
        "no {file_name} in {} (the pill directory: $ENGINE_PILLS, else the user data directory); give one with \
         --pill FILE, or fetch one with `engine pill fetch`; {WHERE_OFFICIAL_PILLS_ARE}",
        path.parent().unwrap_or(Path::new(".")).display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_pill_is_explained_with_where_to_get_one() {
        let err = find("no-such-pill-for-engine-tests.pill", None).unwrap_err();
        assert!(
            err.contains("--pill FILE") && err.contains("engine pill fetch") && err.contains("bootstrap"),
            "{err}"
        );
        let err = find("x.pill", Some(Path::new("/nonexistent/x.pill"))).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
        let this_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/locate.rs");
        assert_eq!(find("x.pill", Some(&this_file)).unwrap(), this_file);
    }
}
