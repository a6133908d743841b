//! Holds: a test control (`/_sim/holds`) that stops an asynchronous operation at a named
//! step until the test releases it, and reports when the operation is there.
//!
//! Tests that interrupt Terraform mid-operation (Ctrl-C while a deployment runs, `kill -9`
//! of the emulator during a standby deployment, Ctrl-C during a failover) used to race a
//! time-scaled clock: the interruption had to land inside a window of a few seconds, and a
//! loaded machine loses such races. With a hold the window is as long as the test wants: arm
//! the point, wait until `GET /_sim/holds` says it is reached, interrupt, release.
//!
//! Points (see [`validate_point`]):
//! - `dra.deploy.step<N>` (N = 1..5): a DR deployment stays at primary step `N/5` (for 5:
//!   it does not become `Active`);
//! - `dra.standby.step<N>` (N = 1..4): the same for the HA standby's steps;
//! - `ksys.move.<workgroup>`: a planned or unplanned move of the workgroup (alone or in a
//!   site move) stops right after KSYS printed `move has started for Workgroup <workgroup>`;
//! - `ksys.dr_test.<workgroup>`: the same for a DR test's `dr_test move has started`.
//!
//! A hold stops every operation that reaches its point while it is armed. Released, each one
//! goes on as if its clock had stopped at the point: everything after it is pushed back by
//! the time it was held. Holds live in memory only: a restart from `--state` and
//! `POST /_sim/reset` drop them (the operations then go on at once).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::util;

/// One operation stopped at a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Stopped {
    /// What is held: a DR instance GUID or a KSYS operation id.
    pub subject: String,
    /// When, on the operation's own timeline, it reached the point (epoch ms).
    pub at_ms: u64,
    /// What a person reading `GET /_sim/holds` needs to know.
    pub what: String,
}

/// An armed hold and what it stopped so far.
#[derive(Debug, Clone, PartialEq)]
struct Armed {
    armed_at_ms: u64,
    stopped: Vec<Stopped>,
}

/// The holds of one emulator (part of the World, never persisted).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Holds {
    armed: BTreeMap<String, Armed>,
    /// Released operations that have not resumed yet: subject -> (point reached at, release).
    resume: BTreeMap<String, (u64, u64)>,
}

/// Why a hold point name is refused.
pub fn validate_point(point: &str) -> Result<(), String> {
    let allowed = "dra.deploy.step<1-5>, dra.standby.step<1-4>, ksys.move.<workgroup> or \
                   ksys.dr_test.<workgroup>";
    let step = |text: &str, max: u64| {
        text.strip_prefix("step")
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| (1..=max).contains(&n))
    };
    let ok = match point.split_once('.') {
        Some(("dra", rest)) => match rest.split_once('.') {
            Some(("deploy", s)) => step(s, 5),
            Some(("standby", s)) => step(s, 4),
            _ => false,
        },
        Some(("ksys", rest)) => match rest.split_once('.') {
            Some(("move" | "dr_test", workgroup)) => !workgroup.is_empty(),
            _ => false,
        },
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("unknown hold point {point:?}; use {allowed}"))
    }
}

impl Holds {
    /// Arms `point`; true when it was not armed already (arming twice changes nothing).
    pub fn arm(&mut self, point: &str, now_ms: u64) -> bool {
        if self.armed.contains_key(point) {
            return false;
        }
        self.armed.insert(
            point.to_owned(),
            Armed {
                armed_at_ms: now_ms,
                stopped: Vec::new(),
            },
        );
        true
    }

    /// Asked by an operation that is at `point`: true when it must stop there. The first
    /// time, records it as reached at `at_ms` with the description `what`.
    pub fn stops(
        &mut self,
        point: &str,
        subject: &str,
        at_ms: u64,
        what: impl FnOnce() -> String,
    ) -> bool {
        let Some(armed) = self.armed.get_mut(point) else {
            return false;
        };
        if !armed.stopped.iter().any(|s| s.subject == subject) {
            armed.stopped.push(Stopped {
                subject: subject.to_owned(),
                at_ms,
                what: what(),
            });
        }
        true
    }

    /// Releases `point`; the operations it stopped resume at `now_ms`. False when it was not
    /// armed.
    pub fn release(&mut self, point: &str, now_ms: u64) -> bool {
        let Some(armed) = self.armed.remove(point) else {
            return false;
        };
        for stopped in armed.stopped {
            self.resume.insert(stopped.subject, (stopped.at_ms, now_ms));
        }
        true
    }

