//! HTTPS for the room. Phones give their position only to a secure page (HTTPS, or the PC's
//! own `localhost`), so `heatdesk serve` speaks TLS: with the company's certificate, or with
//! one `heatdesk cert` makes — a private certificate authority for the room (ca.pem, installed
//! once on its PCs and phones) and the server's certificate it signs.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The server's certificate (its chain, PEM) and private key (PEM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// What `heatdesk cert` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    /// The room's certificate authority: install it on the PCs and phones.
    pub ca: PathBuf,
    /// The server's certificate and key: `--tls-cert`, `--tls-key`.
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The names and addresses the server's certificate is good for.
    pub hosts: Vec<String>,
    pub valid_until: NaiveDate,
}

/// The server certificate's life: browsers refuse longer ones from a CA a user installed
/// (Apple: 825 days).
const SERVER_DAYS: i64 = 820;
/// The room's authority: ten years.
const CA_YEARS: i32 = 10;

/// This machine's name (a certificate's default host besides `localhost`).
pub fn this_host() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())?;
    let name = name.trim().to_lowercase();
    (!name.is_empty()).then_some(name)
}

/// Make the room's authority and a server certificate for `hosts` (this machine's name,
/// `localhost` and 127.0.0.1 when none are given) in `out`; nothing is overwritten.
pub fn make(out: &Path, hosts: &[String], today: NaiveDate) -> anyhow::Result<Made> {
    let hosts: Vec<String> = if hosts.is_empty() {
        this_host()
            .into_iter()
            .chain(["localhost".to_string(), "127.0.0.1".to_string()])
            .collect()
    } else {
        hosts.iter().map(|h| h.trim().to_lowercase()).collect()
    };
    for h in &hosts {
        let name_ok = !h.is_empty()
            && h.len() <= 253
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !(name_ok || h.parse::<IpAddr>().is_ok()) {
            anyhow::bail!(
                "--host {h:?}: not a host name or an IP address (letters, digits, '-' and '.')"
            );
        }
    }
    std::fs::create_dir_all(out)
        .map_err(|e| anyhow::anyhow!("{}: cannot make the folder: {e}", out.display()))?;
    let made = Made {
        ca: out.join("ca.pem"),
        cert: out.join("server.pem"),
        key: out.join("server-key.pem"),
        valid_until: today + chrono::Days::new(SERVER_DAYS as u64),
        hosts: hosts.clone(),
    };
    for f in [&made.ca, &made.cert, &made.key] {
        if f.exists() {
            anyhow::bail!(
                "{}: already exists; refusing to overwrite it (phones and PCs trust the one there)",
                f.display()
            );
        }
    }
    let date = |d: NaiveDate| rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8);
    let yesterday = today - chrono::Days::new(1);

    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name.push(
        DnType::CommonName,
        format!("HeatDesk room CA ({})", hosts[0]),
    );
    ca.distinguished_name
        .push(DnType::OrganizationName, "HeatDesk");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = date(yesterday);
    ca.not_after = date(
        today
            .with_year(today.year() + CA_YEARS)
            .unwrap_or(made.valid_until),
    );
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;

    let mut server = CertificateParams::new(hosts.clone())?;
    server
        .distinguished_name
        .push(DnType::CommonName, hosts[0].clone());
    server.is_ca = IsCa::ExplicitNoCa;
    server.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.not_before = date(yesterday);
    server.not_after = date(made.valid_until);
    let server_key = KeyPair::generate()?;
    let issuer = Issuer::new(ca, ca_key);
    let server_cert = server.signed_by(&server_key, &issuer)?;

    write(&made.ca, &ca_cert.pem(), false)?;
    // the chain a browser is given: the server's certificate, then the authority's
    write(
        &made.cert,
        &format!("{}{}", server_cert.pem(), ca_cert.pem()),
        false,
    )?;
    write(&made.key, &server_key.serialize_pem(), true)?;
    Ok(made)
}

fn write(path: &Path, text: &str, private: bool) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = options
        .open(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?;
    std::io::Write::write_all(&mut f, text.as_bytes())
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))
}

/// The server's TLS set-up from its files, each problem naming the file.
pub async fn config(tls: &Tls) -> anyhow::Result<axum_server::tls_rustls::RustlsConfig> {
    for (flag, f) in [("--tls-cert", &tls.cert), ("--tls-key", &tls.key)] {
        if !f.is_file() {
            anyhow::bail!("{flag} {}: no such file", f.display());
        }
    }
    axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "--tls-cert {} / --tls-key {}: not a certificate and its key in PEM ({e})",
                tls.cert.display(),
                tls.key.display()
            )
        })
}
