//! DR test schedules as entries of root's crontab on the orchestrator LPAR.
//!
//! KSYS has no scheduler of its own for DR tests; root's crontab is where an AIX administrator
//! would put one. A schedule is two lines, both tagged with its id so that nothing else in the
//! crontab is ever touched:
//!
//! ```text
//! # terraform-provider-dr dr_test_schedule=<id> cron="<expr>" time_zone=<tz> last_result=<r> finished_at=<t>
//! <minutes> * * * * t=$(TZ=<tz> date +\%M:\%H:\%d:\%m:\%w); case $t in <patterns>) if <ksysmgr ...> && <ksysmgr ...>; then r=succeeded; else r=failed; fi; crontab -l | sed "..." | crontab -;; esac >/dev/null 2>&1 # terraform-provider-dr dr_test_schedule=<id>
//! ```
//!
//! AIX cron has no per-entry time zone: it reads every entry in the system's zone. So the entry
//! fires at each minute the expression could match in any zone (zone offsets are multiples of
//! 15 minutes), and a ksh `case` guard evaluates the expression's fields in the schedule's own
//! zone (`TZ=<tz> date`), which also follows that zone's daylight-saving rules. When the run
//! ends, the job writes its outcome into its own header line, which is how `last_result` is
//! read back with `crontab -l`. A disabled schedule keeps its header and has its job line
//! commented out.

use std::collections::BTreeSet;

use super::command::KSYSMGR;

const TAG: &str = "# terraform-provider-dr dr_test_schedule=";

/// The five cron fields expanded to their values; `None` for an unrestricted (`*`) field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSets {
    pub minutes: Option<BTreeSet<u32>>,
    pub hours: Option<BTreeSet<u32>>,
    pub days_of_month: Option<BTreeSet<u32>>,
    pub months: Option<BTreeSet<u32>>,
    /// 0 = Sunday (7 already folded onto 0).
    pub days_of_week: Option<BTreeSet<u32>>,
}

/// One schedule as its two crontab lines describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEntry {
    pub id: String,
    /// The expression as the user wrote it.
    pub cron: String,
    pub time_zone: String,
    pub enabled: bool,
    /// `succeeded` / `failed`; `None` before the first run.
    pub last_result: Option<String>,
    pub finished_at: Option<String>,
    /// The ksysmgr command lines the job runs, in order (`&&`-joined).
    pub commands: Vec<String>,
}

/// The DR test a schedule runs: a rehearsal move to the backup site, then its cleanup.
pub fn dr_test_commands(home_site: &str, backup_site: &str, workgroups: &[String]) -> Vec<String> {
    if workgroups.is_empty() {
        return vec![
            format!("{KSYSMGR} -f move site from={home_site} to={backup_site} dr_test=yes"),
            format!("{KSYSMGR} -f cleanup site {backup_site} dr_test=yes"),
        ];
    }
    workgroups
        .iter()
        .flat_map(|wg| {
            [
                format!("{KSYSMGR} -f move workgroup {wg} to={backup_site} dr_test=yes"),
                format!("{KSYSMGR} -f cleanup workgroup {wg} dr_test=yes"),
            ]
        })
        .collect()
}

fn two_digits(set: &BTreeSet<u32>) -> String {
    alternatives(set.iter().map(|v| format!("{v:02}")).collect())
}

fn alternatives(values: Vec<String>) -> String {
    match values.as_slice() {
        [one] => one.clone(),
        _ => format!("@({})", values.join("|")),
    }
}

/// The ksh patterns over `MM:HH:DD:mm:w` in the schedule's zone.
pub fn guard_patterns(sets: &CronSets) -> String {
    let field = |set: &Option<BTreeSet<u32>>, any: &str| match set {
        Some(values) => two_digits(values),
        None => any.to_string(),
    };
    let minutes = field(&sets.minutes, "??");
    let hours = field(&sets.hours, "??");
    let months = field(&sets.months, "??");
    let days = field(&sets.days_of_month, "??");
    let weekdays = match &sets.days_of_week {
        Some(values) => alternatives(values.iter().map(u32::to_string).collect()),
        None => "?".to_string(),
    };
    match (&sets.days_of_month, &sets.days_of_week) {
        // cron runs when either day field matches if both are restricted.
        (Some(_), Some(_)) => {
            format!("{minutes}:{hours}:{days}:{months}:?|{minutes}:{hours}:??:{months}:{weekdays}")
        }
        _ => format!("{minutes}:{hours}:{days}:{months}:{weekdays}"),
    }
}

