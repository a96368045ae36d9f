//! pgbench's built-in `tpcb-like` script against a scratch database on the
//! same server: the yardstick for transactions per second.

use std::path::PathBuf;

use anyhow::{Context, bail};
use tokio::process::Command;

use crate::database::{create_postgres_database, drop_postgres_database, postgres_server, unique_name};

/// A pgbench database, initialised with `pgbench -i` (scale 1).
pub struct PgBench {
    binary: PathBuf,
    server: String,
    name: String,
    url: String,
}

/// Where pgbench is: on `PATH`, else in `/usr/lib/postgresql/*/bin`.
fn find_pgbench() -> anyhow::Result<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("pgbench"))
        .find(|p| p.is_file());
    if let Some(found) = on_path {
        return Ok(found);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| dir.filter_map(Result::ok).map(|e| e.path().join("bin/pgbench")).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    versions.sort();
    versions.pop().context("pgbench is neither on PATH nor in /usr/lib/postgresql/*/bin")
}

impl PgBench {
    /// Creates a scratch database and runs `pgbench -i` on it.
    pub async fn init() -> anyhow::Result<PgBench> {
        let binary = find_pgbench()?;
        let server = postgres_server();
        let name = unique_name("pgbench");
        let url = create_postgres_database(&server, &name).await?;
        let bench = PgBench { binary, server, name, url };
        let out = Command::new(&bench.binary).args(["-i", "-q", &bench.url]).output().await?;
        if !out.status.success() {
            bench.remove().await?;
            bail!("pgbench -i failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(bench)
    }

    /// Runs `pgbench -c clients -j threads -T seconds -b tpcb-like` and
    /// returns its TPS (without the initial connection time).
    pub async fn tpcb_like(&self, clients: usize, threads: usize, seconds: u64) -> anyhow::Result<f64> {
        let args = [
            "-c".to_owned(),
            clients.to_string(),
            "-j".to_owned(),
            threads.to_string(),
            "-T".to_owned(),
            seconds.to_string(),
            "-b".to_owned(),
            "tpcb-like".to_owned(),
            self.url.clone(),
        ];
        let out = Command::new(&self.binary).args(&args).output().await?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            bail!("pgbench failed: {}{}", stdout, String::from_utf8_lossy(&out.stderr));
        }
        parse_tps(&stdout).with_context(|| format!("no TPS in pgbench's output:\n{stdout}"))
    }

    /// Drops the scratch database.
    pub async fn remove(self) -> anyhow::Result<()> {
        drop_postgres_database(&self.server, &self.name).await
    }
}

/// The figure of the line `tps = 706.86 (without initial connection time)`.
fn parse_tps(output: &str) -> Option<f64> {
    output
        .lines()
        .filter(|l| l.starts_with("tps = "))
        .find(|l| !l.contains("including"))
        .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_tps_without_connection_time_is_read() {
        let out = "latency average = 22.635 ms\ninitial connection time = 80.734 ms\n\
                   tps = 706.860172 (without initial connection time)\n";
        assert_eq!(super::parse_tps(out), Some(706.860172));
        assert_eq!(super::parse_tps("nothing"), None);
    }
}
