//! `dr_failover`, `dr_failback` and `dr_test`: KSYS site moves as Terraform actions.
//!
//! KSYS moves workgroups between their home site and the site of their backup workspace:
//! `move site from=<a> to=<b>` moves every workgroup active at `a`, `move workgroup <wg>
//! to=<site>` one of them; `dr_type=planned|unplanned` picks how the source is shut down, and
//! `dr_test=yes` makes the move a rehearsal (clones at the backup site while production keeps
//! running), ended by `cleanup ... dr_test=yes`. Failback is the same move back home.
//!
//! Plan: everything that would make KSYS refuse is checked first, with the reason and what to
//! do: the orchestrator must be active and reachable, the named VMs and workgroups must exist,
//! every workgroup must be discovered (`READY_TO_MOVE`) and on the side the move starts from.
//! A failover needs a backup site (a discovered workgroup has one), not the HA standby.
//!
//! Invoke: the same checks again, then one `ksysmgr` command per step, each of its output lines
//! becoming a progress line. KSYS documents no cancel, so Ctrl-C (or the action's `timeout`)
//! never interrupts a command: the action stops waiting, sends no further command, and reports
//! which command is still running at the orchestrator and the last line it printed. The SSH
//! channel is left open until the command ends, since closing it could hang up a move half-way.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tf_framework::action::{Action, Progress};
use tf_framework::context::Context;
use tf_framework::diag::{AttributePath, Diagnostics};
use tf_framework::path;
use tf_framework::schema::{Attribute, Schema};
use tf_framework::timeouts::parse_duration;
use tf_framework::typed::ConfigView;
use tf_framework::validators::{custom, each, one_of, size_between, string_length_between};
use tf_framework::value::{Attr, Type, Value};
use tokio::time::Instant;

use super::report;
use super::selection::{self, Selection};
use crate::cloud::ksys::command::{Class, KsysCommand, Verb};
use crate::cloud::ksys::parse::{Site, Workgroup};
use crate::cloud::ksys::{KsysClient, Orchestrator};
use crate::cloud::{Clients, CloudError};
use crate::support::coalesce::Freshness;
use crate::support::orchestrator_access::{self, Inventory, ksys, ksys_for_plan, shared_to_owned};

/// How long an invocation waits for the operation by default (`timeout` argument).
const DEFAULT_TIMEOUT: &str = "2h";

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// Move the workgroups to their backup site.
    Failover,
    /// Bring them back to their home site.
    Failback,
    /// Rehearse a failover on clones at the backup site, then clean up.
    Test,
}

/// One of the three DR operations as a Terraform action.
#[derive(Debug, Clone, Copy)]
pub struct DrOperation {
    kind: OperationKind,
}

/// The action's configuration.
#[derive(Debug, Clone, Deserialize)]
pub struct OperationConfig {
    pub orchestrator_id: String,
    #[serde(default)]
    pub vm_ids: Option<Vec<String>>,
    #[serde(default)]
    pub workgroups: Option<Vec<String>>,
    #[serde(default)]
    pub timeout: Option<String>,
    /// Failover/failback: `planned` (default) or `unplanned`.
    #[serde(default)]
    pub dr_type: Option<String>,
    /// Failover/failback: KSYS's `force=true` (the source site cannot be reached).
    #[serde(default)]
    pub force: Option<bool>,
    /// DR test: clean the rehearsal up at the end (default true).
    #[serde(default)]
    pub cleanup: Option<bool>,
}

/// One `ksysmgr` command of an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub command: KsysCommand,
    /// Marks the end of the rehearsal moves of a DR test: the rehearsal VMs are reported here.
    pub after_rehearsal: bool,
}

/// Where a workgroup moves from and to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Route {
    workgroup: String,
    from: String,
    to: String,
}

impl DrOperation {
    pub fn new(kind: OperationKind) -> Self {
        Self { kind }
    }

