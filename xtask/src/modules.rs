//! The module graph of each crate, and the cycles in it.
//!
//! ARCHITECTURE.md asks every crate's modules to point down: the provider → resources → support →
//! cloud → HTTP core, the framework's server → provider traits → schema → values. A reference
//! back up the stack (a resource reading the provider's internals, a cloud client importing a
//! resource) is how rooms start reaching into each other, and it shows as a cycle between
//! sibling modules. This module finds those cycles from the source text alone, so a test can
//! keep them out without a compiler plugin.
//!
//! What counts as an edge: a path starting with `crate::`, `$crate::`, `super::` or `self::` in
//! code (comments, strings and `#[cfg(test)]` modules are skipped: tests may reach anywhere),
//! resolved to the deepest module that has a file. An edge from `a::b::c` to `a::d::e` is lifted
//! to the children of their common ancestor (`a::b → a::d`); a module using its parent's items,
//! or a parent using its children's, is the normal shape of Rust code and is not an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path inside one crate: `["services", "power"]`; the crate root is empty.
pub type ModulePath = Vec<String>;

/// One reference that makes an edge, for the report: `file:line` and the path as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub file: PathBuf,
    pub line: usize,
    pub path: String,
}

/// A set of sibling modules that refer to each other, with one reference per edge inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub modules: BTreeSet<String>,
    pub edges: Vec<(String, String, Reference)>,
}

impl Cycle {
    /// `power ↔ rc` style key: the module names joined, sorted.
    pub fn key(&self) -> String {
        self.modules.iter().cloned().collect::<Vec<_>>().join(" ")
    }
}

impl std::fmt::Display for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "cycle between {}:", self.key())?;
        for (from, to, r) in &self.edges {
            writeln!(
                f,
                "  {from} → {to}: {}:{} uses {}",
                r.file.display(),
                r.line,
                r.path
            )?;
        }
        Ok(())
    }
}

/// The cycles between sibling modules of the crate whose source root is `src` (`lib.rs` or
/// `main.rs` inside it).
pub fn cycles(src: &Path) -> std::io::Result<Vec<Cycle>> {
    let files = module_files(src)?;
    let known: BTreeSet<&ModulePath> = files.keys().collect();
    let mut lifted: BTreeMap<ModulePath, BTreeMap<ModulePath, Reference>> = BTreeMap::new();
    for (module, file) in &files {
        let text = std::fs::read_to_string(file)?;
        for (line, path) in references(&strip_tests(&code_only(&text))) {
            let Some(target) = resolve(module, &path, &known) else {
                continue;
            };
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if common == module.len() || common == target.len() {
                continue; // a module and its ancestor
            }
            lifted
                .entry(module[..=common].to_vec())
                .or_default()
                .entry(target[..=common].to_vec())
                .or_insert(Reference {
                    file: file.strip_prefix(src).unwrap_or(file).to_path_buf(),
                    line,
                    path,
                });
        }
    }
    Ok(strongly_connected(&lifted)
        .into_iter()
        .map(|component| {
            let name = |m: &ModulePath| m.join("::");
            let edges = component
                .iter()
                .flat_map(|from| {
                    lifted[from]
                        .iter()
                        .filter(|(to, _)| component.contains(*to))
                        .map(move |(to, r)| (name(from), name(to), r.clone()))
                })
                .collect();
            Cycle {
                modules: component.iter().map(name).collect(),
                edges,
            }
        })
        .collect())
}

