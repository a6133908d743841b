//! `dr-cloudsim serve ...`: runs the emulator until interrupted.
//!
//! The first two stdout lines are the contract with tests and scripts that start the binary
//! with `--listen 127.0.0.1:0`: `dr-cloudsim listening on http://127.0.0.1:PORT`, then
//! `dr-cloudsim ssh jump host on 127.0.0.1:PORT`. They are printed and flushed before
//! anything else.

use std::fmt::Display;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use dr_cloudsim::SimConfig;

const USAGE: &str = "usage: dr-cloudsim serve --listen 127.0.0.1:PORT [--ssh-listen ADDR] \
[--state FILE] [--scenario FILE] [--api-key KEY] [--time-scale F] [--seed N]";

/// Parses the `serve` flags (both `--flag value` and `--flag=value`).
fn parse_args(args: &[String]) -> Result<SimConfig, String> {
    let mut rest = args.iter();
    match rest.next().map(String::as_str) {
        Some("serve") => {}
        Some("--help" | "-h" | "help") | None => return Err(USAGE.to_owned()),
        Some(other) => return Err(format!("unknown command {other:?}\n{USAGE}")),
    }
    let mut config = SimConfig::default();
    let mut pending: Vec<(String, Option<String>)> = Vec::new();
    while let Some(arg) = rest.next() {
        let Some(flag) = arg.strip_prefix("--") else {
            return Err(format!("unexpected argument {arg:?}\n{USAGE}"));
        };
        match flag.split_once('=') {
            Some((name, value)) => pending.push((name.to_owned(), Some(value.to_owned()))),
            None => pending.push((flag.to_owned(), rest.next().cloned())),
        }
    }
    for (name, value) in pending {
        let value = value.ok_or_else(|| format!("--{name} needs a value\n{USAGE}"))?;
        match name.as_str() {
            "listen" => config.listen = parsed(&name, &value, "HOST:PORT")?,
            "ssh-listen" => config.ssh_listen = parsed(&name, &value, "HOST:PORT")?,
            "state" => config.state_file = Some(PathBuf::from(value)),
            "scenario" => config.scenario = Some(PathBuf::from(value)),
            "api-key" => config.api_key = value,
            "time-scale" => config.time_scale = parsed(&name, &value, "a number")?,
            "seed" => config.seed = parsed(&name, &value, "an integer")?,
            other => return Err(format!("unknown flag --{other}\n{USAGE}")),
        }
    }
    Ok(config)
}

/// The value of flag `--name` parsed, or the message saying it is not `what`.
fn parsed<T: FromStr>(name: &str, value: &str, what: &str) -> Result<T, String>
where
    T::Err: Display,
{
    value
        .parse()
        .map_err(|e| format!("--{name} {value:?} is not {what}: {e}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse_args(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let running = match dr_cloudsim::start(config).await {
        Ok(running) => running,
        Err(e) => {
            eprintln!("dr-cloudsim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "dr-cloudsim listening on {}", running.url());
    let _ = writeln!(stdout, "dr-cloudsim ssh jump host on {}", running.ssh_addr);
    let _ = stdout.flush();
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_every_flag_in_both_spellings() {
        let c = parse_args(&args(&[
            "serve",
            "--listen",
            "127.0.0.1:9999",
            "--ssh-listen=127.0.0.1:2222",
            "--state=/tmp/s.json",
            "--scenario",
            "x.json",
            "--api-key",
            "k",
            "--time-scale",
            "60",
            "--seed=42",
        ]))
        .unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.ssh_listen.port(), 2222);
        assert_eq!(c.state_file, Some(PathBuf::from("/tmp/s.json")));
        assert_eq!(c.scenario, Some(PathBuf::from("x.json")));
        assert_eq!(c.api_key, "k");
        assert_eq!(c.time_scale, 60.0);
        assert_eq!(c.seed, 42);
    }

    #[test]
    fn refuses_unknown_flags_and_missing_values() {
        assert!(parse_args(&args(&["serve", "--bogus", "1"])).is_err());
        assert!(parse_args(&args(&["serve", "--listen"])).is_err());
        assert!(parse_args(&args(&["serve", "--seed", "x"])).is_err());
        assert!(parse_args(&args(&[])).is_err());
    }
}
