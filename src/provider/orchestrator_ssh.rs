//! The `orchestrator_ssh` provider block: how the provider reaches the orchestrator LPARs.
//!
//! Like every provider argument, each value falls back to an environment variable
//! (`DR_ORCHESTRATOR_SSH_*`, `DR_JUMP_HOST_*`), so CI and IBM Schematics can hand secrets over
//! without writing them in configuration. The block is optional: without it and without the
//! variables there is no SSH access, and whatever needs the orchestrator says so at plan.
//! Checks that need no cloud run twice: as schema validators on the block (offline, under
//! `terraform validate`), and in [`resolve`] on the merged block + environment, because a
//! value from the environment reaches the provider only at configure.

use std::path::PathBuf;

use serde::Deserialize;
use tf_framework::diag::{AttributePath, Diagnostics};
use tf_framework::schema::{Attribute, Block, NestedBlock};
use tf_framework::validators::{Custom, custom, each, int_between, one_of};
use tf_framework::value::Type;

use super::error::SettingsError;
use crate::cloud::redact::debug_hiding_secrets;
use crate::cloud::ssh::settings::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_PORT, DEFAULT_USER, parse_address, parse_host_key,
    parse_private_key,
};
use crate::cloud::ssh::{JumpHostSettings, SshSettings, StrictHostKeyChecking};

pub const BLOCK: &str = "orchestrator_ssh";

pub const ENV_USER: &str = "DR_ORCHESTRATOR_SSH_USER";
pub const ENV_PRIVATE_KEY: &str = "DR_ORCHESTRATOR_SSH_PRIVATE_KEY";
pub const ENV_PASSWORD: &str = "DR_ORCHESTRATOR_SSH_PASSWORD";
pub const ENV_HOST_KEYS: &str = "DR_ORCHESTRATOR_SSH_HOST_KEYS";
pub const ENV_KNOWN_HOSTS_FILE: &str = "DR_ORCHESTRATOR_SSH_KNOWN_HOSTS_FILE";
pub const ENV_STRICT: &str = "DR_ORCHESTRATOR_SSH_STRICT_HOST_KEY_CHECKING";
pub const ENV_PORT: &str = "DR_ORCHESTRATOR_SSH_PORT";
pub const ENV_JUMP_ADDRESS: &str = "DR_JUMP_HOST_ADDRESS";
pub const ENV_JUMP_USER: &str = "DR_JUMP_HOST_USER";
pub const ENV_JUMP_PRIVATE_KEY: &str = "DR_JUMP_HOST_PRIVATE_KEY";
pub const ENV_JUMP_PASSWORD: &str = "DR_JUMP_HOST_PASSWORD";
pub const ENV_JUMP_HOST_KEYS: &str = "DR_JUMP_HOST_HOST_KEYS";

const ORCHESTRATOR_ENV: [&str; 7] = [
    ENV_USER,
    ENV_PRIVATE_KEY,
    ENV_PASSWORD,
    ENV_HOST_KEYS,
    ENV_KNOWN_HOSTS_FILE,
    ENV_STRICT,
    ENV_PORT,
];
const JUMP_ENV: [&str; 5] = [
    ENV_JUMP_ADDRESS,
    ENV_JUMP_USER,
    ENV_JUMP_PRIVATE_KEY,
    ENV_JUMP_PASSWORD,
    ENV_JUMP_HOST_KEYS,
];

/// The block as Terraform sends it; unknown values arrive as `None`.
#[derive(Default, Clone, Deserialize)]
pub struct OrchestratorSshConfig {
    pub user: Option<String>,
    pub private_key: Option<String>,
    pub password: Option<String>,
    pub host_keys: Option<Vec<Option<String>>>,
    pub known_hosts_file: Option<String>,
    pub strict_host_key_checking: Option<String>,
    pub port: Option<i64>,
    pub jump_host: Option<JumpHostConfig>,
}

/// The `jump_host` block.
#[derive(Default, Clone, Deserialize)]
pub struct JumpHostConfig {
    pub address: Option<String>,
    pub user: Option<String>,
    pub private_key: Option<String>,
    pub password: Option<String>,
    pub host_keys: Option<Vec<Option<String>>>,
}