    /// Releases every hold.
    pub fn release_all(&mut self, now_ms: u64) {
        let points: Vec<String> = self.armed.keys().cloned().collect();
        for point in points {
            self.release(&point, now_ms);
        }
    }

    /// For a released operation: when it reached its point and when it was released, once.
    pub fn take_resume(&mut self, subject: &str) -> Option<(u64, u64)> {
        self.resume.remove(subject)
    }

    /// Whether any armed hold has stopped `subject`.
    pub fn holds_subject(&self, subject: &str) -> bool {
        self.armed
            .values()
            .any(|a| a.stopped.iter().any(|s| s.subject == subject))
    }

    /// `{"holds": [{"point", "armed_at", "reached", "stopped": [{subject, reached_at, what}]}]}`.
    pub fn view(&self) -> Value {
        let holds: Vec<Value> = self
            .armed
            .iter()
            .map(|(point, armed)| self.view_one(point, armed))
            .collect();
        json!({ "holds": holds })
    }

    /// One hold as [`Holds::view`] shows it, or `None` when `point` is not armed.
    pub fn view_point(&self, point: &str) -> Option<Value> {
        self.armed.get(point).map(|a| self.view_one(point, a))
    }

    fn view_one(&self, point: &str, armed: &Armed) -> Value {
        let stopped: Vec<Value> = armed
            .stopped
            .iter()
            .map(|s| {
                json!({
                    "subject": s.subject,
                    "reached_at": util::rfc3339(s.at_ms),
                    "what": s.what,
                })
            })
            .collect();
        json!({
            "point": point,
            "armed_at": util::rfc3339(armed.armed_at_ms),
            "reached": !stopped.is_empty(),
            "stopped": stopped,
        })
    }
}

/// Pushes back every deadline after `reached_ms` by the time the operation was held.
pub fn shift_after(deadlines: &mut [u64], reached_ms: u64, released_ms: u64) {
    let held = released_ms.saturating_sub(reached_ms);
    for d in deadlines.iter_mut().filter(|d| **d > reached_ms) {
        *d = d.saturating_add(held);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_names_are_checked() {
        for ok in [
            "dra.deploy.step1",
            "dra.deploy.step5",
            "dra.standby.step4",
            "ksys.move.erp",
            "ksys.dr_test.rhel-web-01_WG",
        ] {
            assert_eq!(validate_point(ok), Ok(()), "{ok}");
        }
        for bad in [
            "dra.deploy.step6",
            "dra.standby.step5",
            "dra.deploy.step0",
            "dra.deploy",
            "ksys.move.",
            "ksys.cleanup.erp",
            "power.build",
        ] {
            let e = validate_point(bad).unwrap_err();
            assert!(
                e.contains(bad) && e.contains("ksys.move.<workgroup>"),
                "{e}"
            );
        }
    }

    #[test]
    fn a_hold_stops_reports_and_resumes_once() {
        let mut holds = Holds::default();
        assert!(!holds.stops("ksys.move.erp", "op-1", 10, || "x".into()));
        assert!(holds.arm("ksys.move.erp", 5));
        assert!(
            !holds.arm("ksys.move.erp", 6),
            "arming twice changes nothing"
        );
        assert!(holds.stops("ksys.move.erp", "op-1", 10, || "move of erp".into()));
        assert!(holds.stops("ksys.move.erp", "op-1", 99, || "again".into()));
        assert!(holds.holds_subject("op-1"));
        let view = holds.view_point("ksys.move.erp").unwrap();
        assert_eq!(view["reached"], true);
        assert_eq!(view["stopped"][0]["what"], "move of erp");
        assert_eq!(view["stopped"].as_array().unwrap().len(), 1);
        assert_eq!(holds.take_resume("op-1"), None, "still held");

        assert!(holds.release("ksys.move.erp", 70));
        assert!(!holds.release("ksys.move.erp", 71));
        assert!(!holds.holds_subject("op-1"));
        assert_eq!(holds.take_resume("op-1"), Some((10, 70)));
        assert_eq!(holds.take_resume("op-1"), None);
        assert_eq!(holds.view(), json!({"holds": []}));
    }

    #[test]
    fn released_time_is_added_after_the_point_only() {
        let mut deadlines = [5, 10, 11, 40];
        shift_after(&mut deadlines, 10, 70);
        assert_eq!(deadlines, [5, 10, 71, 100]);
    }
}
