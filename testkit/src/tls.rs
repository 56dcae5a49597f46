//! A throwaway TLS server identity: a CA and a server certificate made when a
//! server starts (no key material on disk), and the rustls acceptor that
//! presents the certificate.
//!
//! Both TLS servers of this crate use it: the [`mock`](crate::mock) server of
//! the tests, and the `mock-server` binary with `--tls` (the load benchmark
//! over TLS). The binary's client runs in another process, so the CA
//! certificate also comes as PEM ([`Identity::ca_cert_pem`]), the form a
//! client reads from a file (`chatstream::ClientBuilder::add_root_certificate_pem`).
//!
//! The ALPN protocols are the caller's choice: a server offering only `h2`
//! makes every TLS client that speaks HTTP/2 use it, one offering only
//! `http/1.1` keeps them on HTTP/1.1, so a benchmark knows what it measured.
//!
//! rustls is used with its `ring` provider, passed explicitly, so nothing
//! depends on a process-wide default provider being installed.

use std::fmt;
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
#[derive(Clone)]
pub struct Identity {
    /// Accepts TLS connections with the server certificate, offering the
    /// ALPN protocols it was made with.
    pub acceptor: TlsAcceptor,
    /// The CA certificate that signed the server certificate (DER).
    pub ca_cert_der: Vec<u8>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field(
                "ca_cert_der",
                &format_args!("{} bytes", self.ca_cert_der.len()),
            )
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The CA certificate as PEM (one `BEGIN CERTIFICATE` block).
    pub fn ca_cert_pem(&self) -> String {
        pem("CERTIFICATE", &self.ca_cert_der)
    }
}

fn cert_error(error: rcgen::Error) -> io::Error {
    io::Error::other(format!("mock TLS certificate: {error}"))
}

/// Makes a CA, a certificate for `names` (DNS names or IP addresses) signed
/// by it, and an acceptor presenting that certificate and offering `alpn`
/// (most preferred first, e.g. `[b"h2", b"http/1.1"]`).
///
/// # Errors
///
/// A name rcgen cannot put in a certificate, or a key or configuration
/// rustls refuses.
pub fn identity(names: &[&str], alpn: &[&[u8]]) -> io::Result<Identity> {
    let (ca_params, ca_key) = ca_params()?;
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
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();

    Ok(Identity {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_cert_der: CertificateDer::as_ref(ca_cert.der()).to_vec(),
    })
}

/// The parameters and key of a new CA.
fn ca_params() -> io::Result<(CertificateParams, KeyPair)> {
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
    Ok((ca_params, ca_key))
}

/// `der` as a PEM block labelled `label` (base64, 64 characters a line).
/// Written here because the PEM encoder of rcgen is behind a feature that
/// would add a crate for these few lines.
fn pem(label: &str, der: &[u8]) -> String {
    let encoded = base64(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    // Base64 is ASCII, so every 64-byte piece is a whole string.
    for line in encoded.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

/// Standard base64 (RFC 4648, with padding).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [
            group[0],
            group.get(1).copied().unwrap_or(0),
            group.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= group.len() {
                text.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_rfc_4648() {
        // The test vectors of RFC 4648, section 10.
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
    }

    #[test]
    fn the_ca_pem_is_a_certificate_rustls_reads() {
        let identity = identity(&["localhost"], &[b"h2"]).unwrap();
        let pem = identity.ca_cert_pem();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(pem.lines().all(|line| line.len() <= 64));
        use rustls::pki_types::pem::PemObject;
        let read = CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        assert_eq!(read.as_ref(), identity.ca_cert_der.as_slice());
    }
}
