//! Root's crontab on the emulated orchestrator, and the scheduled DR tests in it
//! (the line format is in `docs/guides/orchestrator-access.md`, "DR test schedules in root's
//! crontab").
//!
//! `crontab -l` prints the stored text verbatim and `crontab -` replaces it. The emulator
//! runs no shell, so it runs only the entries `dr_test_schedule` writes, recognised by their
//! trailing `# terraform-provider-dr dr_test_schedule=<id>` tag: their five cron fields are
//! read in UTC (AIX cron has no per-entry zone), then the `TZ=<zone> date` + `case` guard is
//! evaluated with ksh pattern matching, then the `&&`-joined commands between `if` and
//! `; then` run one after the other as the host runs them, and finally the header's
//! `last_result=`/`finished_at=` are rewritten exactly as the entry's `sed` tail would.
//! Other lines are kept and never run.
//!
//! Cron checks every minute boundary between the last check and now (at most 7 days back)
//! and starts an entry once for the latest minute it matches: an idle emulator catches up
//! with one run, not many. The last check is the crontab object's `_checked_until_ms`;
//! moving it back through `PATCH /_sim/objects/ksys/crontabs/<cluster id>` lets a test see a
//! past minute fire without waiting for the wall clock.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::calendar::{self, Cron};
use super::host::{Env, Output};
use super::{CRONTABS, load, store};
use crate::store::World;
use crate::util;

pub(super) const MINUTE_MS: u64 = 60_000;
const TAG: &str = "# terraform-provider-dr dr_test_schedule=";
/// Largest crontab accepted, in bytes.
pub const MAX_CRONTAB: usize = 256 * 1024;

/// Root's crontab of a cluster (both nodes share it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Crontab {
    pub cluster_id: String,
    pub text: String,
    pub updated_at: String,
    /// The schedules the text holds, parsed (for tests and the dashboard).
    #[serde(default)]
    pub schedules: Vec<Value>,
    #[serde(rename = "_checked_until_ms", default)]
    pub checked_until_ms: u64,
    #[serde(rename = "_time_scale", default = "unit")]
    pub time_scale: f64,
}

fn unit() -> f64 {
    1.0
}

/// `crontab -l`.
pub fn list(world: &World, cluster_id: &str) -> Vec<String> {
    load::<Crontab>(world, CRONTABS, cluster_id)
        .map(|c| c.text.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The first line cron would refuse: not blank, not a comment, not 5 fields + a command.
pub fn invalid_line(text: &str) -> Option<&str> {
    text.lines().find(|line| {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return false;
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        fields.len() < 6 || Cron::parse(&fields[..5].join(" ")).is_err()
    })
}

/// `crontab -`: replaces root's crontab with `text`, or refuses it whole.
pub fn replace(world: &mut World, cluster_id: &str, text: &str, env: Env) -> Output {
    if text.len() > MAX_CRONTAB {
        return Output::stderr(
            env,
            vec![format!(
                "crontab: the file is larger than {MAX_CRONTAB} bytes; nothing was changed."
            )],
            1,
        );
    }
    if let Some(bad) = invalid_line(text) {
        return Output::stderr(
            env,
            vec![
                bad.to_owned(),
                "crontab: error on previous line; unexpected character found in line.".into(),
            ],
            1,
        );
    }
    let old = load::<Crontab>(world, CRONTABS, cluster_id);
    let tab = Crontab {
        cluster_id: cluster_id.to_owned(),
        text: text.to_owned(),
        updated_at: util::rfc3339(env.now_ms),
        schedules: schedules(text),
        checked_until_ms: old
            .map(|o| o.checked_until_ms)
            .filter(|c| *c > 0)
            .unwrap_or(env.now_ms - env.now_ms % MINUTE_MS),
        time_scale: env.time_scale,
    };
    store(world, CRONTABS, cluster_id, &tab);
    Output::ok(env, Vec::new())
}

/// The schedule headers of a crontab, parsed: id, cron, time zone, last result, enabled.
pub(super) fn schedules(text: &str) -> Vec<Value> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for line in &lines {
        let Some(rest) = line.strip_prefix("# terraform-provider-dr dr_test_schedule=") else {
            continue;
        };
        let id = rest.split_whitespace().next().unwrap_or_default();
        let field = |name: &str| -> Option<String> {
            let start = rest.find(&format!("{name}="))? + name.len() + 1;
            let value = &rest[start..];
            if let Some(quoted) = value.strip_prefix('"') {
                quoted.split('"').next().map(str::to_owned)
            } else {
                value.split_whitespace().next().map(str::to_owned)
            }
        };
        let job = lines
            .iter()
            .find(|l| l.trim_end().ends_with(&format!("{TAG}{id}")) && !l.starts_with("# "));
        out.push(json!({
            "id": id,
            "cron": field("cron"),
            "time_zone": field("time_zone"),
            "last_result": field("last_result"),
            "finished_at": field("finished_at"),
            "enabled": job.is_some_and(|l| !l.trim_start().starts_with('#')),
        }));
    }
    out
}

/// A job line `dr_test_schedule` writes, taken apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub schedule_id: String,
    pub cron: Cron,
    pub time_zone: String,
    pub patterns: String,
    pub commands: Vec<String>,
}