    fn name(&self) -> &'static str {
        match self.kind {
            OperationKind::Failover => "dr_failover",
            OperationKind::Failback => "dr_failback",
            OperationKind::Test => "dr_test",
        }
    }

    fn noun(&self) -> &'static str {
        match self.kind {
            OperationKind::Failover => "failover",
            OperationKind::Failback => "failback",
            OperationKind::Test => "DR test",
        }
    }

    fn error(&self, verb: &str, err: &CloudError) -> Diagnostics {
        Diagnostics::from_error(format!("Error {verb} {}", self.name()), err.to_string())
    }

    /// The checks shared by plan and invoke, and what they found.
    async fn preflight(
        &self,
        clients: &Clients,
        id: &str,
        config: &Wanted<'_>,
        verb: &str,
    ) -> Result<(Inventory, Vec<Site>, Selection, Vec<Route>), Diagnostics> {
        let at = || path!("orchestrator_id");
        let status = match clients.dr_automation.get_last_operation(id).await {
            Ok(s) => s,
            Err(e) if e.is_not_found() => {
                return Err(Diagnostics::from_error_at(
                    at(),
                    "DR orchestrator not found",
                    format!(
                        "There is no DR orchestrator with id {id:?}. Use the id of a dr_orchestrator (the DR \
                         Automation service instance GUID)."
                    ),
                ));
            }
            Err(e) => return Err(self.error(verb, &e)),
        };
        let overall = status
            .status
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if overall != "active" {
            return Err(Diagnostics::from_error_at(
                at(),
                "DR orchestrator not active",
                format!(
                    "The orchestrator {id} is not active (status {:?}); a {} needs an active orchestrator. \
                     Wait until its deployment has finished (the dr_orchestrator resource waits for it).",
                    status.status.as_deref().unwrap_or("unknown"),
                    self.noun()
                ),
            ));
        }
        let ksys = ksys(clients).map_err(|e| self.error(verb, &e))?;
        let o = orchestrator_access::locate(clients, id)
            .await
            .map_err(|e| self.error(verb, &shared_to_owned(&e)))?;
        let (inventory, sites) = tokio::try_join!(
            orchestrator_access::inventory(clients, id, Freshness::After(Instant::now())),
            async {
                ksys.sites(&o)
                    .await
                    .map_err(|e| Arc::new(CloudError::from(e)))
            },
        )
        .map_err(|e| self.error(verb, &shared_to_owned(&e)))?;
        let selection = selection::select(&inventory, config.vm_ids, config.workgroups).map_err(
            |problems| {
                let mut diags = Diagnostics::new();
                for p in problems {
                    let at = if p.attribute == "orchestrator_id" {
                        path!("orchestrator_id")
                    } else {
                        AttributePath::root(p.attribute).index(i64::try_from(p.index).unwrap_or(0))
                    };
                    diags.error_at(at, "Selection names nothing to move", p.message);
                }
                diags
            },
        )?;
        let routes = self.routes(&inventory, &sites, &selection, config.cleanup)?;
        Ok((inventory.as_ref().clone(), sites, selection, routes))
    }

    /// Where each selected workgroup goes, refusing what KSYS would refuse.
    fn routes(
        &self,
        inventory: &Inventory,
        sites: &[Site],
        selection: &Selection,
        cleanup: bool,
    ) -> Result<Vec<Route>, Diagnostics> {
        let site_of = |workspace: &Option<String>| {
            workspace.as_deref().and_then(|ws| {
                sites
                    .iter()
                    .find(|s| s.workspaces.iter().any(|w| w == ws))
                    .map(|s| s.name.clone())
            })
        };
        let mut diags = Diagnostics::new();
        let mut routes = Vec::new();
        for name in &selection.workgroups {
            let Some(wg) = inventory.workgroup(name) else {
                continue;
            };
            let home = wg.home_site.clone().or_else(|| site_of(&wg.home_workspace));
            let backup = site_of(&wg.backup_workspace);
            let (Some(home), Some(backup)) = (home, backup) else {
                diags.error_at(
                    path!("orchestrator_id"),
                    format!("Workgroup {name} has no backup site"),
                    format!(
                        "KSYS shows no site for workgroup {name}'s home workspace {:?} or backup workspace \
                         {:?}. A {} moves workgroups between their home site and the site of their backup \
                         workspace; run discovery first (dr_managed_vm does) and check `ksysmgr query site`.",
                        wg.home_workspace.as_deref().unwrap_or("unknown"),
                        wg.backup_workspace.as_deref().unwrap_or("unknown"),
                        self.noun()
                    ),
                );
                continue;
            };
            if let Some(problem) = self.refusal(wg, cleanup) {
                // With nothing named, a workgroup already where the move would take it is simply
                // not part of it (after a partial failover, "fail over everything" moves the rest).
                if selection.everything && self.already_there(wg) {
                    continue;
                }
                diags.error_at(
                    path!("orchestrator_id"),
                    format!("Cannot run {} now", self.name()),
                    problem,
                );
                continue;
            }
            let (from, to) = match self.kind {
                OperationKind::Failback => (backup, home),
                _ => (home, backup),
            };
            routes.push(Route {
                workgroup: name.clone(),
                from,
                to,
            });
        }
        if diags.has_errors() {
            return Err(diags);
        }
        if routes.is_empty() {
            let why = match self.kind {
                OperationKind::Failover | OperationKind::Test => {
                    "every workgroup already runs at its backup site; run dr_failback to bring them home first"
                }
                OperationKind::Failback => {
                    "every workgroup runs at its home site; there is nothing to fail back. Fail over first"
                }
            };
            return Err(Diagnostics::from_error_at(
                path!("orchestrator_id"),
                format!("Cannot run {} now", self.name()),
                format!("Nothing to move: {why}."),
            ));
        }
        Ok(routes)
    }

    /// The workgroup already is where this operation would take it.
    fn already_there(&self, wg: &Workgroup) -> bool {
        wg.is_ready()
            && match self.kind {
                OperationKind::Failover | OperationKind::Test => !wg.is_home(),
                OperationKind::Failback => wg.is_home(),
            }
    }

    /// Why KSYS would refuse to move `wg` now, with what to do.
    fn refusal(&self, wg: &Workgroup, cleanup: bool) -> Option<String> {
        let name = &wg.name;
        let state = wg.state.as_deref().unwrap_or("unknown");
        if self.kind == OperationKind::Test && wg.in_dr_test() {
            return (!cleanup).then(|| {
                format!(
                    "Workgroup {name} is already in a DR test (DR test state {}). Run dr_test with cleanup = \
                     true to clean it up.",
                    wg.dr_test_state.as_deref().unwrap_or("unknown")
                )
            });
        }
        // A failed move is retried by moving again (not by a DR test).
        let retry = wg.move_failed() && self.kind != OperationKind::Test;
        if !wg.is_ready() && !retry {
            return Some(format!(
                "Workgroup {name} is in state {state}, and KSYS moves only READY_TO_MOVE workgroups (discovered, \
                 no other operation running). Wait for the running operation, or run discovery."
            ));
        }
        match self.kind {
            OperationKind::Failover | OperationKind::Test if !wg.is_home() => Some(format!(
                "Workgroup {name} already runs at its backup site ({}). Run dr_failback to bring it home first.",
                wg.active_site.as_deref().unwrap_or("unknown")
            )),
            OperationKind::Failback if wg.is_home() => Some(format!(
                "Workgroup {name} runs at its home site ({}); there is nothing to fail back. Fail over first.",
                wg.active_site.as_deref().unwrap_or("unknown")
            )),
            _ => None,
        }
    }

    /// The commands of an invocation, in order.
    fn steps(
        &self,
        inventory: &Inventory,
        selection: &Selection,
        routes: &[Route],
        config: &Wanted<'_>,
    ) -> Vec<Step> {
        let step = |command| Step {
            command,
            after_rehearsal: false,
        };
        let with_type = |command: KsysCommand| {
            let mut command = command.attr("dr_type", config.dr_type);
            if config.force {
                command = command.attr("force", "true");
            }
            command
        };
        let one_site_pair = routes.first().filter(|first| {
            routes
                .iter()
                .all(|r| r.from == first.from && r.to == first.to)
        });
        let whole_site = selection.everything && one_site_pair.is_some();
        match self.kind {
            OperationKind::Failover | OperationKind::Failback => {
                match (whole_site, one_site_pair) {
                    (true, Some(r)) => vec![step(with_type(
                        KsysCommand::new(Verb::Move, Class::Site)
                            .attr("from", r.from.clone())
                            .attr("to", r.to.clone()),
                    ))],
                    _ => routes
                        .iter()
                        .map(|r| {
                            step(with_type(
                                KsysCommand::new(Verb::Move, Class::Workgroup)
                                    .name(r.workgroup.clone())
                                    .attr("to", r.to.clone()),
                            ))
                        })
                        .collect(),
                }
            }
            OperationKind::Test => {
                let in_test = |r: &&Route| {
                    inventory
                        .workgroup(&r.workgroup)
                        .is_some_and(Workgroup::in_dr_test)
                };
                let to_move: Vec<&Route> = routes.iter().filter(|r| !in_test(r)).collect();
                let mut steps: Vec<Step> =
                    match (whole_site && to_move.len() == routes.len(), one_site_pair) {
                        (true, Some(r)) => vec![step(
                            KsysCommand::new(Verb::Move, Class::Site)
                                .attr("from", r.from.clone())
                                .attr("to", r.to.clone())
                                .attr("dr_test", "yes"),
                        )],
                        _ => to_move
                            .iter()
                            .map(|r| {
                                step(
                                    KsysCommand::new(Verb::Move, Class::Workgroup)
                                        .name(r.workgroup.clone())
                                        .attr("to", r.to.clone())
                                        .attr("dr_test", "yes"),
                                )
                            })
                            .collect(),
                    };
                if let Some(last) = steps.last_mut() {
                    last.after_rehearsal = true;
                }
                if config.cleanup {
                    match (whole_site, one_site_pair) {
                        (true, Some(r)) => steps.push(step(
                            KsysCommand::new(Verb::Cleanup, Class::Site)
                                .name(r.to.clone())
                                .attr("dr_test", "yes"),
                        )),
                        _ => steps.extend(routes.iter().map(|r| {
                            step(
                                KsysCommand::new(Verb::Cleanup, Class::Workgroup)
                                    .name(r.workgroup.clone())
                                    .attr("dr_test", "yes"),
                            )
                        })),
                    }
                }
                steps
            }
        }
    }

    /// Runs one command, streaming its lines; stops waiting (without interrupting it) on
    /// Ctrl-C or when the action's time is up.
    async fn run_step(
        &self,
        ctx: &Context,
        ksys: &KsysClient,
        o: &Orchestrator,
        step: &Step,
        deadline: Instant,
        progress: &Progress,
    ) -> Result<(), Diagnostics> {
        let last_line = Arc::new(Mutex::new(String::new()));
        let seen = last_line.clone();
        let reporter = progress.clone();
        let on_line = move |line: &str| {
            let line = line.trim();
            if !line.is_empty() {
                reporter.report(line.to_string());
                *seen.lock().unwrap_or_else(PoisonError::into_inner) = line.to_string();
            }
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        progress.report(format!("running {}", step.command));
        let still_running = |why: &str| {
            let last = last_line
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            Diagnostics::from_error(
                format!("{} {why}", self.name()),
                format!(
                    "`{}` is still running at orchestrator {} (KSYS has no cancel, so the provider does not \
                     interrupt it and sends no further command). Its last line was: {}. Check where the \
                     workgroups stand with `ksysmgr query workgroup` before running another operation.",
                    step.command,
                    o.instance_id,
                    if last.is_empty() {
                        "(none yet)".to_string()
                    } else {
                        format!("{last:?}")
                    }
                ),
            )
        };
        tokio::select! {
            biased;
            () = ctx.cancelled() => Err(still_running("stopped waiting (Terraform was interrupted)")),
            result = ksys.run(o, &step.command, Some(remaining + Duration::from_secs(60)), Some(&on_line)) => {
                result.map(drop).map_err(|e| {
                    if e.outcome_unknown() {
                        still_running("lost track of the command")
                    } else {
                        self.error("running", &e.into())
                    }
                })
            }
            () = tokio::time::sleep(remaining) => Err(still_running("timed out")),
        }
    }
}

