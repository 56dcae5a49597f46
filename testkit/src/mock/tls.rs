//! The TLS side of the mock: a CA and a server certificate generated when the
//! server starts (nothing on disk), and the rustls acceptor with ALPN `h2` and
//! `http/1.1`.
//!
//! rustls is used with its `ring` provider, passed explicitly, so nothing
//! depends on a process-wide default provider being installed.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// A server identity: the acceptor and the CA certificate a client trusts.
pub(crate) struct TlsIdentity {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) ca_cert_der: Vec<u8>,
}

fn cert_error(error: rcgen::Error) -> io::Error {
    io::Error::other(format!("mock TLS certificate: {error}"))
}

/// Makes a CA, a certificate for `names` (DNS names or IP addresses) signed
/// by it, and an acceptor presenting that certificate.
pub(crate) fn identity(names: &[&str]) -> io::Result<TlsIdentity> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(cert_error)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // A name of its own, so that a certificate from another mock's CA is an
    // unknown issuer rather than a bad signature by a same-named one.
    static CA_SERIAL: AtomicU64 = AtomicU64::new(1);
    let serial = CA_SERIAL.fetch_add(1, Ordering::Relaxed);
    ca_params.distinguished_name.push(
        DnType::CommonName,
        format!("chatstream mock CA {}-{serial}", std::process::id()),
    );
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(cert_error)?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(cert_error)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut leaf_params = CertificateParams::new(names).map_err(cert_error)?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "chatstream mock server");
    leaf_params.is_ca = IsCa::ExplicitNoCa;
    leaf_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate().map_err(cert_error)?;
    let leaf_cert = leaf_params
        .signed_by(&leaf_key, &issuer)
        .map_err(cert_error)?;

    let chain = vec![leaf_cert.der().clone(), ca_cert.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];

    Ok(TlsIdentity {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_cert_der: CertificateDer::as_ref(ca_cert.der()).to_vec(),
    })
}
