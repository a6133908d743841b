//! What an exec request runs on an emulated KSYS host (the commands the provider runs are
//! listed in `docs/guides/orchestrator-access.md`).
//!
//! The command string is split on whitespace, single and double quotes grouping words; no
//! other shell syntax is interpreted. The first word picks the program: `ksysmgr` (or
//! `/opt/IBM/ksys/ksysmgr`, ASSUMPTION: IBM gives no path), `crontab -l|-|-r`,
//! `oslevel [-s|-r]`, `hostname`, `date [-u] [+FORMAT]`; anything else answers
//! `ksh: <word>: not found` with exit status 127, as AIX's ksh does.
//!
//! Parsing is pure ([`parse`]); [`Command::needs`] says what the channel must collect first
//! (all of stdin, or the answer to a prompt); [`execute`] then runs it against the World.

use super::calendar;
use super::crontab;
use super::dispatch;
use super::host::{Ctx, Env, Output};
use super::ksysmgr::{self, Parsed};
use crate::sim::Sim;
use crate::store::World;

/// `oslevel -s` of the emulated orchestrators (AIX 7.3 TL2 SP1).
pub const OSLEVEL: &str = "7300-02-01-2346";

/// A parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Empty,
    Ksysmgr(Result<Parsed, ksysmgr::Usage>),
    CrontabList,
    CrontabReplace,
    CrontabRemove,
    CrontabUsage,
    Oslevel(String),
    Hostname,
    Date(Option<String>),
    NotFound(String),
}

/// What the channel must gather before [`execute`] runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Needs {
    Nothing,
    /// Everything on stdin until EOF.
    Stdin,
    /// These lines printed, then one line of stdin.
    Answer(Vec<String>),
}

/// What the channel gathered.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    None,
    Stdin(String),
    /// The answer line, or `None` at EOF.
    Answer(Option<String>),
}

/// Splits a command line into words: whitespace separates, quotes group.
pub fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            None => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

pub fn parse(line: &str) -> Command {
    let words = split_words(line);
    let Some(program) = words.first() else {
        return Command::Empty;
    };
    let args = &words[1..];
    match program.as_str() {
        "ksysmgr" | "/opt/IBM/ksys/ksysmgr" => Command::Ksysmgr(ksysmgr::parse(args, line.trim())),
        "crontab" | "/usr/bin/crontab" => {
            match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
                ["-l"] => Command::CrontabList,
                ["-"] | [] => Command::CrontabReplace,
                ["-r"] => Command::CrontabRemove,
                _ => Command::CrontabUsage,
            }
        }
        "oslevel" | "/usr/bin/oslevel" => {
            Command::Oslevel(args.first().cloned().unwrap_or_default())
        }
        "hostname" | "/usr/bin/hostname" => Command::Hostname,
        "date" | "/usr/bin/date" => {
            let format = args
                .iter()
                .find_map(|a| a.strip_prefix('+'))
                .map(str::to_owned);
            Command::Date(format)
        }
        other => Command::NotFound(other.to_owned()),
    }
}

impl Command {
    pub fn needs(&self) -> Needs {
        match self {
            Command::CrontabReplace => Needs::Stdin,
            Command::Ksysmgr(Ok(Parsed::Run(inv))) => match ksysmgr::prompt(inv) {
                Some(lines) => Needs::Answer(lines),
                None => Needs::Nothing,
            },
            _ => Needs::Nothing,
        }
    }

    /// Whether the command may change the world (so the state file must be written).
    pub fn writes(&self) -> bool {
        match self {
            Command::CrontabReplace | Command::CrontabRemove => true,
            Command::Ksysmgr(Ok(Parsed::Run(inv))) => inv.action != ksysmgr::Action::Query,
            _ => false,
        }
    }
}

/// For a command that asks before it runs: the failure it would end with anyway, so the
/// channel reports it at once instead of prompting.
pub fn precheck(world: &World, ctx: &Ctx, command: &Command, env: Env) -> Option<Output> {
    match command {
        Command::Ksysmgr(Ok(Parsed::Run(inv))) => dispatch::precheck(world, ctx, inv, env),
        _ => None,
    }
}

/// Runs a parsed command against the shared world and then, when the command writes, saves
/// the state: what the SSH hosts and `POST /_sim/ksys/exec` both do with a command.
pub async fn execute_on(sim: &Sim, ctx: &Ctx, command: &Command, input: Input, env: Env) -> Output {
    let output = {
        let mut world = sim.world().await;
        execute(&mut world, ctx, command, input, env)
    };
    if command.writes()
        && let Err(e) = sim.persist_after_mutation().await
    {
        tracing::error!(error = %e, "state file write failed after a KSYS command");
    }
    output
}