/// The configuration as the checks need it.
struct Wanted<'a> {
    vm_ids: Option<&'a [String]>,
    workgroups: Option<&'a [String]>,
    dr_type: &'a str,
    force: bool,
    cleanup: bool,
}

fn known<T: serde::de::DeserializeOwned>(
    config: &ConfigView<'_>,
    at: &AttributePath,
) -> Result<Option<Option<T>>, Diagnostics> {
    Ok(match config.get::<T>(at)? {
        Attr::Known(v) => Some(Some(v)),
        Attr::Null => Some(None),
        Attr::Unknown => None,
    })
}

fn duration_validator() -> impl tf_framework::validators::Validator {
    custom("a duration such as 90m or 2h", |at, value, diags| {
        if let Value::String(text) = value {
            match parse_duration(text) {
                Ok(d) if d >= Duration::from_secs(1) => {}
                Ok(_) => diags.error_at(
                    at.clone(),
                    "Invalid timeout",
                    format!("{text:?} is too short; give at least 1s."),
                ),
                Err(e) => diags.error_at(
                    at.clone(),
                    "Invalid timeout",
                    format!("{e}: write a duration such as \"90m\" or \"2h\"."),
                ),
            }
        }
    })
}

#[async_trait]
impl Action for DrOperation {
    type Config = OperationConfig;

