//! Runs a parsed `ksysmgr` invocation: the table from ACTION and CLASS to the command that
//! serves it, the checks made before a prompt, and the first step of the operation a command
//! starts.

use super::host::{Ctx, Env, Output};
use super::ksysmgr::{
    Action as A, Class as C, Invocation, action_name, class_name, invalid_name_message,
};
use super::{manage, moves, progress, query, sites};
use crate::store::World;

/// The failure a prompting command would end with, found before the prompt is shown.
pub fn precheck(world: &World, ctx: &Ctx, inv: &Invocation, env: Env) -> Option<Output> {
    if inv.action == A::Move
        && let Err((code, message)) = moves::check(world, ctx, inv)
    {
        return Some(Output::error(env, code, message));
    }
    None
}

/// Runs a parsed command.
pub fn run(world: &mut World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    if let Some(word) = inv
        .args
        .iter()
        .chain(inv.attrs.iter().map(|(_, v)| v))
        .find(|w| w.contains(char::is_whitespace))
    {
        return Output::error(env, 4, invalid_name_message(word));
    }
    let out = match (inv.action, inv.class) {
        (A::Query, C::Vm) => query::query_vm(world, ctx, inv, env),
        (A::Query, C::Workgroup) => query::query_workgroup(world, ctx, inv, env),
        (A::Query, C::Site) => sites::query_site(world, ctx, inv, env),
        (A::Query, C::Workspace) => sites::query_workspace(world, ctx, inv, env),
        (A::Query, C::Ksyscluster) => query::query_cluster(world, ctx, inv, env),
        (A::Query, C::Version) => query::query_version(env),
        (A::Query, C::System) => query::query_system(inv, env),
        (A::Query, C::DiskGroup) => query::query_disk_group(world, ctx, inv, env),
        (A::Manage, C::Vm) => manage::manage_vm(world, ctx, inv, env),
        (A::Unmanage, C::Vm) => manage::unmanage_vm(world, ctx, inv, env),
        (A::Modify, C::Workgroup) => manage::modify_workgroup(world, ctx, inv, env),
        (A::Modify, C::Ksyscluster) => manage::modify_cluster(world, ctx, inv, env),
        (A::Discover, C::Workgroup) => manage::discover_workgroup(world, ctx, inv, env),
        (A::Discover, C::Site) => manage::discover_site(world, ctx, inv, env),
        (A::Move, C::Workgroup | C::Site) => moves::move_command(world, ctx, inv, env),
        (A::Cleanup, C::Workgroup) => moves::cleanup_workgroup(world, ctx, inv, env),
        (A::Cleanup, C::Site) => moves::cleanup_site(world, ctx, inv, env),
        (A::Add, C::Site) => sites::add_site(world, ctx, inv, env),
        (A::Delete, C::Site) => sites::delete_site(world, ctx, inv, env),
        (A::Pair, C::Workspace) => sites::pair_workspace(world, ctx, inv, env),
        (action, class) => Output::error(
            env,
            4,
            format!(
                "{} {} is not supported in this KSYS environment.",
                action_name(action),
                class_name(class)
            ),
        ),
    };
    // What an operation does at its start (releases, events) happens before anyone can look.
    if let Some((id, _)) = &out.operation {
        progress::advance_one(world, id, env.now_ms);
    }
    out
}
