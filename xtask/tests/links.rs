//! Every relative link of the repository's Markdown resolves: README.md, ARCHITECTURE.md,
//! everything under docs/ and the examples' READMEs, in a clone of the repository alone (no link
//! may leave it). A link to a file must name an existing file; a link with `#anchor` must name a
//! heading (GitHub's slug) or an `<a id>` of its target.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                markdown_files(&path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

/// `(target, line)` of every inline Markdown link `[text](target)` outside code.
fn links(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // Inline code spans cannot hold links.
        let mut plain = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                plain.push_str(part);
            }
        }
        let mut rest = plain.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split_whitespace().next().unwrap_or("");
            out.push((target.to_string(), n + 1));
            rest = &after[end..];
        }
    }
    out
}

/// GitHub's heading anchor: lower case, spaces to `-`, punctuation other than `-` and `_` dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if let Some(heading) = line.strip_prefix('#') {
            out.insert(slug(
                heading.trim_start_matches('#').replace('`', "").as_str(),
            ));
        }
        let mut rest = line;
        while let Some(i) = rest.find("<a id=\"") {
            let after = &rest[i + 7..];
            if let Some(end) = after.find('"') {
                out.insert(after[..end].to_string());
            }
            rest = &after[1..];
        }
    }
    out
}

/// `path` without `.` and `..` parts, or `None` when it climbs above the root.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

#[test]
fn every_relative_link_of_the_markdown_resolves() {
    let root = root();
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    markdown_files(&root.join("docs"), &mut files);
    markdown_files(&root.join("examples"), &mut files);
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let shown = file.strip_prefix(&root).unwrap().display().to_string();
        for (target, line) in links(&text) {
            if target.is_empty()
                || target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            checked += 1;
            let (path_part, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let resolved = if path_part.is_empty() {
                Some(file.strip_prefix(&root).unwrap().to_path_buf())
            } else {
                normalise(
                    &file
                        .strip_prefix(&root)
                        .unwrap()
                        .parent()
                        .unwrap()
                        .join(path_part),
                )
            };
            let Some(resolved) = resolved else {
                problems.push(format!("{shown}:{line}: {target} leaves the repository"));
                continue;
            };
            let full = root.join(&resolved);
            if !full.exists() {
                problems.push(format!(
                    "{shown}:{line}: {target} -> {} does not exist",
                    resolved.display()
                ));
                continue;
            }
            if let Some(anchor) = anchor
                && full.is_file()
            {
                let known = anchors(&std::fs::read_to_string(&full).unwrap_or_default());
                if !known.contains(anchor) {
                    problems.push(format!(
                        "{shown}:{line}: {target}: no heading or anchor #{anchor} in {}",
                        resolved.display()
                    ));
                }
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} links found: the scan is broken"
    );
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn slugs_follow_github() {
    assert_eq!(
        slug("Nested Schema for `last_result`".replace('`', "").as_str()),
        "nested-schema-for-last_result"
    );
    assert_eq!(
        slug("With the PowerVS landing zone"),
        "with-the-powervs-landing-zone"
    );
    assert_eq!(
        links("see [a](b.md#c) and `[x](y)`\n```\n[z](w)\n```\n"),
        vec![("b.md#c".to_string(), 1)]
    );
}
