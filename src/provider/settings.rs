//! Resolving the provider block, the environment and the endpoints file into settings.
//!
//! This is pure: the environment comes in as a lookup function, so every precedence rule is
//! unit-tested without touching the process environment. The rules follow the IBM provider
//! users already know: an argument wins over its environment variables, `IC_*` wins over
//! `IBMCLOUD_*`, and endpoints resolve from the `endpoints` block, then the endpoints file
//! (IBM's JSON format, public and private per region), then the environment, then IBM Cloud's
//! own endpoints for the region, zone and visibility.

use std::time::Duration;

use serde::Deserialize;
use tf_framework::diag::AttributePath;

pub use super::error::SettingsError;
use super::orchestrator_ssh::{self, OrchestratorSshConfig};
use crate::cloud::ssh::SshSettings;
use crate::cloud::{Credentials, Endpoints, Visibility};

pub const DEFAULT_REGION: &str = "us-south";
pub const DEFAULT_MAX_RETRIES: u32 = 10;
pub const DEFAULT_REQUEST_TIMEOUT_SECONDS: u64 = 60;

/// The provider block as Terraform sends it; unknown values arrive as `None`.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ProviderConfig {
    pub ibmcloud_api_key: Option<String>,
    pub iam_token: Option<String>,
    pub iam_refresh_token: Option<String>,
    pub region: Option<String>,
    pub zone: Option<String>,
    pub visibility: Option<String>,
    pub endpoints_file_path: Option<String>,
    pub endpoints: Option<EndpointsConfig>,
    pub max_retries: Option<i64>,
    pub request_timeout: Option<i64>,
    #[serde(default)]
    pub accept_language: Option<String>,
    pub orchestrator_ssh: Option<OrchestratorSshConfig>,
}

/// The `endpoints` block.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct EndpointsConfig {
    pub iam: Option<String>,
    pub resource_controller: Option<String>,
    pub global_catalog: Option<String>,
    pub resource_manager: Option<String>,
    pub power: Option<String>,
    pub vpc: Option<String>,
    pub transit_gateway: Option<String>,
    pub dr_automation: Option<String>,
}

/// One service: its name in the `endpoints` block and its IBM environment variable (also the
/// key in an endpoints file).
pub struct ServiceEndpoint {
    pub attribute: &'static str,
    pub env: &'static str,
}

pub const SERVICES: [ServiceEndpoint; 8] = [
    ServiceEndpoint {
        attribute: "iam",
        env: "IBMCLOUD_IAM_API_ENDPOINT",
    },
    ServiceEndpoint {
        attribute: "resource_controller",
        env: "IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT",
    },
    ServiceEndpoint {
        attribute: "global_catalog",
        env: "IBMCLOUD_RESOURCE_CATALOG_API_ENDPOINT",
    },
    ServiceEndpoint {
        attribute: "resource_manager",
        env: "IBMCLOUD_RESOURCE_MANAGEMENT_API_ENDPOINT",
    },
    ServiceEndpoint {
        attribute: "power",
        env: "IBMCLOUD_PI_API_ENDPOINT",
    },
    ServiceEndpoint {
        attribute: "vpc",
        env: "IBMCLOUD_IS_NG_API_ENDPOINT",
    },
    ServiceEndpoint {
        attribute: "transit_gateway",
        env: "IBMCLOUD_TG_API_ENDPOINT",
    },
    ServiceEndpoint {
        attribute: "dr_automation",
        env: "IBMCLOUD_DRA_API_ENDPOINT",
    },
];

/// Everything the clients need, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `None` when no credential is configured anywhere: an error only once something needs
    /// the cloud, so `terraform validate` and mocks work without credentials.
    pub credentials: Option<Credentials>,
    pub region: String,
    pub zone: Option<String>,
    pub visibility: Visibility,
    pub endpoints: Endpoints,
    pub max_retries: u32,
    pub request_timeout: Duration,
    /// `Accept-Language` of DR Automation requests (its messages' language).
    pub accept_language: Option<String>,
    /// SSH access to the orchestrators; `None` when not configured (or not yet known).
    pub orchestrator_ssh: Option<SshSettings>,
}

