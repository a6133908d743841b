//! `terraform-provider-dr`: serves the provider to Terraform over the plugin protocol.
//! `--debug` serves until killed and prints a `TF_REATTACH_PROVIDERS` value to paste.

use terraform_provider_dr::provider::{ADDRESS, DrProvider};
use tf_framework::server::ProviderServer;
use tf_framework::{ServeOptions, serve};

#[tokio::main]
async fn main() {
    let debug = std::env::args().skip(1).any(|a| a == "--debug");
    let options = ServeOptions::new(ADDRESS)
        .with_debug(debug)
        .with_log_env_suffix("DR");
    let server = ProviderServer::new(DrProvider);
    server.warm_up();
    if let Err(e) = serve(server, options).await {
        eprintln!("{e}");
        std::process::exit(e.exit_code());
    }
}
