//! `ksysmgr`'s command line: flags, ACTION and CLASS with their aliases,
//! the object name, `ATTR=VALUE` pairs, help and prompts ([`super::dispatch`] runs what it
//! parses).
//!
//! `ksysmgr [-v] [-f] [-l low|max] [-i] [-t] [-a a,b] <ACTION> <CLASS> [<NAME>] [ATTR=VALUE ...]`.
//! ACTION and CLASS ignore case and accept IBM's aliases (`*` is a prefix wildcard); NAME,
//! ATTR and VALUE are case-sensitive. Exit codes: 0 success, 1 failure or
//! conflicting state, 2 object not found, 3 mandatory argument missing, 4 argument invalid.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Query,
    Add,
    Delete,
    Modify,
    Restore,
    Manage,
    Unmanage,
    Discover,
    Move,
    Pair,
    Refresh,
    Resync,
    Update,
    Cleanup,
    Upgrade,
    Help,
}

/// ACTION words: the name and its aliases (`x*` matches any word starting with `x`).
const ACTIONS: &[(Action, &str, &[&str])] = &[
    (Action::Query, "query", &["q*", "ls", "get", "sh*"]),
    (
        Action::Add,
        "add",
        &["ad*", "cr*", "make", "mk", "bu*", "bld"],
    ),
    (Action::Delete, "delete", &["de*", "remov*", "rm", "er*"]),
    (Action::Modify, "modify", &["mod*", "ch*", "set", "sets"]),
    (Action::Restore, "restore", &["rest*"]),
    (Action::Manage, "manage", &["man*", "mg"]),
    (Action::Unmanage, "unmanage", &["unman*", "umg"]),
    (Action::Discover, "discover", &["di*"]),
    (Action::Move, "move", &["mov*", "mv", "swi*"]),
    (Action::Pair, "pair", &["map"]),
    (Action::Refresh, "refresh", &["ref*"]),
    (Action::Resync, "resync", &["resy*"]),
    (Action::Update, "update", &["upd*"]),
    (Action::Cleanup, "cleanup", &["clean*"]),
    (Action::Upgrade, "upgrade", &[]),
    (Action::Help, "help", &[]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Ksyscluster,
    Site,
    Vm,
    Notify,
    Snapshot,
    Script,
    Workgroup,
    Disk,
    DiskGroup,
    Event,
    System,
    Workspace,
    Network,
    Region,
    Version,
    License,
    Filesets,
}

const CLASSES: &[(Class, &str, &[&str])] = &[
    (
        Class::Ksyscluster,
        "ksyscluster",
        &["cl*", "ksyscl*", "ksysclu*", "clu*"],
    ),
    (Class::Site, "site", &["sit*"]),
    (Class::Vm, "vm", &["lp*", "vm*"]),
    (Class::Notify, "notify", &["rn", "remote_not*", "noti*"]),
    (Class::Snapshot, "snapshot", &["snap*"]),
    (Class::Script, "script", &["scr*"]),
    (Class::Workgroup, "workgroup", &["workg*", "work_g*", "wg"]),
    (Class::DiskGroup, "disk_group", &["dg", "disk_g*"]),
    (Class::Disk, "disk", &[]),
    (Class::Event, "event", &["ev*"]),
    (Class::System, "system", &["sys*"]),
    (Class::Workspace, "workspace", &["works*", "work_s*", "ws"]),
    (
        Class::Network,
        "network",
        &["netw*", "nw", "net_work", "net_w*"],
    ),
    (Class::Region, "region", &["regio*"]),
    (Class::Version, "version", &[]),
    (Class::License, "license", &[]),
    (Class::Filesets, "filesets", &[]),
];

fn matches_alias(word: &str, name: &str, aliases: &[&str]) -> bool {
    word == name
        || aliases.iter().any(|a| match a.strip_suffix('*') {
            Some(prefix) => word.starts_with(prefix),
            None => word == *a,
        })
}

/// The entry of `table` that `word` names (any case): by full name first, then by alias, so
/// an exact name wins over another entry's alias prefix.
fn lookup<T: Copy>(table: &[(T, &str, &[&str])], word: &str) -> Option<T> {
    let word = word.to_ascii_lowercase();
    table
        .iter()
        .find(|(_, name, _)| *name == word)
        .or_else(|| {
            table
                .iter()
                .find(|(_, name, aliases)| matches_alias(&word, name, aliases))
        })
        .map(|(entry, _, _)| *entry)
}

/// The full name of `entry` in `table`.
fn name_in<T: Copy + PartialEq>(table: &[(T, &'static str, &[&str])], entry: T) -> &'static str {
    table
        .iter()
        .find(|(e, _, _)| *e == entry)
        .map(|(_, name, _)| *name)
        .unwrap_or("?")
}

pub(super) fn action_name(action: Action) -> &'static str {
    name_in(ACTIONS, action)
}

pub(super) fn class_name(class: Class) -> &'static str {
    name_in(CLASSES, class)
}

/// A parsed ksysmgr command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub force: bool,
    pub interactive: bool,
    /// `-a`: the attributes a query prints.
    pub only: Option<Vec<String>>,
    pub action: Action,
    pub class: Class,
    /// Words after the class that are not `ATTR=VALUE`.
    pub args: Vec<String>,
    pub attrs: Vec<(String, String)>,
    /// The command as received, for the operation log.
    pub text: String,
}

impl Invocation {
    /// The value of the first attribute named by any of `names` (case-sensitive).
    pub fn attr(&self, names: &[&str]) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.as_str())
    }

    /// The object name: the first plain word, else `name=`.
    pub fn name(&self) -> Option<&str> {
        self.args
            .first()
            .map(String::as_str)
            .or_else(|| self.attr(&["name"]))
    }

    /// The first attribute that is not in `known`.
    pub fn unknown_attr(&self, known: &[&str]) -> Option<&str> {
        self.attrs
            .iter()
            .map(|(k, _)| k.as_str())
            .find(|k| !known.contains(k))
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Help text (exit 0).
    Help(Vec<String>),
    Run(Invocation),
}