/// Runs a parsed command on the host.
pub fn execute(world: &mut World, ctx: &Ctx, command: &Command, input: Input, env: Env) -> Output {
    match command {
        Command::Empty => Output::ok(env, Vec::new()),
        Command::Ksysmgr(Err(usage)) => Output::error(env, usage.exit_code, &usage.message),
        Command::Ksysmgr(Ok(Parsed::Help(lines))) => Output::ok(env, lines.clone()),
        Command::Ksysmgr(Ok(Parsed::Run(inv))) => {
            if ksysmgr::prompt(inv).is_some() {
                let answer = match &input {
                    Input::Answer(a) => a.as_deref(),
                    _ => None,
                };
                if !ksysmgr::confirmed(answer) {
                    return Output::ok(env, vec!["Operation aborted.".into()]).with_code(1);
                }
            }
            dispatch::run(world, ctx, inv, env)
        }
        Command::CrontabList => Output::ok(env, crontab::list(world, &ctx.cluster_id)),
        Command::CrontabReplace => {
            let text = match input {
                Input::Stdin(text) => text,
                _ => String::new(),
            };
            crontab::replace(world, &ctx.cluster_id, &text, env)
        }
        Command::CrontabRemove => crontab::replace(world, &ctx.cluster_id, "", env),
        Command::CrontabUsage => {
            Output::stderr(env, vec!["Usage: crontab [-l|-r|-] [File]".into()], 1)
        }
        Command::Oslevel(flag) => {
            let level = match flag.as_str() {
                "-s" => OSLEVEL,
                "-r" => "7300-02",
                _ => "7.3.0.0",
            };
            Output::ok(env, vec![level.into()])
        }
        Command::Hostname => Output::ok(env, vec![ctx.hostname.clone()]),
        Command::Date(format) => {
            let format = format.as_deref().unwrap_or("%a %b %e %H:%M:%S %Z %Y");
            let text = strftime(format, env.now_ms);
            Output::ok(env, text.split('\n').map(str::to_owned).collect())
        }
        Command::NotFound(word) => {
            Output::stderr(env, vec![format!("ksh: {word}: not found")], 127)
        }
    }
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `date +FORMAT` in UTC (the emulated orchestrator's zone, ASSUMPTION).
pub fn strftime(format: &str, epoch_ms: u64) -> String {
    let ms = i64::try_from(epoch_ms).unwrap_or(i64::MAX);
    let Some(t) = calendar::wall_time(ms, 0) else {
        return String::new();
    };
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&t.year.to_string()),
            Some('m') => out.push_str(&format!("{:02}", t.month)),
            Some('d') => out.push_str(&format!("{:02}", t.day)),
            Some('e') => out.push_str(&format!("{:>2}", t.day)),
            Some('H') => out.push_str(&format!("{:02}", t.hour)),
            Some('M') => out.push_str(&format!("{:02}", t.minute)),
            Some('S') => out.push_str(&format!("{:02}", t.second)),
            Some('Z') => out.push_str("UTC"),
            Some('z') => out.push_str("+0000"),
            Some('a') => out.push_str(DAYS[usize::from(t.weekday) % 7]),
            Some('b') => out.push_str(MONTHS[usize::from(t.month.saturating_sub(1)) % 12]),
            Some('j') => out.push_str(&format!("{:03}", t.ordinal)),
            Some('s') => out.push_str(&(epoch_ms / 1000).to_string()),
            Some('T') => out.push_str(&format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second)),
            Some('F') => out.push_str(&format!("{}-{:02}-{:02}", t.year, t.month, t.day)),
            Some('w') => out.push_str(&t.weekday.to_string()),
            Some('n') => out.push('\n'),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util;

    #[test]
    fn words_split_on_whitespace_and_quotes_group() {
        assert_eq!(
            split_words("ksysmgr  manage vm \"my vm\" workgroup='a b'"),
            vec!["ksysmgr", "manage", "vm", "my vm", "workgroup=a b"]
        );
        assert_eq!(split_words("   "), Vec::<String>::new());
        assert_eq!(split_words("a ''"), vec!["a", ""]);
    }

    #[test]
    fn programs_are_recognised_by_their_first_word() {
        assert!(matches!(
            parse("/opt/IBM/ksys/ksysmgr query vm"),
            Command::Ksysmgr(Ok(_))
        ));
        assert_eq!(parse("crontab -l"), Command::CrontabList);
        assert_eq!(parse("crontab -"), Command::CrontabReplace);
        assert_eq!(parse("crontab -e"), Command::CrontabUsage);
        assert_eq!(parse("ls -l"), Command::NotFound("ls".into()));
        assert_eq!(parse("date -u +%F"), Command::Date(Some("%F".into())));
        assert_eq!(parse("crontab -").needs(), Needs::Stdin);
    }

    #[test]
    fn date_formats_like_aix() {
        let t = util::parse_rfc3339("2026-12-04T16:05:14Z").unwrap();
        assert_eq!(
            strftime("%a %b %e %H:%M:%S %Z %Y", t),
            "Fri Dec  4 16:05:14 UTC 2026"
        );
        assert_eq!(strftime("%Y-%m-%dT%H:%M:%SZ", t), "2026-12-04T16:05:14Z");
        assert_eq!(
            strftime("%j %s %T %F %w %z %%", t),
            format!("338 {} 16:05:14 2026-12-04 5 +0000 %", t / 1000)
        );
        assert_eq!(strftime("a%nb", t), "a\nb");
    }

    #[test]
    fn unknown_programs_answer_like_ksh() {
        let env = Env {
            now_ms: 1,
            time_scale: 1.0,
        };
        let ctx = Ctx {
            cluster_id: "c".into(),
            hostname: "h".into(),
            vm_id: "v".into(),
        };
        let mut world = World::new(1);
        let out = execute(&mut world, &ctx, &parse("rm -rf /"), Input::None, env);
        assert_eq!(out.exit_code, 127);
        assert_eq!(out.lines[0].text, "ksh: rm: not found");
        assert!(out.lines[0].stderr);
        let out = execute(&mut world, &ctx, &parse("oslevel -s"), Input::None, env);
        assert_eq!(out.lines[0].text, OSLEVEL);
        let out = execute(&mut world, &ctx, &parse("hostname"), Input::None, env);
        assert_eq!(out.lines[0].text, "h");
    }
}