    fn type_name(&self) -> &str {
        self.name()
    }

    fn schema(&self) -> Schema {
        let description = match self.kind {
            OperationKind::Failover => {
                "Fails the protected workgroups over to their backup site with KSYS (`ksysmgr move site`, or \
                 `move workgroup` for a subset): the active VMs are shut down and their backup VMs booted, \
                 highest priority first; the CLI shows every line KSYS prints. Needs the provider's \
                 `orchestrator_ssh` and discovered workgroups. KSYS has no cancel: Ctrl-C stops waiting and \
                 reports where the move stands, never interrupting a command."
            }
            OperationKind::Failback => {
                "Brings failed-over workgroups back to their home site (`ksysmgr move` to the home site), \
                 highest priority first. Needs the provider's `orchestrator_ssh`. Ctrl-C stops waiting and \
                 reports where the move stands."
            }
            OperationKind::Test => {
                "Runs a non-disruptive DR test with KSYS: a rehearsal move (`ksysmgr move ... dr_test=yes`) \
                 boots clones of the protected VMs at the backup site while production keeps running; the CLI \
                 shows each step and the rehearsal VMs, then `ksysmgr cleanup ... dr_test=yes` removes them \
                 (unless `cleanup = false`). Needs the provider's `orchestrator_ssh`. Ctrl-C stops waiting and \
                 reports where the test stands."
            }
        };
        let list = |name: &str, what: &str| {
            Attribute::list(name, Type::String)
                .optional()
                .validator(size_between(1, 1000))
                .validator(each(string_length_between(1, 256)))
                .description(what)
        };
        let mut schema = Schema::new()
            .description(description)
            .attribute(
                Attribute::string("orchestrator_id")
                    .required()
                    .validator(string_length_between(1, 256))
                    .description("`id` of the `dr_orchestrator` whose KSYS runs the operation."),
            )
            .attribute(list(
                "vm_ids",
                "PowerVS instance ids of managed VMs whose workgroups to move. Default: every workgroup. KSYS \
                 moves whole workgroups, so a VM's workgroup always comes with it.",
            ))
            .attribute(list(
                "workgroups",
                "KSYS workgroups to move (combined with `vm_ids`).",
            ))
            .attribute(
                Attribute::string("timeout")
                    .optional()
                    .validator(duration_validator())
                    .description(format!(
                        "How long to wait, e.g. `90m`. Default `{DEFAULT_TIMEOUT}`. When it runs out the command \
                         goes on at the orchestrator and the action reports where it stands."
                    )),
            );
        schema = match self.kind {
            OperationKind::Failover | OperationKind::Failback => schema
                .attribute(
                    Attribute::string("dr_type")
                        .optional()
                        .validator(one_of(["planned", "unplanned"]))
                        .description(
                            "`planned` (default): the active VMs are shut down cleanly first; `unplanned`: for a \
                             damaged site, KSYS tries to shut them down and recovers on the other site anyway.",
                        ),
                )
                .attribute(Attribute::bool("force").optional().description(
                    "KSYS's `force=true`: move even when the source site cannot be reached. Default false.",
                )),
            OperationKind::Test => schema.attribute(Attribute::bool("cleanup").optional().description(
                "Clean the rehearsal up at the end (`ksysmgr cleanup ... dr_test=yes`). Default true; with \
                 false the rehearsal VMs keep running, and a later dr_test cleans them up.",
            )),
        };
        schema
    }