fn bad(attribute: &'static str, summary: &str, detail: String) -> SettingsError {
    SettingsError {
        path: AttributePath::root(attribute),
        summary: summary.to_string(),
        detail,
    }
}

/// The first non-empty of the argument and the named environment variables.
fn pick(
    arg: &Option<String>,
    env: &dyn Fn(&str) -> Option<String>,
    vars: &[&str],
) -> Option<String> {
    arg.clone().filter(|v| !v.is_empty()).or_else(|| {
        vars.iter()
            .find_map(|v| env(v).filter(|s| !s.trim().is_empty()))
    })
}

/// The number argument, else its environment variable (which must parse as a whole number,
/// `expected` says what it must be), else `default`. The range is checked by the caller, on
/// whichever value won.
fn number_or_env(
    arg: Option<i64>,
    env: &dyn Fn(&str) -> Option<String>,
    (attribute, var): (&'static str, &str),
    expected: &str,
    default: i64,
) -> Result<i64, SettingsError> {
    if let Some(n) = arg {
        return Ok(n);
    }
    match env(var) {
        Some(s) => s.trim().parse::<i64>().map_err(|_| {
            bad(
                attribute,
                &format!("Invalid {var}"),
                format!("{var} is {s:?}; it must be {expected}."),
            )
        }),
        None => Ok(default),
    }
}

/// Resolves `config` with the environment `env` and the endpoints file reader `read_file`.
/// `unknown` lists the paths still unknown during this plan (their values arrive as `None`).
pub fn resolve(
    config: &ProviderConfig,
    env: &dyn Fn(&str) -> Option<String>,
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
    unknown: &[AttributePath],
) -> Result<Settings, SettingsError> {
    let api_key = pick(
        &config.ibmcloud_api_key,
        env,
        &["IC_API_KEY", "IBMCLOUD_API_KEY"],
    );
    let iam_token = pick(&config.iam_token, env, &["IC_IAM_TOKEN"]);
    let refresh_token = pick(&config.iam_refresh_token, env, &["IC_IAM_REFRESH_TOKEN"]);
    // An API key can always renew itself, so it wins when both come from the environment.
    let credentials = match (api_key, iam_token) {
        (Some(key), _) => Some(Credentials::ApiKey(key)),
        (None, Some(token)) => Some(Credentials::IamToken {
            access_token: token.trim_start_matches("Bearer ").trim().to_string(),
            refresh_token,
        }),
        (None, None) => None,
    };

    let region = pick(&config.region, env, &["IC_REGION", "IBMCLOUD_REGION"])
        .unwrap_or_else(|| DEFAULT_REGION.to_string());
    let zone = pick(&config.zone, env, &["IC_ZONE", "IBMCLOUD_ZONE"]);
    let visibility = match pick(
        &config.visibility,
        env,
        &["IC_VISIBILITY", "IBMCLOUD_VISIBILITY"],
    )
    .as_deref()
    {
        None | Some("public") => Visibility::Public,
        Some("private") => Visibility::Private,
        Some(other) => {
            return Err(bad(
                "visibility",
                "Invalid visibility",
                format!("visibility is {other:?}; allowed values are \"public\" and \"private\"."),
            ));
        }
    };

    let max_retries = number_or_env(
        config.max_retries,
        env,
        ("max_retries", "MAX_RETRIES"),
        "a whole number from 0 to 100",
        i64::from(DEFAULT_MAX_RETRIES),
    )?;
    let max_retries = u32::try_from(max_retries)
        .ok()
        .filter(|n| *n <= 100)
        .ok_or_else(|| {
            bad(
                "max_retries",
                "Invalid max_retries",
                format!("max_retries is {max_retries}; it must be from 0 to 100."),
            )
        })?;

    let timeout = number_or_env(
        config.request_timeout,
        env,
        ("request_timeout", "IC_TIMEOUT"),
        "a number of seconds from 1 to 3600",
        DEFAULT_REQUEST_TIMEOUT_SECONDS as i64,
    )?;
    let timeout = u64::try_from(timeout)
        .ok()
        .filter(|n| (1..=3600).contains(n))
        .ok_or_else(|| {
            bad(
                "request_timeout",
                "Invalid request_timeout",
                format!(
                    "request_timeout is {timeout}; it must be a number of seconds from 1 to 3600."
                ),
            )
        })?;

    let endpoints =
        resolve_endpoints(config, env, read_file, &region, zone.as_deref(), visibility)?;
    let ssh_unknown = unknown
        .iter()
        .any(|p| p.first_attribute() == Some(orchestrator_ssh::BLOCK));
    let orchestrator_ssh =
        orchestrator_ssh::resolve(config.orchestrator_ssh.as_ref(), env, ssh_unknown)?;
    Ok(Settings {
        credentials,
        region,
        zone,
        visibility,
        endpoints,
        max_retries,
        request_timeout: Duration::from_secs(timeout),
        accept_language: config.accept_language.clone(),
        orchestrator_ssh,
    })
}

/// PowerVS serves each zone from its region's host: `dal10` -> `dal`, `eu-de-1` -> `eu-de`.
pub fn power_region_of_zone(zone: &str) -> String {
    let trimmed = if zone.contains('-') {
        match zone.rsplit_once('-') {
            Some((head, tail)) if !tail.is_empty() && tail.chars().all(|c| c.is_ascii_digit()) => {
                head
            }
            _ => zone,
        }
    } else {
        zone.trim_end_matches(|c: char| c.is_ascii_digit())
    };
    trimmed.to_string()
}

fn resolve_endpoints(
    config: &ProviderConfig,
    env: &dyn Fn(&str) -> Option<String>,
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
    region: &str,
    zone: Option<&str>,
    visibility: Visibility,
) -> Result<Endpoints, SettingsError> {
    let mut endpoints = Endpoints::ibm_cloud(region, visibility);
    if let Some(zone) = zone {
        let power_region = power_region_of_zone(zone);
        let p = if visibility == Visibility::Private {
            "private."
        } else {
            ""
        };
        endpoints.power = format!("https://{p}{power_region}.power-iaas.cloud.ibm.com");
    }
    let file = match pick(
        &config.endpoints_file_path,
        env,
        &["IC_ENDPOINTS_FILE_PATH", "IBMCLOUD_ENDPOINTS_FILE_PATH"],
    ) {
        Some(path) => Some(parse_endpoints_file(&path, read_file)?),
        None => None,
    };
    let block = config.endpoints.clone().unwrap_or_default();
    let vis_key = if visibility == Visibility::Private {
        "private"
    } else {
        "public"
    };
    for service in &SERVICES {
        let from_block = block_value(&block, service.attribute);
        let from_file = file.as_ref().and_then(|f| {
            f.get(service.env)
                .and_then(|by_vis| by_vis.get(vis_key))
                .and_then(|by_region| by_region.get(region))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        });
        let chosen = from_block
            .or(from_file)
            .or_else(|| env(service.env).filter(|v| !v.trim().is_empty()));
        if let Some(url) = chosen {
            let url = url.trim().trim_end_matches('/').to_string();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(bad(
                    "endpoints",
                    "Invalid endpoint",
                    format!(
                        "The {} endpoint is {url:?}; it must be an http:// or https:// URL.",
                        service.attribute
                    ),
                ));
            }
            *endpoint_slot(&mut endpoints, service.attribute) = url;
        }
    }
    Ok(endpoints)
}

