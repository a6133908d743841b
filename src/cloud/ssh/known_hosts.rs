//! OpenSSH `known_hosts` files: reading the entries that apply to a host, and recording a new
//! one (`strict_host_key_checking = "accept-new"`).
//!
//! Users point the provider at the file their own `ssh` already trusts, so this follows
//! sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT": comma lists of patterns with `*`, `?` and `!`
//! negation, `[host]:port` for ports other than 22, hashed names (`|1|salt|hash`, HMAC-SHA1
//! of the name keyed with the salt), `@revoked` keys, and `@cert-authority` lines, which are
//! ignored because the provider never asks for host certificates. Lines that cannot be
//! parsed are skipped, as OpenSSH skips them.

use std::io::Write;
use std::path::{Path, PathBuf};

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use russh::keys::PublicKey;
use russh::keys::ssh_key::public::KeyData;

/// The name a host is recorded under: `host` on port 22, `[host]:port` otherwise.
pub fn lookup_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// One known_hosts line that names a key for a host.
#[derive(Debug, Clone)]
pub struct KnownKey {
    pub key: KeyData,
    /// 1-based line number in the file, for messages.
    pub line: usize,
}

/// The entries of one file that apply to one host.
#[derive(Debug, Clone, Default)]
pub struct HostEntries {
    pub trusted: Vec<KnownKey>,
    pub revoked: Vec<KnownKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Marker {
    None,
    Revoked,
    CertAuthority,
}

#[derive(Debug, Clone)]
enum Hosts {
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
    Patterns(Vec<String>),
}

#[derive(Debug, Clone)]
struct Entry {
    marker: Marker,
    hosts: Hosts,
    key: KeyData,
    line: usize,
}

/// A parsed known_hosts file.
#[derive(Debug, Clone, Default)]
pub struct KnownHosts {
    entries: Vec<Entry>,
}

impl KnownHosts {
    /// Parses the text of a known_hosts file, skipping comments and lines it cannot read.
    pub fn parse(text: &str) -> Self {
        let entries = text
            .lines()
            .enumerate()
            .filter_map(|(index, line)| parse_line(line, index + 1))
            .collect();
        Self { entries }
    }

    /// Reads `path`; a missing file is an empty one, as for OpenSSH.
    pub fn load(path: &Path) -> std::io::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Self::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }

    /// The trusted and revoked keys recorded for `host` on `port`.
    pub fn lookup(&self, host: &str, port: u16) -> HostEntries {
        let name = lookup_name(host, port);
        let mut found = HostEntries::default();
        for entry in self.entries.iter().filter(|e| hosts_match(&e.hosts, &name)) {
            let known = KnownKey {
                key: entry.key.clone(),
                line: entry.line,
            };
            match entry.marker {
                Marker::None => found.trusted.push(known),
                Marker::Revoked => found.revoked.push(known),
                Marker::CertAuthority => {}
            }
        }
        found
    }
}

fn parse_line(line: &str, number: usize) -> Option<Entry> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut fields = line.split_whitespace();
    let mut first = fields.next()?;
    let marker = match first {
        "@revoked" => Marker::Revoked,
        "@cert-authority" => Marker::CertAuthority,
        other if other.starts_with('@') => return None,
        _ => Marker::None,
    };
    if marker != Marker::None {
        first = fields.next()?;
    }
    let hosts = parse_hosts(first)?;
    let algorithm = fields.next()?;
    let base64_key = fields.next()?;
    let key = PublicKey::from_openssh(&format!("{algorithm} {base64_key}")).ok()?;
    Some(Entry {
        marker,
        hosts,
        key: key.key_data().clone(),
        line: number,
    })
}

fn parse_hosts(field: &str) -> Option<Hosts> {
    if let Some(rest) = field.strip_prefix("|1|") {
        let (salt, hash) = rest.split_once('|')?;
        return Some(Hosts::Hashed {
            salt: BASE64.decode(salt).ok()?,
            hash: BASE64.decode(hash).ok()?,
        });
    }
    Some(Hosts::Patterns(
        field
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| p.to_ascii_lowercase())
            .collect(),
    ))
}