/// Parses an enabled, tagged job line; anything else is `None` (kept, never run).
pub fn parse_entry(line: &str) -> Option<Entry> {
    let line = line.trim();
    if line.starts_with('#') {
        return None;
    }
    let tag_at = line.rfind(TAG)?;
    let schedule_id = line[tag_at + TAG.len()..].trim();
    if schedule_id.is_empty() || schedule_id.contains(char::is_whitespace) {
        return None;
    }
    let fields: Vec<&str> = line.split_whitespace().take(5).collect();
    let cron = Cron::parse(&fields.join(" ")).ok()?;
    let body = &line[..tag_at];
    let tz_at = body.find("TZ=")? + 3;
    let time_zone: String = body[tz_at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let case_at = body.find("case $t in ")? + "case $t in ".len();
    let mut depth = 0usize;
    let mut end = None;
    for (i, c) in body[case_at..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => {
                end = Some(case_at + i);
                break;
            }
            ')' => depth -= 1,
            _ => {}
        }
    }
    let end = end?;
    let patterns = body[case_at..end].trim().to_owned();
    let after = &body[end + 1..];
    let if_at = after.find("if ")? + 3;
    let then_at = after[if_at..].find("; then")? + if_at;
    let commands = after[if_at..then_at]
        .split("&&")
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    Some(Entry {
        schedule_id: schedule_id.to_owned(),
        cron,
        time_zone,
        patterns,
        commands,
    })
}

// ---------------------------------------------------------------------------------------
// ksh patterns: `@(a|b)`, `?`, `*`, literal characters; `|` at the top separates patterns.

#[derive(Debug, Clone, PartialEq)]
enum Elem {
    Char(char),
    Any,
    Star,
    Group(Vec<Vec<Elem>>),
}

/// Alternatives separated by `|` at this level, up to a closing `)` or the end.
fn parse_alternatives(chars: &[char], pos: &mut usize) -> Vec<Vec<Elem>> {
    let mut alts = vec![Vec::new()];
    while *pos < chars.len() {
        let c = chars[*pos];
        *pos += 1;
        let current = alts.last_mut();
        match (c, current) {
            (')', _) => return alts,
            ('|', _) => alts.push(Vec::new()),
            ('@', Some(seq)) if chars.get(*pos) == Some(&'(') => {
                *pos += 1;
                let inner = parse_alternatives(chars, pos);
                seq.push(Elem::Group(inner));
            }
            ('?', Some(seq)) => seq.push(Elem::Any),
            ('*', Some(seq)) => seq.push(Elem::Star),
            (other, Some(seq)) => seq.push(Elem::Char(other)),
            (_, None) => {}
        }
    }
    alts
}

