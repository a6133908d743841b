//! ksysmgr's output layout: `Label:` padded so that values start at column 22 (width 21)
//! for vm, workgroup, site and cluster objects (width 29 for `query system`), one block per
//! object, blocks separated by one blank line, as IBM's KSYS documentation shows them.

/// One object's `Label: value` lines.
#[derive(Debug, Default, Clone)]
pub struct Block {
    fields: Vec<(String, String)>,
}

impl Block {
    pub fn new() -> Self {
        Block::default()
    }

    pub fn field(mut self, label: &str, value: impl Into<String>) -> Self {
        self.fields.push((label.to_owned(), value.into()));
        self
    }

    /// Several fields in a row.
    pub fn fields(self, fields: impl IntoIterator<Item = (&'static str, String)>) -> Self {
        fields
            .into_iter()
            .fold(self, |block, (label, value)| block.field(label, value))
    }

    /// The lines at `width`, keeping only the labels `only` names (ksysmgr `-a`), if any.
    pub fn lines(&self, width: usize, only: Option<&[String]>) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(label, _)| only.is_none_or(|o| o.iter().any(|a| same_attribute(a, label))))
            .map(|(label, value)| {
                let head = format!("{label}:");
                if value.is_empty() {
                    head
                } else {
                    format!("{head:<width$}{value}")
                }
            })
            .collect()
    }
}

/// `-a` names attributes loosely (`name`, `sitetype`): compare without case, spaces or `_`.
fn same_attribute(requested: &str, label: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| *c != ' ' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    norm(requested) == norm(label)
}

/// Blocks at width 21, separated by blank lines.
pub fn blocks(items: &[Block], only: Option<&[String]>) -> Vec<String> {
    let mut out = Vec::new();
    for (i, block) in items.iter().enumerate() {
        if i > 0 {
            out.push(String::new());
        }
        out.extend(block.lines(21, only));
    }
    out
}

/// `HH:MM:SS` of an epoch-ms instant in UTC (the emulated orchestrator's zone).
pub fn clock(ms: u64) -> String {
    let secs = ms / 1000;
    format!(
        "{:02}:{:02}:{:02}",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60
    )
}

/// A number the way ksysmgr prints sizes: `4`, `0.5`, `0.25`.
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_start_at_column_22() {
        let b = Block::new()
            .field("Name", "test_dh01")
            .field("Dr Test State", "INIT")
            .field("CGName", "");
        assert_eq!(
            b.lines(21, None),
            vec![
                "Name:                test_dh01",
                "Dr Test State:       INIT",
                "CGName:"
            ]
        );
        let only = vec!["dr_test_state".to_owned()];
        assert_eq!(b.lines(21, Some(&only)), vec!["Dr Test State:       INIT"]);
    }

    #[test]
    fn blocks_are_separated_by_one_blank_line() {
        let a = Block::new().field("Name", "a");
        let b = Block::new().field("Name", "b");
        assert_eq!(
            blocks(&[a, b], None),
            vec!["Name:                a", "", "Name:                b"]
        );
    }

    #[test]
    fn clock_and_numbers() {
        assert_eq!(clock(1_700_000_000_123), "22:13:20");
        assert_eq!(number(4.0), "4");
        assert_eq!(number(0.25), "0.25");
    }
}