/// Every module of the crate that has its own file, except test-only ones: `tests.rs`,
/// `*_tests.rs`, `test_support.rs`, and whatever a parent declares under `#[cfg(test)]`.
fn module_files(src: &Path) -> std::io::Result<BTreeMap<ModulePath, PathBuf>> {
    let mut files = all_module_files(src)?;
    let mut test_only = Vec::new();
    for (module, file) in &files {
        let code = code_only(&std::fs::read_to_string(file)?);
        let mut rest = code.as_str();
        while let Some(at) = rest.find("#[cfg(test)]") {
            rest = &rest[at + "#[cfg(test)]".len()..];
            let item: Vec<&str> = rest.split_whitespace().take(3).collect();
            let name = match item.as_slice() {
                ["mod", name, ..] => name,
                ["pub" | "pub(crate)", "mod", name] => name,
                _ => continue,
            };
            let name = name.trim_end_matches(';');
            let mut child = module.clone();
            child.push(name.to_string());
            test_only.push(child);
        }
    }
    files.retain(|module, _| !test_only.iter().any(|t| module.starts_with(t)));
    Ok(files)
}

fn all_module_files(src: &Path) -> std::io::Result<BTreeMap<ModulePath, PathBuf>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                if stem == "tests" || stem.ends_with("_tests") || stem == "test_support" {
                    continue;
                }
                let relative = path.strip_prefix(src).unwrap_or(&path).with_extension("");
                let mut module: ModulePath = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    module.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    module.pop();
                }
                files.insert(module, path);
            }
        }
    }
    Ok(files)
}

/// `path` as written in `module`, resolved to the deepest module with a file; `None` for paths
/// that leave the crate.
fn resolve(module: &ModulePath, path: &str, known: &BTreeSet<&ModulePath>) -> Option<ModulePath> {
    let mut segments = path.split("::").peekable();
    let mut current = match segments.peek().copied() {
        Some("crate" | "$crate") => {
            segments.next();
            Vec::new()
        }
        Some("self") => {
            segments.next();
            module.clone()
        }
        Some("super") => module.clone(),
        _ => return None,
    };
    while segments.peek() == Some(&"super") {
        segments.next();
        current.pop()?;
    }
    for segment in segments {
        current.push(segment.to_string());
        if !known.contains(&current) {
            current.pop();
            break;
        }
    }
    Some(current)
}

/// `text` with comments, string and character literals blanked out (newlines kept, so line
/// numbers stay right).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !ident_char_before(&chars, i)
        {
            // raw string: r"..." or r#"..."#
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() {
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                out.push(blank(chars[j]));
                j += 1;
            }
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    out.push(blank(c));
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// `'x'` or `'\n'` rather than a lifetime `'a`.
fn is_char_literal(chars: &[char], i: usize) -> bool {
    match chars.get(i + 1) {
        Some('\\') => true,
        Some(_) => chars.get(i + 2) == Some(&'\''),
        None => false,
    }
}

/// `code` without the items under `#[cfg(test)]` (a `mod tests { ... }`, a `mod tests;`, a test
/// helper function): tests may use anything.
fn strip_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        // The item ends at its `;` or at the brace that closes its first `{`.
        let mut depth = 0usize;
        let mut end = item.len();
        for (k, c) in item.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        out.extend(item[..end].chars().filter(|&c| c == '\n'));
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// Every `crate::`/`super::`/`self::` path in `code` with its line, `use` groups expanded
/// (`use super::{a, b::{c, d}}` gives `super::a`, `super::b::c`, `super::b::d`).
fn references(code: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\n' {
            line += 1;
            i += 1;
            continue;
        }
        let starts_word = !ident_char_before(&chars, i) && (i == 0 || chars[i - 1] != ':');
        if starts_word {
            let (path, end) = path_at(&chars, i);
            let first = path.split("::").next().unwrap_or("");
            if path.contains("::") && matches!(first, "crate" | "$crate" | "super" | "self") {
                if chars.get(end) == Some(&'{') {
                    let (group, group_end) = group_at(&chars, end);
                    for member in expand_group(&group) {
                        found.push((line, join_paths(&path, &member)));
                    }
                    line += chars[i..group_end].iter().filter(|&&c| c == '\n').count();
                    i = group_end;
                    continue;
                }
                found.push((line, path.trim_end_matches("::").to_string()));
            }
            if end > i {
                line += chars[i..end].iter().filter(|&&c| c == '\n').count();
                i = end;
                continue;
            }
        }
        i += 1;
    }
    found
}