/// The minute field of the job line: every minute the schedule can match in any zone.
pub fn fire_minutes(sets: &CronSets) -> String {
    match &sets.minutes {
        None => "*".to_string(),
        Some(minutes) => {
            let all: BTreeSet<u32> = minutes
                .iter()
                .flat_map(|m| [0, 15, 30, 45].map(|shift| (m + shift) % 60))
                .collect();
            all.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
        }
    }
}

fn header(entry: &ScheduleEntry) -> String {
    format!(
        "{TAG}{} cron=\"{}\" time_zone={} last_result={} finished_at={}",
        entry.id,
        entry.cron.split_whitespace().collect::<Vec<_>>().join(" "),
        entry.time_zone,
        entry.last_result.as_deref().unwrap_or("-"),
        entry.finished_at.as_deref().unwrap_or("-"),
    )
}

fn job(entry: &ScheduleEntry, sets: &CronSets) -> String {
    let id = &entry.id;
    let line = format!(
        "{minutes} * * * * t=$(TZ={tz} date +\\%M:\\%H:\\%d:\\%m:\\%w); case $t in {patterns}) \
         if {commands}; then r=succeeded; else r=failed; fi; crontab -l | sed \
         \"/^# terraform-provider-dr dr_test_schedule={id} cron=/s/last_result=[a-z-]* finished_at=[^ ]*/last_result=$r \
         finished_at=$(date -u +\\%Y-\\%m-\\%dT\\%H:\\%M:\\%SZ)/\" | crontab -;; esac >/dev/null 2>&1 \
         {TAG}{id}",
        minutes = fire_minutes(sets),
        tz = entry.time_zone,
        patterns = guard_patterns(sets),
        commands = entry.commands.join(" && "),
    );
    if entry.enabled {
        line
    } else {
        format!("#{line}")
    }
}

/// The two lines of `entry`.
pub fn render(entry: &ScheduleEntry, sets: &CronSets) -> [String; 2] {
    [header(entry), job(entry, sets)]
}

fn tagged_id(line: &str) -> Option<&str> {
    if let Some(rest) = line.strip_prefix(TAG) {
        return rest.split_whitespace().next();
    }
    let (_, id) = line.rsplit_once(TAG)?;
    Some(id.trim())
}

fn header_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let start = header.find(&format!(" {key}="))? + key.len() + 2;
    let rest = &header[start..];
    if let Some(quoted) = rest.strip_prefix('"') {
        return quoted.split_once('"').map(|(v, _)| v);
    }
    rest.split_whitespace().next()
}

fn commands_of(job: &str) -> Vec<String> {
    let Some((_, after_if)) = job.split_once(") if ") else {
        return Vec::new();
    };
    let Some((commands, _)) = after_if.split_once("; then") else {
        return Vec::new();
    };
    commands
        .split(" && ")
        .map(|c| c.trim().to_string())
        .collect()
}

/// Every schedule in `crontab`.
pub fn parse(crontab: &str) -> Vec<ScheduleEntry> {
    let mut out: Vec<ScheduleEntry> = Vec::new();
    for line in crontab.lines() {
        if line.starts_with(TAG) {
            let Some(id) = tagged_id(line) else { continue };
            let dash = |v: Option<&str>| v.filter(|v| *v != "-").map(str::to_string);
            out.push(ScheduleEntry {
                id: id.to_string(),
                cron: header_value(line, "cron").unwrap_or_default().to_string(),
                time_zone: header_value(line, "time_zone").unwrap_or("UTC").to_string(),
                enabled: false,
                last_result: dash(header_value(line, "last_result")),
                finished_at: dash(header_value(line, "finished_at")),
                commands: Vec::new(),
            });
        } else if let Some(id) = tagged_id(line)
            && let Some(entry) = out.iter_mut().find(|e| e.id == id)
        {
            entry.enabled = !line.trim_start().starts_with('#');
            entry.commands = commands_of(line);
        }
    }
    out
}

