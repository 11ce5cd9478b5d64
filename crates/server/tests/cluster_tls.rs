//! A cluster whose NATS is not an open loopback port: a NATS server of the test's own (the
//! machine's `nats-server` binary on a free loopback port) that requires TLS and verifies
//! its clients' certificates, or asks for a password. Certificates are made by the test
//! (rcgen): a CA, the server's certificate, a node's certificate, and a stranger's CA and
//! certificate.
//!
//! Nodes holding the CA and a certificate it signed join and hear each other; a node without
//! a certificate, trusting another CA, or requiring TLS of a plain NATS is refused at start
//! with exit code 1 and "cannot reach NATS"; a password in the URL works and never shows in
//! an error. Skipped (saying so) without PostgreSQL, NATS or `nats-server`, unless
//! `REFEREE_REQUIRE_POSTGRES=1` / `REFEREE_REQUIRE_NATS=1`.

mod common;

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::cluster::{NodeProc, PATIENCE, db_url, nats_url, referee, services};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use referee_store::pg_testing::TestSchema;

const NATS_SERVER: &str = "/usr/sbin/nats-server";

/// A `nats-server` of the test's own, killed when dropped.
struct OwnNats {
    child: Child,
    port: u16,
}

impl OwnNats {
    /// Starts `nats-server` on a free loopback port with `flags`, or `None` (the test
    /// skipped, saying why) when the binary is not here and NATS is not required.
    fn start(flags: &[&str]) -> Option<OwnNats> {
        if !Path::new(NATS_SERVER).exists() {
            let required = std::env::var("REFEREE_REQUIRE_NATS").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "REFEREE_REQUIRE_NATS=1 but {NATS_SERVER} is missing"
            );
            eprintln!("skipped: {NATS_SERVER} is not installed (Debian package nats-server)");
            return None;
        }
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = free
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        drop(free);
        let child = Command::new(NATS_SERVER)
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .args(flags)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {NATS_SERVER}: {e}"));
        let nats = OwnNats { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < PATIENCE, "nats-server did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(nats)
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnNats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// PEM files in a directory of their own.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    /// A CA with the server's certificate (for 127.0.0.1) and a node's; and a stranger CA
    /// with a certificate of its own.
    fn make() -> Pki {
        let pki = Pki {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        };
        let ca = pki.authority("ca");
        pki.leaf("server", &ca);
        pki.leaf("node", &ca);
        let stranger = pki.authority("stranger-ca");
        pki.leaf("stranger", &stranger);
        pki
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn write(&self, name: &str, pem: &str) {
        std::fs::write(self.dir.path().join(name), pem).unwrap_or_else(|e| panic!("{e}"));
    }

    fn authority(&self, name: &str) -> Issuer<'static, KeyPair> {
        let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let mut params =
            CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap_or_else(|e| panic!("{e}"));
        self.write(&format!("{name}.pem"), &cert.pem());
        Issuer::new(params, key)
    }

    fn leaf(&self, name: &str, issuer: &Issuer<'static, KeyPair>) {
        let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap_or_else(|e| panic!("{e}"));
        let cert = params
            .signed_by(&key, issuer)
            .unwrap_or_else(|e| panic!("{e}"));
        self.write(&format!("{name}.pem"), &cert.pem());
        self.write(&format!("{name}-key.pem"), &key.serialize_pem());
    }

    /// NATS requiring TLS with the server's certificate, verifying clients against the CA.
    fn verifying_nats(&self) -> Option<OwnNats> {
        let (cert, key, ca) = (
            self.path("server.pem"),
            self.path("server-key.pem"),
            self.path("ca.pem"),
        );
        OwnNats::start(&[
            "--tlsverify",
            "--tlscert",
            &cert,
            "--tlskey",
            &key,
            "--tlscacert",
            &ca,
        ])
    }

    /// The flags of a node trusting `ca`, presenting `cert` (with its key) if given.
    fn flags(&self, ca: &str, cert: Option<&str>) -> Vec<String> {
        let mut flags = vec!["--cluster-ca".to_owned(), self.path(&format!("{ca}.pem"))];
        if let Some(cert) = cert {
            flags.extend([
                "--cluster-cert".to_owned(),
                self.path(&format!("{cert}.pem")),
                "--cluster-key".to_owned(),
                self.path(&format!("{cert}-key.pem")),
            ]);
        }
        flags
    }
}

/// `referee serve` as node `name` of `pg`'s cluster on `nats` with `flags`, expected to stop
/// at start: its output.
fn refused_start(pg: &TestSchema, nats: &str, name: &str, flags: &[String]) -> Output {
    referee()
        .args(["--db", &db_url(pg), "--cluster", nats, "--node", name])
        .args(flags)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn assert_refused(output: &Output, nats: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("referee: cannot reach NATS at {nats}")),
        "{stderr}"
    );
}