/// A failure detected on the command line alone: exit code and message.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub exit_code: u32,
    pub message: String,
}

fn usage(exit_code: u32, message: impl Into<String>) -> Usage {
    Usage {
        exit_code,
        message: message.into(),
    }
}

/// KSYS names: letters, digits, `_`, `.` and `-`; never a space (KSYS refuses others).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

pub fn invalid_name_message(name: &str) -> String {
    if name.contains(char::is_whitespace) {
        format!("Name \"{name}\" contains a space; KSYS resource names cannot contain spaces.")
    } else {
        format!(
            "Name \"{name}\" is not valid; names may contain only letters, digits, '_', '.' and '-'."
        )
    }
}

/// Parses the words after `ksysmgr`.
pub fn parse(words: &[String], text: &str) -> Result<Parsed, Usage> {
    let mut force = false;
    let mut interactive = false;
    let mut only = None;
    let mut rest = words.iter().peekable();
    let mut help = false;
    while let Some(word) = rest.peek() {
        match word.as_str() {
            "-f" => force = true,
            "-v" | "-t" => {}
            "-i" => interactive = true,
            "-h" | "-?" => help = true,
            "-l" => {
                rest.next();
                match rest.peek().map(|w| w.as_str()) {
                    Some("low" | "max") => {}
                    Some(other) => {
                        return Err(usage(
                            4,
                            format!("Invalid trace level {other}; use low or max."),
                        ));
                    }
                    None => return Err(usage(3, "Flag -l needs a level: low or max.")),
                }
            }
            "-a" => {
                rest.next();
                match rest.peek() {
                    Some(list) => {
                        only = Some(list.split(',').map(str::to_owned).collect::<Vec<_>>());
                    }
                    None => return Err(usage(3, "Flag -a needs a list of attributes.")),
                }
            }
            w if w.starts_with('-') && w.len() > 1 => {
                return Err(usage(4, format!("Unknown flag {w}.")));
            }
            _ => break,
        }
        rest.next();
    }
    let Some(action_word) = rest.next() else {
        return Ok(Parsed::Help(actions_help()));
    };
    let Some(action) = lookup(ACTIONS, action_word) else {
        return Err(usage(
            4,
            format!(
                "Unknown action \"{action_word}\". Run \"ksysmgr -h\" for the list of actions."
            ),
        ));
    };
    let remaining: Vec<String> = rest.cloned().collect();
    if help || remaining.iter().any(|w| w == "-h" || w == "-?") {
        return Ok(Parsed::Help(command_help(action, remaining.first())));
    }
    if action == Action::Help {
        return Ok(Parsed::Help(command_help(Action::Help, remaining.first())));
    }
    let Some(class_word) = remaining.first() else {
        if action == Action::Upgrade {
            return Err(usage(3, "Class is required: ksysmgr upgrade filesets."));
        }
        return Ok(Parsed::Help(classes_help(action)));
    };
    let Some(class) = lookup(CLASSES, class_word) else {
        return Err(usage(
            4,
            format!(
                "Unknown class \"{class_word}\" for action {}. Run \"ksysmgr {} -h\" for its classes.",
                action_name(action),
                action_name(action)
            ),
        ));
    };
    let mut args = Vec::new();
    let mut attrs = Vec::new();
    for word in &remaining[1..] {
        match word.split_once('=') {
            Some((k, v)) if !k.is_empty() => attrs.push((k.to_owned(), v.to_owned())),
            _ => args.push(word.clone()),
        }
    }
    Ok(Parsed::Run(Invocation {
        force,
        interactive,
        only,
        action,
        class,
        args,
        attrs,
        text: text.to_owned(),
    }))
}