debug_hiding_secrets!(OrchestratorSshConfig {
    user,
    private_key: secret,
    password: secret,
    host_keys,
    known_hosts_file,
    strict_host_key_checking,
    port,
    jump_host,
});

debug_hiding_secrets!(JumpHostConfig {
    address,
    user,
    private_key: secret,
    password: secret,
    host_keys,
});

/// Whether an error of [`parsed_by`] quotes the refused value (never for a secret).
#[derive(Clone, Copy)]
enum Quote {
    Value,
    Nothing,
}

/// A validator of a text that `parse` must accept; the error names the attribute, the value
/// (unless it is a secret) and `parse`'s reason.
fn parsed_by<T: 'static>(
    expected: &str,
    summary: &'static str,
    parse: fn(&str) -> Result<T, String>,
    quote: Quote,
) -> Custom {
    custom(expected, move |path, value, diags| {
        if let Some(text) = value.as_str()
            && let Err(reason) = parse(text)
        {
            let detail = match quote {
                Quote::Value => format!("{path} {text:?} {reason}"),
                Quote::Nothing => format!("{path} {reason}"),
            };
            diags.error_at(path.clone(), summary, detail);
        }
    })
}

fn private_key_attribute(env: &str, whose: &str) -> Attribute {
    Attribute::string("private_key")
        .optional()
        .sensitive()
        .validator(parsed_by(
            "an unencrypted OpenSSH or PEM private key (ed25519, ecdsa or rsa)",
            "Invalid private key",
            parse_private_key,
            Quote::Nothing,
        ))
        .description(format!(
            "Text of a private key (OpenSSH or PEM; ed25519, ecdsa or rsa; unencrypted), e.g. \
             `file(\"~/.ssh/id_ed25519\")` or an ephemeral variable. {whose} Tried before `password`. \
             Falls back to `{env}`."
        ))
}

fn host_keys_attribute(env: &str, whose: &str) -> Attribute {
    Attribute::list("host_keys", Type::String)
        .optional()
        .validator(each(parsed_by(
            "an OpenSSH public key line such as \"ssh-ed25519 AAAA... comment\"",
            "Invalid host key",
            parse_host_key,
            Quote::Value,
        )))
        .description(format!(
            "Pinned public host keys {whose}, one OpenSSH line each (`ssh-ed25519 AAAA... comment`, the content \
             of the host's `/etc/ssh/ssh_host_ed25519_key.pub`). The presented key must be one of them or be \
             trusted by `known_hosts_file`. Falls back to `{env}` (one key per line)."
        ))
}

