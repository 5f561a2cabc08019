//! `ironrule serve`: the project over HTTP (see [`crate::serve`]).

use crate::serve::{Config, Limits};
use anyhow::{Context, Result};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The project file; default: ironrule.toml in the working directory or a parent.
    #[arg(long, short = 'p', value_name = "FILE")]
    pub project: Option<PathBuf>,
    /// The address to listen on. The default is this machine only; another address makes the
    /// server reachable from the network (put it behind a proxy that authenticates).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub bind: SocketAddr,
    /// Largest request body (an uploaded proposal file), MiB.
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    pub max_body_mb: usize,
    /// Longest a request may take, from its first byte to its answer, seconds.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub timeout_secs: u64,
    /// Requests answered at once; more get 503 with Retry-After.
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub max_requests: usize,
    /// Largest a zip upload may unpack to, MiB (zip bombs are refused as they unpack).
    #[arg(long, default_value_t = 512, value_name = "MIB")]
    pub max_unzipped_mb: u64,
    /// Most entries in a zip upload.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub max_zip_entries: usize,
    /// A file holding the token that `POST /v1/reload` must carry (Authorization: Bearer
    /// TOKEN); without it only SIGHUP reloads. The environment variable
    /// IRONRULE_RELOAD_TOKEN works too.
    #[arg(long, value_name = "FILE")]
    pub reload_token_file: Option<PathBuf>,
}

pub fn run(args: ServeArgs) -> Result<u8> {
    let project = super::project(args.project.as_ref())?.path;
    let reload_token = match &args.reload_token_file {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("--reload-token-file {}", p.display()))?
                .trim()
                .to_owned(),
        ),
        None => std::env::var("IRONRULE_RELOAD_TOKEN").ok(),
    }
    .filter(|t| !t.is_empty());
    if reload_token.as_ref().is_some_and(|t| t.len() < 16) {
        anyhow::bail!("the reload token must be at least 16 characters");
    }
    if args.max_body_mb == 0 || args.timeout_secs == 0 || args.max_requests == 0 {
        anyhow::bail!("--max-body-mb, --timeout-secs and --max-requests must be at least 1");
    }
    let config = Config {
        project,
        bind: args.bind,
        limits: Limits {
            max_body_bytes: args.max_body_mb << 20,
            timeout: Duration::from_secs(args.timeout_secs),
            max_requests: args.max_requests,
            max_unzipped_bytes: args.max_unzipped_mb << 20,
            max_zip_entries: args.max_zip_entries,
            ..Limits::default()
        },
        reload_token,
    };
    let loopback = args.bind.ip().is_loopback();
    crate::serve::run(config, |addr, loaded| {
        eprintln!(
            "ironrule serve: {} ({} rules, {} layers) on http://{addr}/ — Ctrl-C or SIGTERM stops, SIGHUP reloads",
            loaded.project_name(),
            loaded.rule_count(),
            loaded.layer_count(),
        );
        if !loopback {
            eprintln!(
                "warning: listening on {addr}, reachable from other machines: the API has no authentication of its own"
            );
        }
    })?;
    Ok(0)
}