/// The confirmation a command asks for before it runs (none with `-f`).
pub fn prompt(inv: &Invocation) -> Option<Vec<String>> {
    if inv.force || inv.action != Action::Move {
        return None;
    }
    let rehearsal = inv.attr(&["dr_test"]) == Some("yes");
    if rehearsal {
        Some(vec![
            "You are initiating a failover rehearsal across sites".into(),
            String::new(),
            "Do you wish to proceed? [y/n]".into(),
        ])
    } else if inv.interactive {
        Some(vec![
            "You are initiating a move across sites".into(),
            String::new(),
            "Do you wish to proceed? [y/n]".into(),
        ])
    } else {
        None
    }
}

/// Whether the answer to a prompt lets the command run.
pub fn confirmed(answer: Option<&str>) -> bool {
    matches!(
        answer.map(|a| a.trim().to_ascii_lowercase()).as_deref(),
        Some("y" | "yes")
    )
}

fn actions_help() -> Vec<String> {
    let mut out = vec![
        "Usage: ksysmgr [-v] [-f] [-l {low|max}] [-i] [-a {<ATTR#1>,<ATTR#2>,...}] <ACTION> <CLASS> [<NAME>] [-h | <ATTR>=<VALUE> ...]".to_owned(),
        "       ksysmgr {-h|-?} [-v] [<ACTION> [<CLASS>]]".to_owned(),
        "       ksysmgr [-v] help".to_owned(),
        String::new(),
        "Available actions:".to_owned(),
    ];
    for (_, name, aliases) in ACTIONS.iter().filter(|(a, _, _)| *a != Action::Help) {
        if aliases.is_empty() {
            out.push(format!("    {name}"));
        } else {
            out.push(format!("    {name} => {}", aliases.join(", ")));
        }
    }
    out
}

/// The classes an action works on in this environment.
fn classes_for(action: Action) -> &'static [&'static str] {
    match action {
        Action::Query => &[
            "vm",
            "workgroup",
            "site",
            "workspace",
            "ksyscluster",
            "version",
            "system",
            "disk_group",
        ],
        Action::Manage | Action::Unmanage => &["vm"],
        Action::Modify => &["workgroup", "ksyscluster"],
        Action::Discover => &["workgroup", "site"],
        Action::Move | Action::Cleanup => &["site", "workgroup"],
        Action::Add | Action::Delete => &["site"],
        Action::Pair => &["workspace"],
        _ => &[],
    }
}

fn classes_help(action: Action) -> Vec<String> {
    let mut out = vec![format!("Available classes for {}:", action_name(action))];
    out.extend(classes_for(action).iter().map(|c| format!("- {c}")));
    out
}

