//! Building `ksysmgr` command lines.
//!
//! IBM reserves the action and class aliases for interactive use, and a prompt would block a
//! non-interactive session, so every command is the full words with `-f`:
//! `/opt/IBM/ksys/ksysmgr -f <action> <class> [<name>] [attr=value ...]`. The line goes to a
//! remote shell, so every word is checked against a conservative alphabet instead of being
//! quoted: KSYS refuses names with spaces anyway, and nothing a user can write then reaches the
//! shell as syntax.

use std::fmt;

use super::KsysError;

/// Where the provider expects `ksysmgr` on the orchestrator LPAR. IBM documents no path; this
/// is KSYS's installation directory (an assumption stated in docs/).
pub const KSYSMGR: &str = "/opt/IBM/ksys/ksysmgr";

/// A `ksysmgr` action, always spelled out in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Query,
    Add,
    Modify,
    Manage,
    Unmanage,
    Discover,
    Move,
    Cleanup,
}

impl Verb {
    fn word(self) -> &'static str {
        match self {
            Verb::Query => "query",
            Verb::Add => "add",
            Verb::Modify => "modify",
            Verb::Manage => "manage",
            Verb::Unmanage => "unmanage",
            Verb::Discover => "discover",
            Verb::Move => "move",
            Verb::Cleanup => "cleanup",
        }
    }
}

/// A `ksysmgr` class, always spelled out in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Vm,
    Workgroup,
    Site,
    KsysCluster,
}

impl Class {
    fn word(self) -> &'static str {
        match self {
            Class::Vm => "vm",
            Class::Workgroup => "workgroup",
            Class::Site => "site",
            Class::KsysCluster => "ksyscluster",
        }
    }
}

/// One `ksysmgr` invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KsysCommand {
    verb: Verb,
    class: Class,
    name: Option<String>,
    attributes: Vec<(&'static str, String)>,
}

impl KsysCommand {
    pub fn new(verb: Verb, class: Class) -> Self {
        Self {
            verb,
            class,
            name: None,
            attributes: Vec::new(),
        }
    }

    /// The object the command acts on (`<NAME>` in IBM's syntax).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// An `attr=value` argument.
    pub fn attr(mut self, attribute: &'static str, value: impl Into<String>) -> Self {
        self.attributes.push((attribute, value.into()));
        self
    }

    /// A bare word after the name (`remove` in `modify ksyscluster <c> remove ksysnodes=...`).
    pub fn word(self, word: &'static str) -> Self {
        self.attr(word, String::new())
    }

    pub fn verb(&self) -> Verb {
        self.verb
    }

    /// The command line, or an error naming the word that may not be sent.
    pub fn line(&self) -> Result<String, KsysError> {
        let mut line = format!("{KSYSMGR} -f {} {}", self.verb.word(), self.class.word());
        if let Some(name) = &self.name {
            check_word(name)?;
            line.push(' ');
            line.push_str(name);
        }
        for (attribute, value) in &self.attributes {
            line.push(' ');
            line.push_str(attribute);
            if !value.is_empty() {
                check_word(value)?;
                line.push('=');
                line.push_str(value);
            }
        }
        Ok(line)
    }
}

impl fmt::Display for KsysCommand {
    /// The command as shown in messages: without the path, as users type it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ksysmgr -f {} {}", self.verb.word(), self.class.word())?;
        if let Some(name) = &self.name {
            write!(f, " {name}")?;
        }
        for (attribute, value) in &self.attributes {
            if value.is_empty() {
                write!(f, " {attribute}")?;
            } else {
                write!(f, " {attribute}={value}")?;
            }
        }
        Ok(())
    }
}

/// True for a character KSYS names and values may contain here.
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | ',')
}

/// A value that can go into a command line as one word.
pub fn check_word(word: &str) -> Result<(), KsysError> {
    if word.is_empty() || word.len() > 256 || !word.chars().all(is_word_char) {
        return Err(KsysError::BadWord {
            word: word.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    #[test]
    fn commands_are_full_words_with_force() {
        let line = KsysCommand::new(Verb::Manage, Class::Vm)
            .attr("vmuuid", "10e2c468-65e9-4746-8fb8-1a18c8a50516")
            .attr("workgroup", "sap_prod")
            .line()
            .unwrap();
        assert_eq!(
            line,
            "/opt/IBM/ksys/ksysmgr -f manage vm vmuuid=10e2c468-65e9-4746-8fb8-1a18c8a50516 workgroup=sap_prod"
        );
        let move_site = KsysCommand::new(Verb::Move, Class::Site)
            .attr("from", "us-south")
            .attr("to", "us-east")
            .attr("dr_type", "planned");
        assert_eq!(
            move_site.to_string(),
            "ksysmgr -f move site from=us-south to=us-east dr_type=planned"
        );
        let remove = KsysCommand::new(Verb::Modify, Class::KsysCluster)
            .name("dr-prod")
            .word("remove")
            .attr("ksysnodes", "dr-prod-standby");
        assert_eq!(
            remove.line().unwrap(),
            "/opt/IBM/ksys/ksysmgr -f modify ksyscluster dr-prod remove ksysnodes=dr-prod-standby"
        );
    }

    #[test]
    fn shell_syntax_never_reaches_the_line() {
        for bad in [
            "a b", "x;reboot", "$(id)", "a'b", "a\"b", "", "a|b", "a\nb", "a&b",
        ] {
            let err = KsysCommand::new(Verb::Query, Class::Workgroup)
                .name(bad)
                .line()
                .expect_err(bad);
            assert!(matches!(err, KsysError::BadWord { .. }), "{bad}: {err}");
        }
    }
}