/// `crontab` without the lines of schedule `id`; every other line stays as it was.
pub fn without(crontab: &str, id: &str) -> String {
    let mut out = String::new();
    for line in crontab.lines() {
        if tagged_id(line) == Some(id) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `crontab` with schedule `entry` written (in place of its old lines, else appended).
pub fn with(crontab: &str, entry: &ScheduleEntry, sets: &CronSets) -> String {
    let [head, job] = render(entry, sets);
    let mut out = String::new();
    let mut written = false;
    for line in crontab.lines() {
        if tagged_id(line) == Some(entry.id.as_str()) {
            if !written {
                out.push_str(&format!("{head}\n{job}\n"));
                written = true;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if !written {
        out.push_str(&format!("{head}\n{job}\n"));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    fn set(values: &[u32]) -> Option<BTreeSet<u32>> {
        Some(values.iter().copied().collect())
    }

    fn sunday_2am() -> CronSets {
        CronSets {
            minutes: set(&[0]),
            hours: set(&[2]),
            days_of_month: None,
            months: None,
            days_of_week: set(&[0]),
        }
    }

    fn entry() -> ScheduleEntry {
        ScheduleEntry {
            id: "sched-0a1b2c3d".into(),
            cron: "0 2 * * SUN".into(),
            time_zone: "America/Chicago".into(),
            enabled: true,
            last_result: None,
            finished_at: None,
            commands: dr_test_commands("us-south", "us-east", &[]),
        }
    }

    #[test]
    fn guard_and_minutes_cover_every_zone_offset() {
        assert_eq!(guard_patterns(&sunday_2am()), "00:02:??:??:0");
        assert_eq!(fire_minutes(&sunday_2am()), "0,15,30,45");
        let weekdays = CronSets {
            minutes: set(&[0, 30]),
            hours: set(&[9, 10]),
            days_of_month: None,
            months: None,
            days_of_week: set(&[1, 2, 3, 4, 5]),
        };
        assert_eq!(
            guard_patterns(&weekdays),
            "@(00|30):@(09|10):??:??:@(1|2|3|4|5)"
        );
        assert_eq!(fire_minutes(&weekdays), "0,15,30,45");
        let both_days = CronSets {
            minutes: set(&[7]),
            hours: None,
            days_of_month: set(&[1, 15]),
            months: set(&[6]),
            days_of_week: set(&[1]),
        };
        assert_eq!(
            guard_patterns(&both_days),
            "07:??:@(01|15):06:?|07:??:??:06:1"
        );
        assert_eq!(fire_minutes(&both_days), "7,22,37,52");
    }

    #[test]
    fn an_entry_round_trips_and_other_lines_are_kept() {
        let existing = "# user's own job\n0 3 * * * /usr/bin/backup.sh\n";
        let text = with(existing, &entry(), &sunday_2am());
        assert!(text.starts_with(existing));
        let [head, job] = render(&entry(), &sunday_2am());
        assert_eq!(
            head,
            "# terraform-provider-dr dr_test_schedule=sched-0a1b2c3d cron=\"0 2 * * SUN\" time_zone=America/Chicago last_result=- finished_at=-"
        );
        assert!(job.starts_with(
            "0,15,30,45 * * * * t=$(TZ=America/Chicago date +\\%M:\\%H:\\%d:\\%m:\\%w); case $t in 00:02:??:??:0) if /opt/IBM/ksys/ksysmgr -f move site from=us-south to=us-east dr_test=yes && /opt/IBM/ksys/ksysmgr -f cleanup site us-east dr_test=yes; then"
        ), "{job}");
        assert!(job.ends_with("# terraform-provider-dr dr_test_schedule=sched-0a1b2c3d"));
        let parsed = parse(&text);
        assert_eq!(parsed, vec![entry()]);
        // Written again in place, not appended.
        let mut disabled = entry();
        disabled.enabled = false;
        let again = with(&text, &disabled, &sunday_2am());
        assert_eq!(again.lines().count(), 4);
        assert!(!parse(&again)[0].enabled);
        assert_eq!(without(&again, "sched-0a1b2c3d"), existing);
    }

    #[test]
    fn the_result_the_job_writes_into_its_header_is_read() {
        let [_, job] = render(&entry(), &sunday_2am());
        let text = format!(
            "# terraform-provider-dr dr_test_schedule=sched-0a1b2c3d cron=\"0 2 * * SUN\" time_zone=America/Chicago last_result=failed finished_at=2026-12-06T08:19:02Z\n{job}\n"
        );
        let parsed = parse(&text);
        assert_eq!(parsed[0].last_result.as_deref(), Some("failed"));
        assert_eq!(
            parsed[0].finished_at.as_deref(),
            Some("2026-12-06T08:19:02Z")
        );
    }

    #[test]
    fn workgroup_scoped_tests_move_and_clean_each_workgroup() {
        assert_eq!(
            dr_test_commands("us-south", "us-east", &["a_WG".into()]),
            vec![
                "/opt/IBM/ksys/ksysmgr -f move workgroup a_WG to=us-east dr_test=yes",
                "/opt/IBM/ksys/ksysmgr -f cleanup workgroup a_WG dr_test=yes",
            ]
        );
    }
}