fn join_paths(prefix: &str, member: &str) -> String {
    let prefix = prefix.trim_end_matches("::");
    match member {
        "self" | "" => prefix.to_string(),
        _ => format!("{prefix}::{}", member.trim_end_matches("::self")),
    }
}

/// The `a::b::c` (or `a::b::` before a group) starting at `i`, and where it ends.
fn path_at(chars: &[char], i: usize) -> (String, usize) {
    let mut j = i;
    let mut path = String::new();
    loop {
        let start = j;
        if chars.get(j) == Some(&'$') {
            j += 1;
        }
        while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
            j += 1;
        }
        if j == start {
            break;
        }
        path.extend(&chars[start..j]);
        let mut k = j;
        while chars.get(k).is_some_and(|c| c.is_whitespace()) {
            k += 1;
        }
        if chars.get(k) == Some(&':') && chars.get(k + 1) == Some(&':') {
            path.push_str("::");
            j = k + 2;
            while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                j += 1;
            }
        } else {
            break;
        }
    }
    (path, j)
}

/// The text inside the braces opening at `i`, and the index after the closing brace.
fn group_at(chars: &[char], i: usize) -> (String, usize) {
    let mut depth = 0;
    for (k, &c) in chars.iter().enumerate().skip(i) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return (chars[i + 1..k].iter().collect(), k + 1);
                }
            }
            _ => {}
        }
    }
    (chars[i + 1..].iter().collect(), chars.len())
}

/// The members of a `use` group, nested groups expanded: `a, b::{c, self}` → `a`, `b::c`, `b`.
fn expand_group(group: &str) -> Vec<String> {
    let mut members = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    let bytes: Vec<char> = group.chars().collect();
    let push = |part: &str, members: &mut Vec<String>| {
        let part = part.trim();
        let part = part.split(" as ").next().unwrap_or(part).trim();
        if part.is_empty() {
            return;
        }
        if let Some(open) = part.find('{') {
            let prefix = part[..open].trim();
            let inner = &part[open + 1..part.rfind('}').unwrap_or(part.len())];
            for member in expand_group(inner) {
                members.push(join_paths(prefix, &member));
            }
        } else {
            members.push(part.replace(char::is_whitespace, ""));
        }
    };
    for (k, &c) in bytes.iter().enumerate() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                push(&bytes[start..k].iter().collect::<String>(), &mut members);
                start = k + 1;
            }
            _ => {}
        }
    }
    push(&bytes[start..].iter().collect::<String>(), &mut members);
    members
}

/// Tarjan's strongly connected components with more than one member.
fn strongly_connected<V>(
    graph: &BTreeMap<ModulePath, BTreeMap<ModulePath, V>>,
) -> Vec<Vec<ModulePath>> {
    struct State<'g> {
        index: BTreeMap<&'g ModulePath, usize>,
        low: BTreeMap<&'g ModulePath, usize>,
        stack: Vec<&'g ModulePath>,
        on_stack: BTreeSet<&'g ModulePath>,
        found: Vec<Vec<ModulePath>>,
    }
    fn visit<'g, V>(
        v: &'g ModulePath,
        graph: &'g BTreeMap<ModulePath, BTreeMap<ModulePath, V>>,
        s: &mut State<'g>,
    ) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in graph.get(v).into_iter().flat_map(|edges| edges.keys()) {
            if !s.index.contains_key(w) {
                visit(w, graph, s);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(v, graph, &mut s);
        }
    }
    s.found
}

/// The source roots of the workspace's crates, from the workspace root.
pub const CRATES: [&str; 6] = [
    "src",
    "framework/src",
    "sim/src",
    "testprovider/src",
    "acctests/src",
    "xtask/src",
];