/// The schema of the block.
pub fn block() -> NestedBlock {
    let jump = Block::new()
        .description(
            "A jump host (bastion) in front of the orchestrators' private subnets, such as the landing zone's \
             jump-server VSI (its `access_host_or_ip` output). The provider keeps one connection to it and \
             forwards a `direct-tcpip` channel to each orchestrator's port, as `ssh -J` does; both hops check \
             host keys.",
        )
        .attribute(
            Attribute::string("address")
                .optional()
                .validator(parsed_by(
                    "host or host:port",
                    "Invalid jump host address",
                    parse_address,
                    Quote::Value,
                ))
                .description(format!(
                    "`host` or `host:port` (port 22 when absent; `[IPv6]:port`). Required for a jump host. \
                     Falls back to `{ENV_JUMP_ADDRESS}`."
                )),
        )
        .attribute(Attribute::string("user").optional().description(format!(
            "Login on the jump host. Falls back to `{ENV_JUMP_USER}`; default `root`."
        )))
        .attribute(private_key_attribute(
            ENV_JUMP_PRIVATE_KEY,
            "When the jump host has neither key nor password, the orchestrators' `private_key` is offered to \
             it too, as `ssh -J` does.",
        ))
        .attribute(
            Attribute::string("password")
                .optional()
                .sensitive()
                .description(format!(
                    "Password on the jump host. Falls back to `{ENV_JUMP_PASSWORD}`."
                )),
        )
        .attribute(host_keys_attribute(ENV_JUMP_HOST_KEYS, "of the jump host"));

    let block = Block::new()
        .description(format!(
            "SSH access to the DR orchestrator LPARs (primary and standby), where KSYS's `ksysmgr` runs as root. \
             Managed VMs, failover, failback, DR tests and their schedules go through it; everything IBM's REST \
             APIs serve works without it. The provider connects itself (no `ssh` binary needed), with one \
             connection per orchestrator per run, to port `port` of the orchestrator's private IP. Every argument falls back to \
             an environment variable (`{ENV_USER}`, `{ENV_PRIVATE_KEY}`, `{ENV_PASSWORD}`, `{ENV_HOST_KEYS}`, \
             `{ENV_KNOWN_HOSTS_FILE}`, `{ENV_STRICT}`, `{ENV_PORT}`; `{ENV_JUMP_ADDRESS}`, `{ENV_JUMP_USER}`, \
             `{ENV_JUMP_PRIVATE_KEY}`, `{ENV_JUMP_PASSWORD}`, `{ENV_JUMP_HOST_KEYS}` for the jump host); setting \
             any of them configures access without the block. Secrets are never logged or stored in state."
        ))
        .attribute(Attribute::string("user").optional().description(format!(
            "Login on the orchestrators. Falls back to `{ENV_USER}`; default `root` (`ksysmgr` needs root)."
        )))
        .attribute(private_key_attribute(
            ENV_PRIVATE_KEY,
            "The orchestrators trust the PowerVS SSH key named by the DR deployment's `ssh_key_name`.",
        ))
        .attribute(
            Attribute::string("password")
                .optional()
                .sensitive()
                .description(format!(
                    "Root password of the orchestrators (the `orchestrator_password` of the deployment), used when \
                     no key is set or the key is refused; also answered to a keyboard-interactive password \
                     prompt. Falls back to `{ENV_PASSWORD}`."
                )),
        )
        .attribute(host_keys_attribute(
            ENV_HOST_KEYS,
            "of the orchestrators (list the primary's and the standby's)",
        ))
        .attribute(Attribute::string("known_hosts_file").optional().description(format!(
            "An OpenSSH known_hosts file trusted for both hops (hashed entries, `[host]:port`, `@revoked` are \
             understood; `~` is expanded). When neither `host_keys` nor this is set, `~/.ssh/known_hosts` is \
             used, as by OpenSSH. Falls back to `{ENV_KNOWN_HOSTS_FILE}`."
        )))
        .attribute(
            Attribute::string("strict_host_key_checking")
                .optional()
                .validator(one_of(StrictHostKeyChecking::ALLOWED))
                .description(format!(
                    "As OpenSSH's option: `yes` refuses unknown and changed host keys; `accept-new` records unknown \
                     keys in the known_hosts file and refuses changed ones; `no` accepts any key (not for \
                     production). A refused key stops the operation before anything is run. Falls back to \
                     `{ENV_STRICT}`; default `yes`."
                )),
        )
        .attribute(
            Attribute::number("port")
                .optional()
                .validator(int_between(1, 65535))
                .description(format!(
                    "SSH port of the orchestrators. Falls back to `{ENV_PORT}`; default 22."
                )),
        )
        .block(NestedBlock::single("jump_host", jump));
    NestedBlock::single(BLOCK, block)
}

fn path(steps: &[&str]) -> AttributePath {
    steps
        .iter()
        .fold(AttributePath::empty(), |path, step| path.attr(*step))
}

fn bad(path: AttributePath, summary: &str, detail: String) -> SettingsError {
    SettingsError {
        path,
        summary: summary.to_string(),
        detail,
    }
}

/// The argument when set and non-empty, else the environment variable when non-blank.
fn pick(arg: &Option<String>, env: &dyn Fn(&str) -> Option<String>, var: &str) -> Option<String> {
    arg.clone()
        .filter(|v| !v.is_empty())
        .or_else(|| env(var).filter(|v| !v.trim().is_empty()))
}

