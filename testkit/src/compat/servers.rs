//! Which server a `real-servers/` capture came from.
//!
//! Those captures are named `<server>-<case>.<ext>` (see
//! `tests/data/fixtures/README.md`), and both parts contain hyphens
//! (`llama-cpp-python-stream-stop-sequence`, `mock-llm-npm-error-401-stream`),
//! so the name alone does not say where the server ends. The files of one
//! server do: every capture of a server begins with its name, and its cases
//! differ right after it (`fakellm-stream`, `fakellm-bad-json`). So the files
//! are grouped by their first word, and a group's server is the words all its
//! files share, leaving each file at least one word of case. Nothing here
//! names a server: a new one is picked up from its files.
//!
//! The limit: two servers whose names begin with the same word would be one
//! group (no two do today).

use std::collections::BTreeMap;

/// The server of each file stem (a file name without its extensions, such as
/// `fakellm-stream-tools`), from all the stems of the folder.
pub fn server_names<'a>(stems: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, String> {
    let mut groups: BTreeMap<&str, Vec<Vec<&str>>> = BTreeMap::new();
    for stem in stems {
        let words: Vec<&str> = stem.split('-').collect();
        let first = words.first().copied().unwrap_or(stem);
        groups.entry(first).or_default().push(words);
    }
    let mut names = BTreeMap::new();
    for files in groups.values() {
        let shortest = files.iter().map(Vec::len).min().unwrap_or(1);
        // At least the first word; at most all but the last word of the
        // shortest stem (its case).
        let mut shared = 1;
        while shared < shortest.saturating_sub(1)
            && files
                .iter()
                .all(|words| words.get(shared) == files.first().and_then(|f| f.get(shared)))
        {
            shared += 1;
        }
        for words in files {
            let server = words.get(..shared.min(words.len())).unwrap_or(&words[..]);
            names.insert(words.join("-"), server.join("-"));
        }
    }
    names
}

/// A file name without its extensions (`a-b.headers.txt` gives `a-b`).
pub fn stem(file_name: &str) -> &str {
    file_name.split('.').next().unwrap_or(file_name)
}