fn match_here(elems: &[Elem], text: &[char]) -> bool {
    let Some((first, rest)) = elems.split_first() else {
        return text.is_empty();
    };
    match first {
        Elem::Char(c) => text.first() == Some(c) && match_here(rest, &text[1..]),
        Elem::Any => !text.is_empty() && match_here(rest, &text[1..]),
        Elem::Star => (0..=text.len()).any(|i| match_here(rest, &text[i..])),
        Elem::Group(alts) => (0..=text.len()).any(|i| {
            alts.iter().any(|a| match_here(a, &text[..i])) && match_here(rest, &text[i..])
        }),
    }
}

/// Whether `text` matches the ksh `case` pattern list.
pub fn ksh_match(patterns: &str, text: &str) -> bool {
    let chars: Vec<char> = patterns.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let mut pos = 0;
    let alts = parse_alternatives(&chars, &mut pos);
    alts.iter().any(|a| match_here(a, &text))
}

/// `MM:HH:DD:mm:w` of the instant in the zone, as `TZ=<zone> date +%M:%H:%d:%m:%w` prints.
pub fn guard_text(time_zone: &str, utc_ms: i64) -> String {
    let offset = calendar::zone_offset_ms(time_zone, utc_ms);
    match calendar::wall_time(utc_ms, offset) {
        Some(t) => format!(
            "{:02}:{:02}:{:02}:{:02}:{}",
            t.minute, t.hour, t.day, t.month, t.weekday
        ),
        None => String::new(),
    }
}

/// Whether the entry runs at the minute starting at `minute_ms`.
pub fn fires_at(entry: &Entry, minute_ms: u64) -> bool {
    let at = i64::try_from(minute_ms).unwrap_or(i64::MAX);
    entry.cron.matches_utc(at) && ksh_match(&entry.patterns, &guard_text(&entry.time_zone, at))
}

