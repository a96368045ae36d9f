//! Secrets on disk and keys as operators handle them: a private data
//! directory, a database others can read refused, keys from outside the
//! database checked before start, and API keys listed, rolled and revoked
//! from the command line, locally and through a server.

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use crate::serving::{demo_keys, http, serve};
use crate::support::{fresh_databases, open, spark_billing, stderr};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn chmod(path: &std::path::Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(billing_app::ids::new_id(name))
}

#[test]
fn the_data_directory_and_the_database_are_made_private_to_their_owner() {
    let dir = temp_dir("private").join("data");
    let listen = format!("127.0.0.1:{}", crate::support::free_port());
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_spark-billing"))
        .env_remove("DATABASE_URL")
        .args(["--data-dir", dir.to_str().unwrap(), "serve", "--listen", &listen])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    crate::support::wait_until_running(&mut server);
    server.kill().unwrap();
    server.wait().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_spark-billing"))
        .env_remove("DATABASE_URL")
        .args(["--data-dir", dir.to_str().unwrap(), "ledger", "check"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("spark-billing.sqlite3")), 0o600);
}

#[tokio::test]
async fn a_database_others_can_read_is_refused_naming_the_file_and_the_fix() {
    let dir = temp_dir("shared");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("db.sqlite3");
    let url = format!("sqlite://{}", file.display());
    open(&url).await;
    chmod(&file, 0o644);
    let refused = spark_billing(&url, &["ledger", "check"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(message.contains(&file.display().to_string()) && message.contains("chmod 600"), "{message}");
    assert!(message.contains("mode 644"), "{message}");
    chmod(&file, 0o600);
    let served = spark_billing(&url, &["ledger", "check"]).output().unwrap();
    assert!(served.status.success(), "{}", stderr(&served));
}

#[tokio::test]
async fn keys_given_outside_the_database_are_checked_before_anything_starts() {
    let dir = temp_dir("keys");
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("db.sqlite3").display());
    let key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = spark_billing(&url, args);
        command.env_remove("SPARK_BILLING_QUOTE_KEY").env_remove("SPARK_BILLING_COOKIE_KEY");
        command.envs(env.iter().copied()).output().unwrap()
    };
    let short = run(&["ledger", "check"], &[("SPARK_BILLING_QUOTE_KEY", "abcd")]);
    assert_eq!(short.status.code(), Some(1));
    assert!(stderr(&short).contains("SPARK_BILLING_QUOTE_KEY: key 1 is not hex"), "{}", stderr(&short));
    let file = dir.join("cookie-keys");
    std::fs::write(&file, format!("{key}\n")).unwrap();
    chmod(&file, 0o644);
    let shared = run(&["serve", "--cookie-key-file", file.to_str().unwrap()], &[]);
    assert_eq!(shared.status.code(), Some(1));
    assert!(stderr(&shared).contains("chmod 600"), "{}", stderr(&shared));
    chmod(&file, 0o600);
    let both = run(&["serve", "--cookie-key-file", file.to_str().unwrap()], &[("SPARK_BILLING_COOKIE_KEY", key)]);
    assert!(stderr(&both).contains("not both"), "{}", stderr(&both));
    let bad_url = run(&["serve", "--public-url", "billing.example.com"], &[]);
    assert!(stderr(&bad_url).contains("--public-url"), "{}", stderr(&bad_url));
    // A well-formed list is taken.
    let fine = run(&["ledger", "check"], &[("SPARK_BILLING_QUOTE_KEY", key)]);
    assert!(fine.status.success(), "{}", stderr(&fine));
}

#[test]
fn keys_are_listed_rolled_and_revoked_from_the_command_line_locally_and_through_a_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (backend, url) in runtime.block_on(fresh_databases()) {
        let dir = temp_dir("keys-cli");
        let server = serve(&url, &dir, &["--demo", "--no-workers"]);
        assert_eq!(mode(&dir), 0o700, "on {backend}");
        assert_eq!(mode(&dir.join("demo-keys.json")), 0o600, "on {backend}");
        let keys = demo_keys(&dir);
        let operator = keys["operator"].as_str().unwrap().to_owned();
        let customer = keys["customers"]["acme-analytics"].as_str().unwrap().to_owned();
        let remote = format!("http://{}", server.addr);
        let cli = |args: &[&str]| {
            let mut command = spark_billing(&url, &["--server", &remote]);
            command.args(args).env("SPARK_BILLING_API_KEY", &operator).output().unwrap()
        };
        let listed = cli(&["keys", "list", "--format", "json"]);
        assert!(listed.status.success(), "on {backend}: {}", stderr(&listed));
        let all: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
        let (_, accounts) = http(server.addr, "GET", "/api/v1/accounts", &customer, None, None);
        let account = accounts[0]["id"].as_str().unwrap();
        let id = all.as_array().unwrap().iter().find(|k| k["account_id"] == account).unwrap()["id"].as_str().unwrap();
        // Rolled locally: the new secret is printed, the old key stops.
        let rolled = spark_billing(&url, &["keys", "roll", id]).output().unwrap();
        assert!(rolled.status.success(), "on {backend}: {}", stderr(&rolled));
        let secret = stdout(&rolled).trim().to_owned();
        assert!(secret.starts_with("sbk_"), "on {backend}: {secret}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while http(server.addr, "GET", "/api/v1/accounts", &customer, None, None).0 != 401 {
            assert!(std::time::Instant::now() < deadline, "on {backend}: the server still takes the rolled key");
        }
        assert_eq!(http(server.addr, "GET", "/api/v1/accounts", &secret, None, None).0, 200, "on {backend}");
        // Revoked through the server: refused by its next request.
        let table = cli(&["keys", "list", "--account", account]);
        let new_id = stdout(&table)
            .lines()
            .find(|l| l.contains(account) && l.trim_end().ends_with('-'))
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        let revoked = cli(&["keys", "revoke", &new_id]);
        assert!(stdout(&revoked).starts_with(&format!("revoked {new_id} at ")), "on {backend}: {}", stderr(&revoked));
        assert_eq!(http(server.addr, "GET", "/api/v1/accounts", &secret, None, None).0, 401, "on {backend}");
        let missing = cli(&["keys", "revoke", "key_missing"]);
        assert!(stderr(&missing).contains("(NOT_FOUND)"), "on {backend}: {}", stderr(&missing));
    }
}