    async fn validate(&self, _ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        let mut diags = Diagnostics::new();
        for attribute in ["vm_ids", "workgroups"] {
            if let Ok(Attr::Known(items)) =
                config.get::<Vec<String>>(&AttributePath::root(attribute))
            {
                for (i, item) in items.iter().enumerate() {
                    let at = AttributePath::root(attribute).index(i64::try_from(i).unwrap_or(0));
                    if items[..i].contains(item) {
                        diags.error_at(
                            at,
                            "Duplicate entry",
                            format!("{item:?} is listed more than once in {attribute}."),
                        );
                    } else if crate::cloud::ksys::command::check_word(item).is_err() {
                        diags.error_at(
                            at,
                            "Invalid name",
                            format!(
                                "{item:?} cannot be a KSYS name: only letters, digits and _ - . are allowed (no \
                                 spaces)."
                            ),
                        );
                    }
                }
            }
        }
        diags
    }

    async fn plan(&self, ctx: &Context, config: &ConfigView<'_>) -> Diagnostics {
        let id = match config.get::<String>(&path!("orchestrator_id")) {
            Ok(Attr::Known(id)) => id,
            // Not known yet (created in this run): checked when the action runs.
            Ok(_) => return Diagnostics::new(),
            Err(d) => return d,
        };
        let clients = match orchestrator_access_clients(ctx) {
            Ok(c) => c,
            Err(d) => return d,
        };
        match ksys_for_plan(&clients, &format!("The {} action", self.name())) {
            Ok(Some(_)) => {}
            Ok(None) => return Diagnostics::new(),
            Err(d) => return d,
        }
        let lists = (
            known::<Vec<String>>(config, &path!("vm_ids")),
            known::<Vec<String>>(config, &path!("workgroups")),
            if self.kind == OperationKind::Test {
                known::<bool>(config, &path!("cleanup"))
            } else {
                Ok(Some(None))
            },
        );
        let (vm_ids, workgroups, cleanup) = match lists {
            (Ok(Some(v)), Ok(Some(w)), Ok(c)) => (v, w, c.flatten().unwrap_or(true)),
            (Err(d), _, _) | (_, Err(d), _) | (_, _, Err(d)) => return d,
            _ => return Diagnostics::new(),
        };
        let wanted = Wanted {
            vm_ids: vm_ids.as_deref(),
            workgroups: workgroups.as_deref(),
            dr_type: "planned",
            force: false,
            cleanup,
        };
        match self.preflight(&clients, &id, &wanted, "planning").await {
            Ok((_, _, selection, _)) => {
                let mut diags = Diagnostics::new();
                for (vm, group) in selection.added_for_workgroups {
                    diags.warning_at(
                        path!("vm_ids"),
                        "Whole workgroup included",
                        format!("{vm} moves too: KSYS moves workgroup {group:?} as a whole."),
                    );
                }
                diags
            }
            Err(d) => d,
        }
    }