/// The `sed` tail: the header of `schedule_id` gets `last_result=<result>
/// finished_at=<when>`.
pub fn rewrite_header(text: &str, schedule_id: &str, result: &str, finished_at: &str) -> String {
    let marker = format!("dr_test_schedule={schedule_id} cron=");
    let mut out: Vec<String> = Vec::new();
    for line in text.split('\n') {
        if line.contains(&marker)
            && let Some(start) = line.find("last_result=")
        {
            let after_result = &line[start + "last_result=".len()..];
            let result_len = after_result
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .count();
            let rest = &after_result[result_len..];
            if let Some(tail) = rest.strip_prefix(" finished_at=") {
                let stamp_len = tail.chars().take_while(|c| *c != ' ').count();
                out.push(format!(
                    "{}last_result={result} finished_at={finished_at}{}",
                    &line[..start],
                    &tail[stamp_len..]
                ));
                continue;
            }
        }
        out.push(line.to_owned());
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"0,15,30,45 * * * * t=$(TZ=America/Chicago date +\%M:\%H:\%d:\%m:\%w); case $t in 00:02:??:??:0) if /opt/IBM/ksys/ksysmgr -f move site from=us-south to=us-east dr_test=yes && /opt/IBM/ksys/ksysmgr -f cleanup site us-east dr_test=yes; then r=succeeded; else r=failed; fi; crontab -l | sed "/dr_test_schedule=sched-0a1b2c3d cron=/s/last_result=[a-z-]* finished_at=[^ ]*/last_result=$r finished_at=$(date -u +\%Y-\%m-\%dT\%H:\%M:\%SZ)/" | crontab -;; esac >/dev/null 2>&1 # terraform-provider-dr dr_test_schedule=sched-0a1b2c3d"#;

    #[test]
    fn job_lines_come_apart() {
        let e = parse_entry(LINE).unwrap();
        assert_eq!(e.schedule_id, "sched-0a1b2c3d");
        assert_eq!(e.time_zone, "America/Chicago");
        assert_eq!(e.patterns, "00:02:??:??:0");
        assert_eq!(
            e.commands,
            vec![
                "/opt/IBM/ksys/ksysmgr -f move site from=us-south to=us-east dr_test=yes",
                "/opt/IBM/ksys/ksysmgr -f cleanup site us-east dr_test=yes"
            ]
        );
        assert!(parse_entry(&format!("#{LINE}")).is_none(), "disabled");
        assert!(
            parse_entry("0 2 * * * /usr/bin/backup").is_none(),
            "not ours"
        );
    }

    #[test]
    fn the_guard_fires_in_the_schedules_zone() {
        let e = parse_entry(LINE).unwrap();
        // Sunday 2026-01-04 02:00 in Chicago is 08:00 UTC.
        let t = util::parse_rfc3339("2026-01-04T08:00:00Z").unwrap();
        assert!(fires_at(&e, t));
        assert!(!fires_at(&e, t + 15 * MINUTE_MS));
        assert!(!fires_at(&e, t - 60 * MINUTE_MS));
        // In July Chicago is UTC-5.
        assert!(fires_at(
            &e,
            util::parse_rfc3339("2026-07-05T07:00:00Z").unwrap()
        ));
    }

    #[test]
    fn ksh_patterns() {
        assert!(ksh_match(
            "@(00|30):@(09|10):??:??:@(1|2|3|4|5)",
            "30:10:04:01:3"
        ));
        assert!(!ksh_match(
            "@(00|30):@(09|10):??:??:@(1|2|3|4|5)",
            "30:10:04:01:6"
        ));
        assert!(ksh_match("00:00:13:??:?|00:00:??:??:5", "00:00:02:01:5"));
        assert!(ksh_match("*:02:*", "00:02:04:01:0"));
        assert!(!ksh_match("00:02:??:??:0", "00:02:04:01"));
    }

    #[test]
    fn the_sed_tail_rewrites_only_its_header() {
        let text = "# terraform-provider-dr dr_test_schedule=sched-1 cron=\"0 2 * * 0\" time_zone=UTC last_result=- finished_at=-\nLINE\n# terraform-provider-dr dr_test_schedule=sched-2 cron=\"0 3 * * 0\" time_zone=UTC last_result=- finished_at=-\n";
        let out = rewrite_header(text, "sched-2", "succeeded", "2026-01-04T02:15:00Z");
        assert!(
            out.contains("sched-1 cron=\"0 2 * * 0\" time_zone=UTC last_result=- finished_at=-")
        );
        assert!(out.contains("sched-2 cron=\"0 3 * * 0\" time_zone=UTC last_result=succeeded finished_at=2026-01-04T02:15:00Z"));
        assert!(out.ends_with('\n'));
        let schedules = schedules(&out);
        assert_eq!(schedules[1]["last_result"], "succeeded");
        assert_eq!(schedules[0]["cron"], "0 2 * * 0");
    }

    #[test]
    fn a_huge_crontab_is_refused_whole() {
        let env = Env {
            now_ms: 60_000,
            time_scale: 1.0,
        };
        let mut world = World::new(1);
        let line = "0 2 * * * /bin/true\n";
        let out = replace(
            &mut world,
            "c",
            &line.repeat(MAX_CRONTAB / line.len() + 1),
            env,
        );
        assert_eq!(out.exit_code, 1);
        assert!(list(&world, "c").is_empty());
        assert_eq!(replace(&mut world, "c", line, env).exit_code, 0);
        assert_eq!(list(&world, "c"), vec![line.trim_end()]);
    }

    #[test]
    fn crontab_lines_are_checked() {
        assert_eq!(invalid_line("# c\n\n0 2 * * * /bin/x\n"), None);
        assert_eq!(invalid_line("0 2 * *\n"), Some("0 2 * *"));
        assert_eq!(invalid_line("SHELL=/bin/ksh\n"), Some("SHELL=/bin/ksh"));
        assert_eq!(invalid_line("61 2 * * * x"), Some("61 2 * * * x"));
    }
}