fn parse_endpoints_file(
    path: &str,
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
) -> Result<serde_json::Map<String, serde_json::Value>, SettingsError> {
    let text = read_file(path).map_err(|e| {
        bad(
            "endpoints_file_path",
            "Cannot read the endpoints file",
            format!("endpoints_file_path {path:?} cannot be read: {e}."),
        )
    })?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) | Err(_) => Err(bad(
            "endpoints_file_path",
            "Invalid endpoints file",
            format!(
                "endpoints_file_path {path:?} is not an IBM endpoints file: expected a JSON object such as \
                 {{\"IBMCLOUD_IAM_API_ENDPOINT\": {{\"public\": {{\"us-south\": \"https://iam.cloud.ibm.com\"}}}}}}."
            ),
        )),
    }
}

fn block_value(block: &EndpointsConfig, attribute: &str) -> Option<String> {
    let v = match attribute {
        "iam" => &block.iam,
        "resource_controller" => &block.resource_controller,
        "global_catalog" => &block.global_catalog,
        "resource_manager" => &block.resource_manager,
        "power" => &block.power,
        "vpc" => &block.vpc,
        "transit_gateway" => &block.transit_gateway,
        _ => &block.dr_automation,
    };
    v.clone().filter(|s| !s.trim().is_empty())
}