fn command_help(action: Action, class_word: Option<&String>) -> Vec<String> {
    if action == Action::Help {
        return match class_word.and_then(|w| lookup(CLASSES, w)) {
            Some(class) => {
                let mut out = vec![format!("Available actions for {}:", class_name(class))];
                for (a, name, _) in ACTIONS {
                    if classes_for(*a).contains(&class_name(class)) {
                        out.push(format!("- {name}"));
                    }
                }
                out
            }
            None => actions_help(),
        };
    }
    let Some(class) = class_word.and_then(|w| lookup(CLASSES, w)) else {
        return classes_help(action);
    };
    let syntax: &[&str] = match (action, class) {
        (Action::Query, Class::Vm) => &[
            "ksysmgr query vm [<vmname|vmuuid> ...]",
            "      [state=<manage|unmanage>]",
        ],
        (Action::Manage, Class::Vm) => &[
            "ksysmgr manage vm <vmname> | name=<vmname> | vmuuid=<uuid>",
            "      [home_workspace=<name|ID>]",
            "      [target_workspace=<name|ID>]",
            "      [workgroup=<workgroupname>]",
        ],
        (Action::Unmanage, Class::Vm) => &[
            "ksysmgr unmanage vm <vmname> | name=<vmname> | vmuuid=<uuid>",
            "      [workspace=<name|ID>]",
            "      [force=<true|false>]",
        ],
        (Action::Modify, Class::Workgroup) => &[
            "ksysmgr modify workgroup <name>",
            "      [priority=<Low|Medium|High>]",
            "      [SkipAutoResync=<ON|OFF>]",
        ],
        (Action::Discover, _) => &[
            "ksysmgr discover workgroup <name>",
            "ksysmgr discover site <sitename>",
        ],
        (Action::Move, _) => &[
            "ksysmgr [-f] move site from=<sitename> to=<sitename>",
            "      [force=<true|false>]",
            "      [dr_type=<planned|unplanned>]",
            "      [dr_test=<yes|no>]",
            "ksysmgr [-f] move workgroup <name> to=<site_name>",
            "      [force=<true|false>]",
            "      [dr_type=<planned|unplanned>]",
            "      [dr_test=<yes|no>]",
        ],
        (Action::Cleanup, _) => &[
            "ksysmgr [-f] cleanup workgroup <name> dr_test=<yes>",
            "      [force=<true|false>]",
            "ksysmgr cleanup site <sitename> dr_test=<yes>",
        ],
        (Action::Add, Class::Site) => &["ksysmgr add site <sitename> region=<region>"],
        _ => &[],
    };
    let mut out: Vec<String> = if syntax.is_empty() {
        vec![format!(
            "ksysmgr {} {}",
            action_name(action),
            class_name(class)
        )]
    } else {
        syntax.iter().map(|s| (*s).to_owned()).collect()
    };
    out.push(String::new());
    for (a, name, aliases) in ACTIONS {
        if *a == action && !aliases.is_empty() {
            out.push(format!("    {name} => {}", aliases.join(", ")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    fn run(text: &str) -> Invocation {
        match parse(&words(text), text) {
            Ok(Parsed::Run(inv)) => inv,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn actions_and_classes_accept_case_and_aliases() {
        let inv = run("-f QUERY Vm x state=manage");
        assert_eq!((inv.action, inv.class), (Action::Query, Class::Vm));
        assert!(inv.force);
        assert_eq!(inv.args, vec!["x"]);
        assert_eq!(inv.attr(&["state"]), Some("manage"));
        assert_eq!(run("q wg").class, Class::Workgroup);
        assert_eq!(run("ls lpar").class, Class::Vm);
        assert_eq!(run("mg vm a").action, Action::Manage);
        assert_eq!(run("umg vm a").action, Action::Unmanage);
        assert_eq!(run("mv site from=a to=b").action, Action::Move);
        assert_eq!(run("disc wg a").action, Action::Discover);
        assert_eq!(run("delete site s").action, Action::Delete);
        assert_eq!(run("map ws a pair=b").action, Action::Pair);
        assert_eq!(run("q dg").class, Class::DiskGroup);
        assert_eq!(run("q disk vm=a").class, Class::Disk);
        assert_eq!(run("q clu").class, Class::Ksyscluster);
        assert_eq!(run("clean wg a dr_test=yes").action, Action::Cleanup);
        assert_eq!(
            run("-a name,region q site").only,
            Some(vec!["name".into(), "region".into()])
        );
    }

    #[test]
    fn bad_words_get_exit_codes() {
        let err = parse(&words("frobnicate vm"), "").unwrap_err();
        assert_eq!(err.exit_code, 4);
        assert_eq!(parse(&words("query bogus"), "").unwrap_err().exit_code, 4);
        assert_eq!(parse(&words("-z query vm"), "").unwrap_err().exit_code, 4);
        assert_eq!(parse(&words("-l"), "").unwrap_err().exit_code, 3);
        assert!(matches!(parse(&[], ""), Ok(Parsed::Help(_))));
        assert!(matches!(parse(&words("query"), ""), Ok(Parsed::Help(_))));
        assert!(matches!(
            parse(&words("move site -h"), ""),
            Ok(Parsed::Help(_))
        ));
        let Ok(Parsed::Help(lines)) = parse(&words("help ksyscluster"), "") else {
            panic!()
        };
        assert_eq!(lines[0], "Available actions for ksyscluster:");
    }

    #[test]
    fn rehearsals_prompt_unless_forced() {
        assert!(prompt(&run("move site from=a to=b dr_test=yes")).is_some());
        assert!(prompt(&run("-f move site from=a to=b dr_test=yes")).is_none());
        assert!(prompt(&run("move site from=a to=b")).is_none());
        assert!(prompt(&run("-i move site from=a to=b")).is_some());
        assert!(confirmed(Some("y")));
        assert!(confirmed(Some("YES\r")));
        assert!(!confirmed(Some("n")));
        assert!(!confirmed(None));
    }

    #[test]
    fn names_follow_ksys_rules() {
        assert!(valid_name("aix-app_01.x"));
        assert!(!valid_name("my vm"));
        assert!(!valid_name("a/b"));
        assert!(invalid_name_message("my vm").contains("space"));
    }
}