/// Host key lines from the block, else from `var` (one per line; blank and `#` lines skipped).
fn host_keys(
    lines: &Option<Vec<Option<String>>>,
    env: &dyn Fn(&str) -> Option<String>,
    var: &str,
    at: &[&str],
) -> Result<Vec<String>, SettingsError> {
    let from_block: Vec<String> = lines
        .iter()
        .flatten()
        .flatten()
        .filter(|l| !l.trim().is_empty())
        .cloned()
        .collect();
    let (keys, from_env) = if from_block.is_empty() {
        let text = env(var).unwrap_or_default();
        let lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        (lines, true)
    } else {
        (from_block, false)
    };
    for (i, line) in keys.iter().enumerate() {
        if let Err(reason) = parse_host_key(line) {
            let (at_path, shown) = if from_env {
                (path(at), format!("line {} of {var}", i + 1))
            } else {
                let index = i64::try_from(i).unwrap_or(i64::MAX);
                let p = path(at).index(index);
                let shown = p.to_string();
                (p, shown)
            };
            return Err(bad(
                at_path,
                "Invalid host key",
                format!("{shown} {line:?} {reason}"),
            ));
        }
    }
    Ok(keys)
}

fn check_private_key(key: &Option<String>, at: &[&str], var: &str) -> Result<(), SettingsError> {
    if let Some(text) = key
        && let Err(reason) = parse_private_key(text)
    {
        let p = path(at);
        return Err(bad(
            p.clone(),
            "Invalid private key",
            format!("{p} (or {var}) {reason}"),
        ));
    }
    Ok(())
}

/// `~` and `~/...` become the home directory.
fn expand_home(text: &str, env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    let home = || env("HOME").filter(|h| !h.is_empty());
    match text.strip_prefix('~') {
        Some("") => home().map_or_else(|| PathBuf::from(text), PathBuf::from),
        Some(rest) if rest.starts_with('/') => home().map_or_else(
            || PathBuf::from(text),
            |h| PathBuf::from(h).join(rest.trim_start_matches('/')),
        ),
        _ => PathBuf::from(text),
    }
}

/// The transport settings from the block and the environment. `None` when neither the block
/// nor any of the variables is set, or while a value of the block is not yet known (the
/// provider then has no clients at all during this plan).
pub fn resolve(
    config: Option<&OrchestratorSshConfig>,
    env: &dyn Fn(&str) -> Option<String>,
    unknown: bool,
) -> Result<Option<SshSettings>, SettingsError> {
    let set_in_env = |vars: &[&str]| {
        vars.iter()
            .any(|v| env(v).is_some_and(|s| !s.trim().is_empty()))
    };
    if unknown || (config.is_none() && !set_in_env(&ORCHESTRATOR_ENV) && !set_in_env(&JUMP_ENV)) {
        return Ok(None);
    }
    let empty = OrchestratorSshConfig::default();
    let block = config.unwrap_or(&empty);

    let user = pick(&block.user, env, ENV_USER).unwrap_or_else(|| DEFAULT_USER.to_string());
    let private_key = pick(&block.private_key, env, ENV_PRIVATE_KEY);
    let password = pick(&block.password, env, ENV_PASSWORD);
    check_private_key(&private_key, &[BLOCK, "private_key"], ENV_PRIVATE_KEY)?;
    if private_key.is_none() && password.is_none() {
        return Err(bad(
            path(&[BLOCK]),
            "No login for the orchestrators",
            format!(
                "{BLOCK} is configured but has neither private_key nor password; set one of them (or \
                 {ENV_PRIVATE_KEY} / {ENV_PASSWORD}). The orchestrator accepts root's password (the \
                 orchestrator_password of the DR deployment) or the key named by its ssh_key_name."
            ),
        ));
    }
    let host_keys = host_keys(&block.host_keys, env, ENV_HOST_KEYS, &[BLOCK, "host_keys"])?;
    let known_hosts_file = pick(&block.known_hosts_file, env, ENV_KNOWN_HOSTS_FILE)
        .map(|p| expand_home(p.trim(), env));

    let strict = match pick(&block.strict_host_key_checking, env, ENV_STRICT) {
        None => StrictHostKeyChecking::default(),
        Some(text) => StrictHostKeyChecking::parse(&text).ok_or_else(|| {
            bad(
                path(&[BLOCK, "strict_host_key_checking"]),
                "Invalid strict_host_key_checking",
                format!(
                    "{BLOCK}.strict_host_key_checking (or {ENV_STRICT}) is {text:?}; allowed values are \"yes\", \
                     \"accept-new\" and \"no\"."
                ),
            )
        })?,
    };

    let port_path = path(&[BLOCK, "port"]);
    let port = match block.port {
        Some(n) => n,
        None => match env(ENV_PORT).filter(|s| !s.trim().is_empty()) {
            None => i64::from(DEFAULT_PORT),
            Some(text) => text.trim().parse::<i64>().map_err(|_| {
                bad(
                    port_path.clone(),
                    "Invalid port",
                    format!("{ENV_PORT} is {text:?}; a port is a whole number from 1 to 65535."),
                )
            })?,
        },
    };
    let port = u16::try_from(port).ok().filter(|p| *p > 0).ok_or_else(|| {
        bad(
            port_path.clone(),
            "Invalid port",
            format!("{BLOCK}.port is {port}; a port is a whole number from 1 to 65535."),
        )
    })?;

    let jump_host = resolve_jump(block.jump_host.as_ref(), env)?;
    Ok(Some(SshSettings {
        user,
        private_key,
        password,
        host_keys,
        known_hosts_file,
        strict_host_key_checking: strict,
        port,
        jump_host,
        connect_timeout: DEFAULT_CONNECT_TIMEOUT,
    }))
}