/// The hashed form of `name` with `salt`: `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
pub fn hashed_name(name: &str, salt: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, salt);
    let tag = hmac::sign(&key, name.as_bytes());
    format!("|1|{}|{}", BASE64.encode(salt), BASE64.encode(tag.as_ref()))
}

fn hosts_match(hosts: &Hosts, name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    match hosts {
        Hosts::Hashed { salt, hash } => {
            let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, salt);
            hmac::verify(&key, name.as_bytes(), hash).is_ok()
        }
        // A matching negated pattern excludes the host whatever else matches (sshd(8)).
        Hosts::Patterns(patterns) => {
            let mut matched = false;
            for pattern in patterns {
                if let Some(negated) = pattern.strip_prefix('!') {
                    if wildcard_match(negated, &name) {
                        return false;
                    }
                } else if wildcard_match(pattern, &name) {
                    matched = true;
                }
            }
            matched
        }
    }
}

/// Glob match with `*` (any run) and `?` (one character), as OpenSSH's `match_pattern`.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                backtrack = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match backtrack {
                Some((star, at)) => {
                    pi = star + 1;
                    ti = at + 1;
                    backtrack = Some((star, at + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Appends `host`'s key to `path` in plain (unhashed) form, creating the file and its
/// directory when missing, unless an identical entry is already there.
pub fn record(path: &Path, host: &str, port: u16, key: &PublicKey) -> std::io::Result<()> {
    let existing = KnownHosts::load(path)?;
    if existing
        .lookup(host, port)
        .trusted
        .iter()
        .any(|k| &k.key == key.key_data())
    {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let needs_newline = std::fs::read(path)
        .map(|bytes| bytes.last().is_some_and(|b| *b != b'\n'))
        .unwrap_or(false);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let key_text = key
        .to_openssh()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    // The comment (if any) of the presented key is dropped: `<name> <type> <base64>`.
    let mut parts = key_text.split_whitespace();
    let line = format!(
        "{}{} {} {}\n",
        if needs_newline { "\n" } else { "" },
        lookup_name(host, port),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default()
    );
    file.write_all(line.as_bytes())?;
    file.flush()
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// `~/.ssh/known_hosts`, when the home directory is known.
pub fn default_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".ssh").join("known_hosts"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::ssh::test_keys::{ED_A, ED_B};

    fn key(text: &str) -> KeyData {
        PublicKey::from_openssh(text)
            .expect("test key")
            .key_data()
            .clone()
    }

    fn trusted_lines(file: &KnownHosts, host: &str, port: u16) -> Vec<usize> {
        file.lookup(host, port)
            .trusted
            .iter()
            .map(|k| k.line)
            .collect()
    }

    #[test]
    fn plain_bracketed_and_comma_listed_names() {
        let text = format!(
            "# comment\n\
             10.51.0.23 {ED_A}\n\
             [10.51.0.23]:2222 {ED_B}\n\
             orchestrator,10.61.0.5 {ED_A} root@host\n\
             \n\
             Mixed.Case.Host {ED_B}\n"
        );
        let file = KnownHosts::parse(&text);
        assert_eq!(trusted_lines(&file, "10.51.0.23", 22), vec![2]);
        assert_eq!(trusted_lines(&file, "10.51.0.23", 2222), vec![3]);
        assert_eq!(trusted_lines(&file, "10.61.0.5", 22), vec![4]);
        assert_eq!(trusted_lines(&file, "orchestrator", 22), vec![4]);
        assert_eq!(trusted_lines(&file, "mixed.case.host", 22), vec![6]);
        assert!(trusted_lines(&file, "10.61.0.5", 2222).is_empty());
        assert_eq!(file.lookup("10.51.0.23", 22).trusted[0].key, key(ED_A));
    }

    #[test]
    fn hashed_names_match_only_their_host_and_port() {
        let salt = b"0123456789abcdefghij";
        let text = format!(
            "{} {ED_A}\n{} {ED_B}\n",
            hashed_name("10.51.0.23", salt),
            hashed_name("[10.51.0.23]:2222", b"another-salt-of-20b!")
        );
        let file = KnownHosts::parse(&text);
        assert_eq!(trusted_lines(&file, "10.51.0.23", 22), vec![1]);
        assert_eq!(trusted_lines(&file, "10.51.0.23", 2222), vec![2]);
        assert!(trusted_lines(&file, "10.51.0.24", 22).is_empty());
    }

    #[test]
    fn hashed_lines_written_by_ssh_keygen_match() {
        // `ssh-keygen -H` of "10.51.0.23 <ED_A>" and "[127.0.0.1]:2222 <ED_B>".
        let text = format!(
            "|1|/4f8MsOLWuurshqLemtka9m7tI4=|9yzXJo3W9TI3ExrVc7NDDBkYxrw= {ED_A}\n\
             |1|roQ5Y77/NuUMTVjuwXxGN4/M/9c=|UKQmox0Ek5So8f3PQxUhal+n8Ow= {ED_B}\n"
        );
        let file = KnownHosts::parse(&text);
        assert_eq!(trusted_lines(&file, "10.51.0.23", 22), vec![1]);
        assert_eq!(trusted_lines(&file, "127.0.0.1", 2222), vec![2]);
        assert!(trusted_lines(&file, "127.0.0.1", 22).is_empty());
        assert_eq!(
            hashed_name(
                "10.51.0.23",
                &BASE64.decode("/4f8MsOLWuurshqLemtka9m7tI4=").expect("salt")
            ),
            "|1|/4f8MsOLWuurshqLemtka9m7tI4=|9yzXJo3W9TI3ExrVc7NDDBkYxrw="
        );
    }

    #[test]
    fn wildcards_and_negation() {
        let text = format!("10.51.*,!10.51.0.99 {ED_A}\nhost?.example {ED_B}\n");
        let file = KnownHosts::parse(&text);
        assert_eq!(trusted_lines(&file, "10.51.0.23", 22), vec![1]);
        assert!(trusted_lines(&file, "10.51.0.99", 22).is_empty());
        assert_eq!(trusted_lines(&file, "host1.example", 22), vec![2]);
        assert!(trusted_lines(&file, "host12.example", 22).is_empty());
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*b*c", "axxbyyc"));
        assert!(!wildcard_match("a*b", "axxc"));
    }

    #[test]
    fn revoked_is_separate_and_cert_authority_is_ignored() {
        let text = format!(
            "@revoked * {ED_B}\n@cert-authority *.example {ED_A}\n10.51.0.23 {ED_A}\n@bogus x {ED_A}\n"
        );
        let entries = KnownHosts::parse(&text).lookup("10.51.0.23", 22);
        assert_eq!(entries.trusted.len(), 1);
        assert_eq!(entries.trusted[0].line, 3);
        assert_eq!(entries.revoked.len(), 1);
        assert_eq!(entries.revoked[0].key, key(ED_B));
    }

    #[test]
    fn unreadable_lines_are_skipped() {
        let text = format!(
            "10.0.0.1 ssh-ed25519 not-base64!!\n10.0.0.1\n|1|bad|salt {ED_A}\n10.0.0.1 {ED_B}\n"
        );
        assert_eq!(
            trusted_lines(&KnownHosts::parse(&text), "10.0.0.1", 22),
            vec![4]
        );
    }

    #[test]
    fn record_appends_once_and_creates_the_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("new").join("known_hosts");
        let presented = PublicKey::from_openssh(&format!("{ED_A} comment")).expect("key");
        record(&path, "10.51.0.23", 22, &presented).expect("record");
        record(&path, "10.51.0.23", 22, &presented).expect("record again");
        record(&path, "127.0.0.1", 2222, &presented).expect("record port");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            format!("10.51.0.23 {ED_A}\n[127.0.0.1]:2222 {ED_A}\n"),
            "{text}"
        );
    }

    #[test]
    fn record_adds_a_newline_when_the_file_lacks_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, format!("other {ED_B}")).expect("write");
        let presented = PublicKey::from_openssh(ED_A).expect("key");
        record(&path, "h", 22, &presented).expect("record");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, format!("other {ED_B}\nh {ED_A}\n"));
        assert_eq!(
            trusted_lines(&KnownHosts::load(&path).expect("load"), "h", 22),
            vec![2]
        );
    }

    #[test]
    fn a_missing_file_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = KnownHosts::load(&dir.path().join("absent")).expect("load");
        assert!(file.lookup("h", 22).trusted.is_empty());
    }
}
