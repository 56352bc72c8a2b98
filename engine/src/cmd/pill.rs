//! `engine pill fetch NAME`: download an official pill into the user's pill directory.

use components::Heap;
use pills::Pill;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where pills are downloaded from unless `--base-url` or `$ENGINE_PILL_BASE_URL` says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://bootstrap.urbit.org";
/// A download larger than this is refused (real pills are a few megabytes).
const PILL_BYTES_MAX: u64 = 512 << 20;
const TIMEOUT: Duration = Duration::from_secs(60);

/// Downloads `<base>/<name>.pill`, checks that it cues to a pill, and moves it into `dir` (or the pill
/// directory). Nothing is left behind on failure.
pub fn fetch(name: &str, base_url: Option<&str>, dir: Option<&Path>) -> Result<(), String> {
    let file_name = if name.ends_with(".pill") { name.to_string() } else { format!("{name}.pill") };
    if file_name.contains('/') || file_name.starts_with('.') {
        return Err(format!("{name:?} is not a pill name (no slashes, no leading dot)"));
    }
    let env_base = std::env::var("ENGINE_PILL_BASE_URL").ok().filter(|b| !b.is_empty());
    let base = base_url.map(str::to_string).or(env_base).unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    let url = format!("{}/{file_name}", base.trim_end_matches('/'));
    let bytes = download(&url)?;

    let mut heap = Heap::new();
    let noun = heap.cue(&bytes).map_err(|e| format!("{url} is not a jam file: {e}"))?;
    let pill = Pill::from_noun(&heap, noun).map_err(|e| format!("{url}: {e}"))?;
    let mug = heap.mug(noun);

    let dir: PathBuf = dir.map(Path::to_path_buf).unwrap_or_else(pills::locate::pill_dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(&file_name);
    let partial = dir.join(format!(".{file_name}.partial"));
    let written = std::fs::write(&partial, &bytes).and_then(|()| std::fs::rename(&partial, &path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(format!("cannot write {}: {e}", path.display()));
    }
    let kind = match pill {
        Pill::Ivory { .. } => "ivory".to_string(),
        Pill::Boot(boot) => pills::term_text(&heap, boot.name),
    };
    println!("fetched {url}: %{kind} pill, {} bytes, mug {mug:#x}, into {}", bytes.len(), path.display());
    Ok(())
}

fn download(url: &str) -> Result<Vec<u8>, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(TIMEOUT)).build().into();
    let response = agent.get(url).call().map_err(|e| format!("cannot download {url}: {e}"))?;
    let mut bytes = Vec::new();
    let mut body = response.into_body().into_reader().take(PILL_BYTES_MAX + 1);
    body.read_to_end(&mut bytes).map_err(|e| format!("download of {url} failed: {e}"))?;
    if bytes.len() as u64 > PILL_BYTES_MAX {
        return Err(format!("{url} is larger than {PILL_BYTES_MAX} bytes: not a pill"));
    }
    Ok(bytes)
}