fn resolve_jump(
    config: Option<&JumpHostConfig>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<JumpHostSettings>, SettingsError> {
    let in_env = JUMP_ENV
        .iter()
        .any(|v| env(v).is_some_and(|s| !s.trim().is_empty()));
    if config.is_none() && !in_env {
        return Ok(None);
    }
    let empty = JumpHostConfig::default();
    let block = config.unwrap_or(&empty);
    let address_path = path(&[BLOCK, "jump_host", "address"]);
    let Some(address) = pick(&block.address, env, ENV_JUMP_ADDRESS) else {
        return Err(bad(
            address_path,
            "Jump host without an address",
            format!(
                "{BLOCK}.jump_host is configured but has no address; set address (or {ENV_JUMP_ADDRESS}) to \
                 \"host\" or \"host:port\", e.g. the landing zone's access_host_or_ip output."
            ),
        ));
    };
    if let Err(reason) = parse_address(&address) {
        return Err(bad(
            address_path,
            "Invalid jump host address",
            format!("{BLOCK}.jump_host.address (or {ENV_JUMP_ADDRESS}) {address:?} {reason}"),
        ));
    }
    let private_key = pick(&block.private_key, env, ENV_JUMP_PRIVATE_KEY);
    check_private_key(
        &private_key,
        &[BLOCK, "jump_host", "private_key"],
        ENV_JUMP_PRIVATE_KEY,
    )?;
    Ok(Some(JumpHostSettings {
        address: address.trim().to_string(),
        user: pick(&block.user, env, ENV_JUMP_USER).unwrap_or_else(|| DEFAULT_USER.to_string()),
        private_key,
        password: pick(&block.password, env, ENV_JUMP_PASSWORD),
        host_keys: host_keys(
            &block.host_keys,
            env,
            ENV_JUMP_HOST_KEYS,
            &[BLOCK, "jump_host", "host_keys"],
        )?,
    }))
}

/// The diagnostic for an operation that needs the orchestrator while no SSH access is
/// configured: what to set, at the block's path.
pub fn not_configured(operation: &str) -> Diagnostics {
    Diagnostics::from_error_at(
        path(&[BLOCK]),
        "Orchestrator access is not configured",
        format!(
            "{operation} runs KSYS's ksysmgr on the DR orchestrator over SSH, but the provider has no \
             {BLOCK} block and no {ENV_PRIVATE_KEY} / {ENV_PASSWORD} variables. Add to the provider \
             block: {BLOCK} {{ private_key = file(\"~/.ssh/<key of the deployment's ssh_key_name>\") (or \
             password = <orchestrator_password>), host_keys = [\"ssh-ed25519 AAAA...\"], and jump_host {{ \
             address = \"<bastion>\" }} when the orchestrator's private subnet is reached through a jump host }}."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::ssh::test_keys::ED_B as JUMP_KEY;
    use crate::provider::env_of;
    use tf_framework::path;
    use tf_framework::schema::Schema;
    use tf_framework::validators::validate_config;
    use tf_framework::value::Value;

    const HOST_KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMqXgRLKG73K+sIxs5oj3E2nhu/4FHxOcrmAd4Wv7ki7 primary";

    fn private_key_text(seed: u8) -> String {
        russh::keys::PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(
            &[seed; 32],
        ))
        .to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .expect("encode")
        .to_string()
    }

    #[test]
    fn nothing_configured_means_no_access() {
        assert!(
            resolve(None, &env_of(&[("HOME", "/root")]), false)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn unknown_values_defer_every_check() {
        let block = OrchestratorSshConfig::default();
        assert!(resolve(Some(&block), &env_of(&[]), true).unwrap().is_none());
    }

    #[test]
    fn the_block_with_defaults() {
        let block = OrchestratorSshConfig {
            password: Some("Orchestrator-Passw0rd".into()),
            host_keys: Some(vec![Some(HOST_KEY.into()), None, Some(" ".into())]),
            known_hosts_file: Some("~/.ssh/dr_known_hosts".into()),
            ..Default::default()
        };
        let s = resolve(Some(&block), &env_of(&[("HOME", "/home/u")]), false)
            .unwrap()
            .expect("configured");
        assert_eq!(s.user, "root");
        assert_eq!(s.port, 22);
        assert_eq!(s.host_keys, vec![HOST_KEY.to_string()]);
        assert_eq!(
            s.known_hosts_file,
            Some(PathBuf::from("/home/u/.ssh/dr_known_hosts"))
        );
        assert_eq!(s.strict_host_key_checking, StrictHostKeyChecking::Yes);
        assert!(s.jump_host.is_none() && s.private_key.is_none());
    }

    #[test]
    fn every_argument_falls_back_to_its_variable() {
        let key = private_key_text(1);
        let jump_key = private_key_text(2);
        let env = env_of(&[
            (ENV_USER, "admin"),
            (ENV_PRIVATE_KEY, &key),
            (ENV_PASSWORD, "pw-from-env"),
            (
                ENV_HOST_KEYS,
                &format!("# primary\n{HOST_KEY}\n\n{JUMP_KEY}\n"),
            ),
            (ENV_KNOWN_HOSTS_FILE, "/etc/dr/known_hosts"),
            (ENV_STRICT, "accept-new"),
            (ENV_PORT, "2222"),
            (ENV_JUMP_ADDRESS, "203.0.113.10:2200"),
            (ENV_JUMP_USER, "jump"),
            (ENV_JUMP_PRIVATE_KEY, &jump_key),
            (ENV_JUMP_PASSWORD, "jump-pw"),
            (ENV_JUMP_HOST_KEYS, JUMP_KEY),
        ]);
        let s = resolve(None, &env, false)
            .unwrap()
            .expect("configured by env");
        assert_eq!(s.user, "admin");
        assert_eq!(s.private_key.as_deref(), Some(key.as_str()));
        assert_eq!(s.password.as_deref(), Some("pw-from-env"));
        assert_eq!(
            s.host_keys,
            vec![HOST_KEY.to_string(), JUMP_KEY.to_string()]
        );
        assert_eq!(
            s.known_hosts_file,
            Some(PathBuf::from("/etc/dr/known_hosts"))
        );
        assert_eq!(s.strict_host_key_checking, StrictHostKeyChecking::AcceptNew);
        assert_eq!(s.port, 2222);
        let jump = s.jump_host.expect("jump host from env");
        assert_eq!(jump.address, "203.0.113.10:2200");
        assert_eq!(jump.user, "jump");
        assert_eq!(jump.private_key.as_deref(), Some(jump_key.as_str()));
        assert_eq!(jump.password.as_deref(), Some("jump-pw"));
        assert_eq!(jump.host_keys, vec![JUMP_KEY.to_string()]);
    }

    #[test]
    fn arguments_win_over_variables() {
        let block = OrchestratorSshConfig {
            user: Some("ksysadm".into()),
            password: Some("from-block".into()),
            port: Some(22),
            strict_host_key_checking: Some("no".into()),
            jump_host: Some(JumpHostConfig {
                address: Some("bastion".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let env = env_of(&[
            (ENV_USER, "admin"),
            (ENV_PASSWORD, "from-env"),
            (ENV_PORT, "2222"),
            (ENV_STRICT, "yes"),
            (ENV_JUMP_ADDRESS, "other:22"),
        ]);
        let s = resolve(Some(&block), &env, false)
            .unwrap()
            .expect("configured");
        assert_eq!(s.user, "ksysadm");
        assert_eq!(s.password.as_deref(), Some("from-block"));
        assert_eq!(s.port, 22);
        assert_eq!(s.strict_host_key_checking, StrictHostKeyChecking::No);
        let jump = s.jump_host.expect("jump");
        assert_eq!(jump.address, "bastion");
        assert_eq!(jump.user, "root");
    }

    fn error(block: OrchestratorSshConfig, env: &[(&str, &str)]) -> SettingsError {
        resolve(Some(&block), &env_of(env), false).unwrap_err()
    }

    fn with_password() -> OrchestratorSshConfig {
        OrchestratorSshConfig {
            password: Some("pw".into()),
            ..Default::default()
        }
    }

    #[test]
    fn bad_values_name_the_path_the_value_and_what_is_allowed() {
        let e = error(OrchestratorSshConfig::default(), &[]);
        assert_eq!(e.path, path!(BLOCK));
        assert!(
            e.detail.contains("private_key nor password"),
            "{}",
            e.detail
        );

        let e = error(
            OrchestratorSshConfig {
                host_keys: Some(vec![
                    Some(HOST_KEY.into()),
                    Some("10.0.0.1 ssh-ed25519 AAAA".into()),
                ]),
                ..with_password()
            },
            &[],
        );
        assert_eq!(e.path, path!(BLOCK, "host_keys", 1));
        assert!(
            e.detail
                .contains("orchestrator_ssh.host_keys[1] \"10.0.0.1 ssh-ed25519 AAAA\""),
            "{}",
            e.detail
        );

        let e = error(with_password(), &[(ENV_HOST_KEYS, "garbage")]);
        assert_eq!(e.path, path!(BLOCK, "host_keys"));
        assert!(
            e.detail.contains("line 1 of DR_ORCHESTRATOR_SSH_HOST_KEYS"),
            "{}",
            e.detail
        );

        let e = error(
            OrchestratorSshConfig {
                port: Some(70000),
                ..with_password()
            },
            &[],
        );
        assert_eq!(e.path, path!(BLOCK, "port"));
        assert!(e.detail.contains("70000") && e.detail.contains("1 to 65535"));
        let e = error(with_password(), &[(ENV_PORT, "ssh")]);
        assert!(e.detail.contains("\"ssh\""), "{}", e.detail);

        let e = error(
            OrchestratorSshConfig {
                strict_host_key_checking: Some("ask".into()),
                ..with_password()
            },
            &[],
        );
        assert!(e.detail.contains("\"ask\"") && e.detail.contains("\"accept-new\""));

        let e = error(
            OrchestratorSshConfig {
                jump_host: Some(JumpHostConfig {
                    address: Some(":22".into()),
                    ..Default::default()
                }),
                ..with_password()
            },
            &[],
        );
        assert_eq!(e.path, path!(BLOCK, "jump_host", "address"));
        assert!(
            e.detail.contains("\":22\"") && e.detail.contains("no host"),
            "{}",
            e.detail
        );

        let e = error(with_password(), &[(ENV_JUMP_USER, "jump")]);
        assert_eq!(e.path, path!(BLOCK, "jump_host", "address"));
    }

    #[test]
    fn a_bad_private_key_is_reported_without_its_text() {
        let text = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWJvZHk=\n-----END OPENSSH PRIVATE KEY-----";
        let e = error(
            OrchestratorSshConfig {
                private_key: Some(text.into()),
                ..Default::default()
            },
            &[],
        );
        assert_eq!(e.path, path!(BLOCK, "private_key"));
        assert!(!e.detail.contains("c2VjcmV0LWJvZHk") && !e.summary.contains("c2VjcmV0"));
        let e = error(
            with_password(),
            &[(ENV_JUMP_ADDRESS, "j"), (ENV_JUMP_PRIVATE_KEY, text)],
        );
        assert_eq!(e.path, path!(BLOCK, "jump_host", "private_key"));
        assert!(e.detail.contains(ENV_JUMP_PRIVATE_KEY) && !e.detail.contains("c2VjcmV0LWJvZHk"));
    }

    #[test]
    fn home_expansion() {
        let env = env_of(&[("HOME", "/home/u")]);
        assert_eq!(expand_home("~", &env), PathBuf::from("/home/u"));
        assert_eq!(expand_home("~/kh", &env), PathBuf::from("/home/u/kh"));
        assert_eq!(expand_home("~other/kh", &env), PathBuf::from("~other/kh"));
        assert_eq!(expand_home("/abs", &env), PathBuf::from("/abs"));
        assert_eq!(expand_home("~/kh", &env_of(&[])), PathBuf::from("~/kh"));
    }

    #[test]
    fn schema_validators_check_the_block_offline() {
        let schema = Schema::new().block(block());
        let ssh = |attrs: Vec<(&str, Value)>| {
            let mut all: std::collections::BTreeMap<String, Value> = [
                "user",
                "private_key",
                "password",
                "host_keys",
                "known_hosts_file",
                "strict_host_key_checking",
                "port",
                "jump_host",
            ]
            .into_iter()
            .map(|k| (k.to_string(), Value::Null))
            .collect();
            for (k, v) in attrs {
                all.insert(k.to_string(), v);
            }
            Value::Object(
                [(BLOCK.to_string(), Value::Object(all))]
                    .into_iter()
                    .collect(),
            )
        };
        let text = |diags: Diagnostics| {
            diags
                .into_iter()
                .map(|d| format!("{} | {}", d.summary, d.detail))
                .collect::<Vec<_>>()
                .join("\n")
        };

        let ok = validate_config(
            &schema,
            &ssh(vec![
                (
                    "host_keys",
                    Value::List(vec![Value::String(HOST_KEY.into())]),
                ),
                ("port", Value::Number(22_i64.into())),
                (
                    "strict_host_key_checking",
                    Value::String("accept-new".into()),
                ),
                ("private_key", Value::String(private_key_text(3))),
            ]),
            false,
        );
        assert!(!ok.has_errors(), "{}", text(ok));

        let d = validate_config(
            &schema,
            &ssh(vec![(
                "host_keys",
                Value::List(vec![
                    Value::String(HOST_KEY.into()),
                    Value::String("not-a-key".into()),
                ]),
            )]),
            false,
        );
        let t = text(d);
        assert!(
            t.contains("orchestrator_ssh.host_keys[1]") && t.contains("not-a-key"),
            "{t}"
        );

        let t = text(validate_config(
            &schema,
            &ssh(vec![("port", Value::Number(0_i64.into()))]),
            false,
        ));
        assert!(t.contains("orchestrator_ssh.port"), "{t}");

        let t = text(validate_config(
            &schema,
            &ssh(vec![(
                "strict_host_key_checking",
                Value::String("ask".into()),
            )]),
            false,
        ));
        assert!(t.contains("accept-new") && t.contains("\"ask\""), "{t}");

        let secret =
            "-----BEGIN OPENSSH PRIVATE KEY-----\nbm90LWEta2V5\n-----END OPENSSH PRIVATE KEY-----";
        let t = text(validate_config(
            &schema,
            &ssh(vec![("private_key", Value::String(secret.into()))]),
            false,
        ));
        assert!(
            t.contains("orchestrator_ssh.private_key") && !t.contains("bm90LWEta2V5"),
            "{t}"
        );

        let jump = Value::Object(
            [
                ("address", Value::String("root@bastion".into())),
                ("user", Value::Null),
                ("private_key", Value::Null),
                ("password", Value::Null),
                ("host_keys", Value::Null),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        );
        let t = text(validate_config(
            &schema,
            &ssh(vec![("jump_host", jump)]),
            false,
        ));
        assert!(
            t.contains("orchestrator_ssh.jump_host.address") && t.contains("root@bastion"),
            "{t}"
        );
    }

    #[test]
    fn the_not_configured_diagnostic_says_what_to_set() {
        let t = format!("{:?}", not_configured("dr_managed_vm"));
        assert!(
            t.contains("orchestrator_ssh") && t.contains(ENV_PRIVATE_KEY),
            "{t}"
        );
    }
}
