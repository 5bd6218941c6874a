//! A private certificate authority made at test time, and a server certificate it signed for
//! `localhost` and `127.0.0.1`: what a relay on a private network presents. A client that trusts
//! only the usual public roots refuses it; one given [`TestCertificate::ca_pem`] accepts it.

use std::io;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA and a server certificate for `localhost` and `127.0.0.1` signed by it.
pub struct TestCertificate {
    ca_pem: String,
    /// The server's certificate, then the CA's.
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl TestCertificate {
    /// A new CA ("Remise test CA") and server certificate, with fresh ECDSA P-256 keys.
    pub fn localhost() -> io::Result<TestCertificate> {
        let ca_key = KeyPair::generate().map_err(other)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(other)?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Remise test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).map_err(other)?;

        let key = KeyPair::generate().map_err(other)?;
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .map_err(other)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "remise-test-sink");
        let certificate = params.signed_by(&key, &ca).map_err(other)?;
        Ok(TestCertificate {
            ca_pem: ca.pem(),
            chain: vec![certificate.der().clone(), ca.der().clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }

    /// The CA's certificate in PEM, as an operator would hand it to a client.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A rustls server configuration presenting the certificate (with ring, whatever provider
    /// the process has installed or not).
    pub fn server_config(&self) -> io::Result<Arc<ServerConfig>> {
        let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(other)?
            .with_no_client_auth()
            .with_single_cert(
                self.chain.clone(),
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )
            .map_err(other)?;
        Ok(Arc::new(config))
    }
}

fn other(error: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    io::Error::other(error)
}