fn endpoint_slot<'a>(endpoints: &'a mut Endpoints, attribute: &str) -> &'a mut String {
    match attribute {
        "iam" => &mut endpoints.iam,
        "resource_controller" => &mut endpoints.resource_controller,
        "global_catalog" => &mut endpoints.global_catalog,
        "resource_manager" => &mut endpoints.resource_manager,
        "power" => &mut endpoints.power,
        "vpc" => &mut endpoints.vpc,
        "transit_gateway" => &mut endpoints.transit_gateway,
        _ => &mut endpoints.dr_automation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::env_of;

    fn no_file(_: &str) -> std::io::Result<String> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file",
        ))
    }

    #[test]
    fn defaults_need_no_credentials() {
        let s = resolve(&ProviderConfig::default(), &env_of(&[]), &no_file, &[]).unwrap();
        assert!(s.credentials.is_none());
        assert_eq!(s.region, "us-south");
        assert_eq!(s.max_retries, 10);
        assert_eq!(s.request_timeout, Duration::from_secs(60));
        assert_eq!(s.endpoints.iam, "https://iam.cloud.ibm.com");
        assert_eq!(
            s.endpoints.power,
            "https://us-south.power-iaas.cloud.ibm.com"
        );
    }

    #[test]
    fn ic_variables_win_over_ibmcloud_and_arguments_win_over_both() {
        let env = env_of(&[
            ("IC_API_KEY", "ic"),
            ("IBMCLOUD_API_KEY", "ibmcloud"),
            ("IC_REGION", "eu-de"),
            ("IBMCLOUD_REGION", "us-east"),
        ]);
        let s = resolve(&ProviderConfig::default(), &env, &no_file, &[]).unwrap();
        assert!(matches!(s.credentials, Some(Credentials::ApiKey(ref k)) if k == "ic"));
        assert_eq!(s.region, "eu-de");
        let config = ProviderConfig {
            ibmcloud_api_key: Some("arg".into()),
            region: Some("jp-tok".into()),
            ..Default::default()
        };
        let s = resolve(&config, &env, &no_file, &[]).unwrap();
        assert!(matches!(s.credentials, Some(Credentials::ApiKey(ref k)) if k == "arg"));
        assert_eq!(s.region, "jp-tok");
    }

    #[test]
    fn iam_token_mode_strips_the_bearer_prefix() {
        let env = env_of(&[
            ("IC_IAM_TOKEN", "Bearer abc"),
            ("IC_IAM_REFRESH_TOKEN", "r"),
        ]);
        let s = resolve(&ProviderConfig::default(), &env, &no_file, &[]).unwrap();
        match s.credentials {
            Some(Credentials::IamToken {
                access_token,
                refresh_token,
            }) => {
                assert_eq!(access_token, "abc");
                assert_eq!(refresh_token.as_deref(), Some("r"));
            }
            other => panic!("unexpected credentials {other:?}"),
        }
    }

    #[test]
    fn zone_picks_the_power_region_host() {
        assert_eq!(power_region_of_zone("dal10"), "dal");
        assert_eq!(power_region_of_zone("eu-de-1"), "eu-de");
        assert_eq!(power_region_of_zone("lon06"), "lon");
        let config = ProviderConfig {
            zone: Some("dal12".into()),
            visibility: Some("private".into()),
            ..Default::default()
        };
        let s = resolve(&config, &env_of(&[]), &no_file, &[]).unwrap();
        assert_eq!(
            s.endpoints.power,
            "https://private.dal.power-iaas.cloud.ibm.com"
        );
        assert_eq!(s.endpoints.iam, "https://private.iam.cloud.ibm.com");
    }

    #[test]
    fn endpoints_block_then_file_then_environment_then_defaults() {
        let file = r#"{
            "IBMCLOUD_IAM_API_ENDPOINT": {"public": {"us-south": "http://file/iam"}},
            "IBMCLOUD_PI_API_ENDPOINT": {"public": {"us-south": "http://file/power"}, "private": {"us-south": "http://private/power"}},
            "IBMCLOUD_IS_NG_API_ENDPOINT": {"public": {"eu-de": "http://file/other-region"}}
        }"#;
        let read = |p: &str| {
            if p == "/eps.json" {
                Ok(file.to_string())
            } else {
                no_file(p)
            }
        };
        let env = env_of(&[
            ("IBMCLOUD_IAM_API_ENDPOINT", "http://env/iam"),
            ("IBMCLOUD_TG_API_ENDPOINT", "http://env/tg/"),
        ]);
        let config = ProviderConfig {
            endpoints_file_path: Some("/eps.json".into()),
            endpoints: Some(EndpointsConfig {
                power: Some("http://block/power".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let s = resolve(&config, &env, &read, &[]).unwrap();
        assert_eq!(s.endpoints.power, "http://block/power");
        assert_eq!(s.endpoints.iam, "http://file/iam");
        assert_eq!(s.endpoints.transit_gateway, "http://env/tg");
        assert_eq!(s.endpoints.vpc, "https://us-south.iaas.cloud.ibm.com");
    }

    #[test]
    fn bad_settings_name_the_argument_and_what_is_allowed() {
        let refused = |config: ProviderConfig, env: &[(&str, &str)]| {
            resolve(&config, &env_of(env), &no_file, &[]).unwrap_err()
        };
        let e = refused(
            ProviderConfig {
                visibility: Some("internal".into()),
                ..Default::default()
            },
            &[],
        );
        assert_eq!(e.path, AttributePath::root("visibility"));
        assert!(e.detail.contains("\"internal\"") && e.detail.contains("\"private\""));
        let e = refused(
            ProviderConfig {
                max_retries: Some(-1),
                ..Default::default()
            },
            &[],
        );
        assert_eq!(e.path, AttributePath::root("max_retries"));
        let e = refused(ProviderConfig::default(), &[("IC_TIMEOUT", "soon")]);
        assert_eq!(e.path, AttributePath::root("request_timeout"));
        let e = refused(
            ProviderConfig {
                endpoints_file_path: Some("/missing".into()),
                ..Default::default()
            },
            &[],
        );
        assert_eq!(e.path, AttributePath::root("endpoints_file_path"));
        let config = ProviderConfig {
            endpoints: Some(EndpointsConfig {
                vpc: Some("ftp://x".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let e = refused(config, &[]);
        assert!(e.detail.contains("vpc") && e.detail.contains("ftp://x"));
    }
}