/// Node `of`'s `/api/cluster` lists `peer` among the nodes it hears through NATS.
async fn hears(of: &NodeProc, peer: &str) -> bool {
    let started = Instant::now();
    loop {
        let view = of.cluster().await;
        let heard = view["peers"]
            .as_array()
            .is_some_and(|peers| peers.iter().any(|p| p["node"] == peer));
        if heard || started.elapsed() > PATIENCE {
            return heard;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn nodes_with_certificates_join_a_nats_that_verifies_clients_and_hear_each_other() {
    let Some(pg) = services("cluster_tls_join").await else {
        return;
    };
    let pki = Pki::make();
    let Some(nats) = pki.verifying_nats() else {
        return;
    };
    let mut extra = vec!["--cluster".to_owned(), nats.url()];
    extra.extend(pki.flags("ca", Some("node")));
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let a = NodeProc::start(&pg, "a", &extra);
    let b = NodeProc::start(&pg, "b", &extra);
    assert!(hears(&a, "b").await, "a never heard b: {:?}", a.log());
    assert!(hears(&b, "a").await, "b never heard a: {:?}", b.log());
    let view = a.cluster().await;
    assert!(view["nats_rtt_us"].is_u64(), "{view}");
}

#[tokio::test]
async fn a_node_without_a_certificate_or_trusting_another_ca_is_refused() {
    let Some(pg) = services("cluster_tls_refused").await else {
        return;
    };
    let pki = Pki::make();
    let Some(nats) = pki.verifying_nats() else {
        return;
    };
    let url = nats.url();
    // The server's certificate checks out, but the node has none to show.
    assert_refused(
        &refused_start(&pg, &url, "bare", &pki.flags("ca", None)),
        &url,
    );
    // A certificate from another CA: the server refuses it.
    let stranger = pki.flags("ca", Some("stranger"));
    assert_refused(&refused_start(&pg, &url, "stranger", &stranger), &url);
    // The node trusts another CA: it refuses the server.
    let wrong_ca = pki.flags("stranger-ca", Some("node"));
    assert_refused(&refused_start(&pg, &url, "wrong_ca", &wrong_ca), &url);
    assert_eq!(
        pg.count("SELECT COUNT(*) FROM cluster_nodes"),
        Ok(0),
        "none registered"
    );
}

#[tokio::test]
async fn a_node_requiring_tls_refuses_a_plain_nats() {
    let Some(pg) = services("cluster_tls_plain").await else {
        return;
    };
    let pki = Pki::make();
    let url = nats_url();
    assert_refused(
        &refused_start(&pg, &url, "strict", &pki.flags("ca", None)),
        &url,
    );
}

#[tokio::test]
async fn a_certificate_without_its_key_is_a_usage_error() {
    let Some(pg) = services("cluster_tls_half").await else {
        return;
    };
    let pki = Pki::make();
    let flags = vec!["--cluster-cert".to_owned(), pki.path("node.pem")];
    let output = refused_start(&pg, &nats_url(), "half", &flags);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--cluster-key"), "{stderr}");
}

#[tokio::test]
async fn a_password_in_the_url_works_and_never_shows_in_an_error() {
    let Some(pg) = services("cluster_nats_password").await else {
        return;
    };
    let password = format!("pw{:016x}", rand::random::<u64>());
    let Some(nats) = OwnNats::start(&["--user", "referee", "--pass", &password]) else {
        return;
    };
    let with = |pass: &str| format!("nats://referee:{pass}@127.0.0.1:{}", nats.port);
    let good = with(&password);
    let node = NodeProc::start(&pg, "a", &["--cluster", &good]);
    assert!(node.cluster().await["nats_rtt_us"].is_u64());
    assert!(
        node.log().iter().all(|line| !line.contains(&password)),
        "the password was logged"
    );
    let wrong = format!("{password}x");
    let output = refused_start(&pg, &with(&wrong), "b", &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_refused(&output, &format!("nats://***@127.0.0.1:{}", nats.port));
    assert!(!stderr.contains(&wrong), "the password shows: {stderr}");
}

#[tokio::test]
async fn a_token_in_the_url_works() {
    let Some(pg) = services("cluster_nats_token").await else {
        return;
    };
    let token = format!("tok{:016x}", rand::random::<u64>());
    let Some(nats) = OwnNats::start(&["--auth", &token]) else {
        return;
    };
    let url = format!("nats://{token}@127.0.0.1:{}", nats.port);
    let node = NodeProc::start(&pg, "a", &["--cluster", &url]);
    assert!(node.cluster().await["nats_rtt_us"].is_u64());
    let refused = refused_start(&pg, &nats.url(), "b", &[]);
    assert_refused(&refused, &nats.url());
}