/// Cycles that exist today, as `crate: modules` keys, each with why it is still there. The test
/// below fails on a cycle not listed here, and on a listed one that is gone (take it off).
pub const KNOWN_CYCLES: &[(&str, &str)] = &[];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    fn crate_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn keys(dir: &tempfile::TempDir) -> Vec<String> {
        cycles(dir.path()).unwrap().iter().map(Cycle::key).collect()
    }

    #[test]
    fn siblings_that_use_each_other_are_a_cycle_with_the_lines_that_make_it() {
        let dir = crate_with(&[
            ("lib.rs", "mod a;\nmod b;\n"),
            ("a.rs", "use crate::b::Thing;\n"),
            ("b/mod.rs", "mod inner;\n"),
            ("b/inner.rs", "\n\nfn f() { super::super::a::g(); }\n"),
        ]);
        let found = cycles(dir.path()).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        let text = found[0].to_string();
        assert!(text.contains("cycle between a b:"), "{text}");
        assert!(
            text.contains("a → b: a.rs:1 uses crate::b::Thing"),
            "{text}"
        );
        assert!(
            text.contains("b → a: b/inner.rs:3 uses super::super::a::g"),
            "{text}"
        );
    }

    #[test]
    fn references_that_are_not_between_siblings_in_code_make_no_cycle() {
        let parents_and_children = [
            ("lib.rs", "mod a;\npub struct Root;\n"),
            ("a/mod.rs", "mod b;\nuse self::b::Leaf;\nuse crate::Root;\n"),
            ("a/b.rs", "use super::super::Root;\nuse crate::a::Shared;\n"),
        ];
        let comments_strings_and_tests = [
            ("lib.rs", "mod a;\nmod b;\n#[cfg(test)]\nmod fixtures;\n"),
            ("a.rs", "use crate::b::X;\n"),
            (
                "b.rs",
                "// crate::a::y\n/* crate::a::z */\nconst S: &str = \"crate::a::w\";\n\
                 const R: &str = r#\"crate::a::v\"#;\nfn f<'a>(c: char) -> bool { c == '{' }\n\
                 #[cfg(test)]\nmod tests { use crate::a::t; }\n",
            ),
            ("fixtures.rs", "use crate::b::X;\nuse crate::a::Y;\n"),
            ("a_tests.rs", "use crate::b::X;\n"),
        ];
        for files in [&parents_and_children[..], &comments_strings_and_tests[..]] {
            assert_eq!(keys(&crate_with(files)), Vec::<String>::new(), "{files:?}");
        }
    }

    #[test]
    fn use_groups_are_expanded_to_each_member() {
        let dir = crate_with(&[
            ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
            (
                "a.rs",
                "use crate::{\n    c::One,\n    b::{self, Two},\n};\n",
            ),
            ("b.rs", "pub fn f() {}\n"),
            ("c.rs", "use super::{a::Three as Four};\n"),
        ]);
        let found = cycles(dir.path()).unwrap();
        assert_eq!(keys(&dir), vec!["a c"]);
        let text = found[0].to_string();
        assert!(text.contains("a → c: a.rs:1 uses crate::c::One"), "{text}");
        assert!(
            text.contains("c → a: c.rs:1 uses super::a::Three"),
            "{text}"
        );
    }

    #[test]
    fn the_workspace_crates_point_down() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut found = BTreeMap::new();
        for krate in CRATES {
            for cycle in cycles(&root.join(krate)).unwrap() {
                found.insert(format!("{krate}: {}", cycle.key()), cycle);
            }
        }
        let known: BTreeMap<&str, &str> = KNOWN_CYCLES.iter().copied().collect();
        let new: Vec<String> = found
            .iter()
            .filter(|(key, _)| !known.contains_key(key.as_str()))
            .map(|(key, cycle)| format!("{}{cycle}", &key[..key.find(':').unwrap_or(0) + 2]))
            .collect();
        assert!(
            new.is_empty(),
            "module cycles (ARCHITECTURE.md: modules point down; move the shared part below both):\n{}",
            new.join("")
        );
        let gone: Vec<&str> = known
            .keys()
            .filter(|key| !found.contains_key(**key))
            .copied()
            .collect();
        assert!(
            gone.is_empty(),
            "take these off KNOWN_CYCLES, they are gone: {gone:?}"
        );
    }
}