    async fn invoke(
        &self,
        ctx: &Context,
        config: OperationConfig,
        progress: &Progress,
    ) -> Result<(), Diagnostics> {
        let timeout = parse_duration(config.timeout.as_deref().unwrap_or(DEFAULT_TIMEOUT))
            .map_err(|e| Diagnostics::from_error_at(path!("timeout"), "Invalid timeout", e))?;
        let deadline = Instant::now() + timeout;
        let clients = orchestrator_access_clients(ctx)?;
        let id = config.orchestrator_id.as_str();
        let wanted = Wanted {
            vm_ids: config.vm_ids.as_deref(),
            workgroups: config.workgroups.as_deref(),
            dr_type: config.dr_type.as_deref().unwrap_or("planned"),
            force: config.force.unwrap_or(false),
            cleanup: config.cleanup.unwrap_or(true),
        };
        let (inventory, _sites, selection, routes) =
            self.preflight(&clients, id, &wanted, "running").await?;
        let ksys = ksys(&clients).map_err(|e| self.error("running", &e))?;
        let o = orchestrator_access::locate(&clients, id)
            .await
            .map_err(|e| self.error("running", &shared_to_owned(&e)))?;
        let steps = self.steps(&inventory, &selection, &routes, &wanted);
        progress.report(format!(
            "{} of {} workgroup(s) ({} VM(s)) on orchestrator {id}: {}",
            self.noun(),
            selection.workgroups.len(),
            selection.vm_count,
            routes
                .iter()
                .map(|r| format!("{} {} -> {}", r.workgroup, r.from, r.to))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for (vm, group) in &selection.added_for_workgroups {
            progress.report(format!(
                "including {vm}: KSYS moves workgroup {group} as a whole"
            ));
        }
        for step in &steps {
            if ctx.is_cancelled() {
                return Err(Diagnostics::from_error(
                    format!("{} stopped", self.name()),
                    format!(
                        "Terraform was interrupted before `{}`; it was not sent. Earlier commands completed.",
                        step.command
                    ),
                ));
            }
            self.run_step(ctx, ksys, &o, step, deadline, progress)
                .await?;
            if step.after_rehearsal {
                let now =
                    orchestrator_access::inventory(&clients, id, Freshness::After(Instant::now()))
                        .await
                        .map_err(|e| self.error("reading", &shared_to_owned(&e)))?;
                for line in report::rehearsals(&now, &selection.workgroups) {
                    progress.report(line);
                }
            }
        }
        let after = orchestrator_access::inventory(&clients, id, Freshness::After(Instant::now()))
            .await
            .map_err(|e| self.error("reading", &shared_to_owned(&e)))?;
        for line in report::where_they_stand(&after, &selection.workgroups) {
            progress.report(line);
        }
        let wrong: Vec<String> = routes
            .iter()
            .filter(|r| {
                let wg = after.workgroup(&r.workgroup);
                match self.kind {
                    OperationKind::Test => false,
                    _ => wg.is_none_or(|wg| wg.active_site.as_deref() != Some(r.to.as_str())),
                }
            })
            .map(|r| r.workgroup.clone())
            .collect();
        if !wrong.is_empty() {
            return Err(Diagnostics::from_error(
                format!("{} incomplete", self.name()),
                format!(
                    "KSYS reported success, but workgroup(s) {} are not active at their target site: {}",
                    wrong.join(", "),
                    report::where_they_stand(&after, &wrong).join("; ")
                ),
            ));
        }
        progress.report(format!("{} done", self.noun()));
        Ok(())
    }
}

fn orchestrator_access_clients(ctx: &Context) -> Result<Clients, Diagnostics> {
    crate::support::clients(ctx)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::cloud::ksys::parse;
    use tf_framework::schema::assert_schema_valid;

    #[test]
    fn schemas_are_valid() {
        for kind in [
            OperationKind::Failover,
            OperationKind::Failback,
            OperationKind::Test,
        ] {
            let schema = Action::schema(&DrOperation::new(kind));
            assert_schema_valid(&schema);
            assert!(schema.block.find_attribute("orchestrator_id").is_some());
        }
        assert_eq!(
            Action::type_name(&DrOperation::new(OperationKind::Failback)),
            "dr_failback"
        );
    }

    fn fleet(active: &str) -> (Inventory, Vec<Site>) {
        let wg = |name: &str, vm: &str, priority: &str| {
            format!(
                "Name:                {name}\nVMs:                 {vm}\nState:               READY_TO_MOVE\nDr Test State:       INIT\nPriority:            {priority}\nHomeWorkSpace:       ws-dal10\nBackupWorkSpace:     ws-wdc07\nActiveWorkspace:     ws-dal10\nHome Site:           us-south\nActive Site:         {active}\n\n"
            )
        };
        let vm = |name: &str, uuid: &str| {
            format!(
                "Name:                {name}\nUUID:                {uuid}\nState:               READY_TO_MOVE\n\n"
            )
        };
        let inventory = Inventory {
            vms: parse::vms(&[vm("app", "a"), vm("db", "b")].concat()),
            workgroups: parse::workgroups(
                &[wg("app_WG", "app", "Low"), wg("db_WG", "db", "High")].concat(),
            ),
        };
        let sites = parse::sites(
            "Name:                us-south\nRegion:              us-south\nWorkspaces:          ws-dal10\n\nName:                us-east\nRegion:              us-east\nWorkspaces:          ws-wdc07\n",
        );
        (inventory, sites)
    }

    fn wanted(cleanup: bool) -> Wanted<'static> {
        Wanted {
            vm_ids: None,
            workgroups: None,
            dr_type: "planned",
            force: false,
            cleanup,
        }
    }

    fn lines(steps: &[Step]) -> Vec<String> {
        steps.iter().map(|s| s.command.to_string()).collect()
    }

    #[test]
    fn everything_moves_as_one_site() {
        let (inventory, sites) = fleet("us-south");
        let op = DrOperation::new(OperationKind::Failover);
        let selection = selection::select(&inventory, None, None).unwrap();
        let routes = op.routes(&inventory, &sites, &selection, true).unwrap();
        assert_eq!(
            lines(&op.steps(&inventory, &selection, &routes, &wanted(true))),
            vec!["ksysmgr -f move site from=us-south to=us-east dr_type=planned"]
        );
        let test = DrOperation::new(OperationKind::Test);
        assert_eq!(
            lines(&test.steps(&inventory, &selection, &routes, &wanted(true))),
            vec![
                "ksysmgr -f move site from=us-south to=us-east dr_test=yes",
                "ksysmgr -f cleanup site us-east dr_test=yes",
            ]
        );
    }

    #[test]
    fn a_subset_moves_workgroup_by_workgroup_in_priority_order() {
        let (inventory, sites) = fleet("us-south");
        let op = DrOperation::new(OperationKind::Failover);
        let wgs = vec!["app_WG".to_string(), "db_WG".to_string()];
        let selection = selection::select(&inventory, None, Some(&wgs)).unwrap();
        let routes = op.routes(&inventory, &sites, &selection, true).unwrap();
        let mut w = wanted(true);
        w.dr_type = "unplanned";
        w.force = true;
        assert_eq!(
            lines(&op.steps(&inventory, &selection, &routes, &w)),
            vec![
                "ksysmgr -f move workgroup db_WG to=us-east dr_type=unplanned force=true",
                "ksysmgr -f move workgroup app_WG to=us-east dr_type=unplanned force=true",
            ]
        );
    }

    #[test]
    fn moves_in_the_wrong_direction_are_refused_with_advice() {
        let (inventory, sites) = fleet("us-east");
        let selection = selection::select(&inventory, None, None).unwrap();
        let err = DrOperation::new(OperationKind::Failover)
            .routes(&inventory, &sites, &selection, true)
            .unwrap_err();
        assert!(err.to_string().contains("run dr_failback"), "{err}");
        let named = vec!["app_WG".to_string()];
        let explicit = selection::select(&inventory, None, Some(&named)).unwrap();
        let err = DrOperation::new(OperationKind::Failover)
            .routes(&inventory, &sites, &explicit, true)
            .unwrap_err();
        assert!(
            err.to_string().contains("already runs at its backup site"),
            "{err}"
        );
        let back = DrOperation::new(OperationKind::Failback);
        let routes = back.routes(&inventory, &sites, &selection, true).unwrap();
        assert_eq!(
            lines(&back.steps(&inventory, &selection, &routes, &wanted(true))),
            vec!["ksysmgr -f move site from=us-east to=us-south dr_type=planned"]
        );
    }

    #[tokio::test]
    async fn offline_validation_refuses_duplicates_and_spaces() {
        let config = Value::Object(
            [
                ("orchestrator_id".to_string(), Value::String("o".into())),
                ("vm_ids".to_string(), Value::Null),
                (
                    "workgroups".to_string(),
                    Value::List(vec![
                        Value::String("a".into()),
                        Value::String("a".into()),
                        Value::String("b c".into()),
                    ]),
                ),
                ("timeout".to_string(), Value::Null),
                ("cleanup".to_string(), Value::Null),
            ]
            .into_iter()
            .collect(),
        );
        let action = DrOperation::new(OperationKind::Test);
        let diags = Action::validate(
            &action,
            &Context::for_tests(None),
            &ConfigView::new(&config),
        )
        .await;
        let text = diags.to_string();
        assert!(text.contains("listed more than once"), "{text}");
        assert!(text.contains("no spaces"), "{text}");
    }

    #[test]
    fn bad_timeouts_are_explained() {
        let mut diags = Diagnostics::new();
        tf_framework::validators::Validator::validate(
            &duration_validator(),
            &path!("timeout"),
            &Value::String("soon".into()),
            &mut diags,
        );
        let text = diags.to_string();
        assert!(text.contains("\"90m\""), "{text}");
    }
}
