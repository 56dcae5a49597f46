//! The TLS configuration: rustls with the ring provider and safe defaults,
//! the built-in roots (webpki or native) plus any the caller adds — or a
//! whole `rustls::ClientConfig` the caller brings (client certificates, a
//! custom verifier, another crypto provider).

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::error::BoxError;

/// TLS settings gathered by the builder.
#[derive(Clone, Default)]
pub(crate) struct TlsSettings {
    /// Extra trusted roots, DER.
    pub(crate) der_roots: Vec<Vec<u8>>,
    /// Extra trusted roots, PEM (each may hold several certificates).
    pub(crate) pem_roots: Vec<Vec<u8>>,
    /// Whether the built-in roots (webpki or native) are left out.
    pub(crate) no_built_in_roots: bool,
    /// A configuration given whole, used instead of building one.
    pub(crate) given: Option<rustls::ClientConfig>,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("der_roots", &self.der_roots.len())
            .field("pem_roots", &self.pem_roots.len())
            .field("no_built_in_roots", &self.no_built_in_roots)
            .field("given", &self.given.is_some())
            .finish()
    }
}

/// The rustls client configuration the connector uses, without ALPN
/// protocols (the connector sets `h2` and `http/1.1`).
///
/// A configuration given whole is used as it is, except its ALPN list,
/// which the client owns: it speaks HTTP/1.1 and HTTP/2 and must know which
/// one was negotiated. Root settings alongside a whole configuration are a
/// contradiction (they would be silently ignored) and fail.
pub(crate) fn tls_config(settings: &TlsSettings) -> Result<rustls::ClientConfig, BoxError> {
    if let Some(given) = &settings.given {
        if !settings.der_roots.is_empty()
            || !settings.pem_roots.is_empty()
            || settings.no_built_in_roots
        {
            return Err("root certificate settings cannot be combined with a whole \
                        rustls::ClientConfig (put the roots in that configuration)"
                .into());
        }
        let mut config = given.clone();
        config.alpn_protocols.clear();
        return Ok(config);
    }
    let roots = root_store(settings)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// The trusted roots: built-in ones unless left out, then the added ones.
fn root_store(settings: &TlsSettings) -> Result<rustls::RootCertStore, BoxError> {
    let mut roots = rustls::RootCertStore::empty();
    if !settings.no_built_in_roots {
        #[cfg(feature = "webpki-roots")]
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        #[cfg(feature = "native-roots")]
        {
            let native = rustls_native_certs::load_native_certs();
            for cert in native.certs {
                // A certificate the platform store holds but rustls cannot
                // parse is skipped, as browsers do.
                let _ = roots.add(cert);
            }
        }
    }
    for der in &settings.der_roots {
        roots.add(CertificateDer::from(der.clone()))?;
    }
    for pem in &settings.pem_roots {
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            roots.add(cert.map_err(|e| format!("a root certificate's PEM: {e}"))?)?;
            found += 1;
        }
        if found == 0 {
            return Err("no `BEGIN CERTIFICATE` block in a root certificate's PEM".into());
        }
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn pem_without_a_certificate_fails() {
        let settings = TlsSettings {
            pem_roots: vec![b"not a certificate".to_vec()],
            ..TlsSettings::default()
        };
        let error = tls_config(&settings).unwrap_err().to_string();
        assert!(error.contains("BEGIN CERTIFICATE"), "{error}");
    }

    #[test]
    fn a_broken_pem_block_fails() {
        let pem = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        let settings = TlsSettings {
            pem_roots: vec![pem.to_vec()],
            ..TlsSettings::default()
        };
        assert!(tls_config(&settings).is_err());
    }

    #[test]
    fn a_given_configuration_is_used_without_its_alpn_list() {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut given = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        given.alpn_protocols = vec![b"spdy/3".to_vec()];
        given.enable_sni = false;
        let settings = TlsSettings {
            given: Some(given),
            ..TlsSettings::default()
        };
        let config = tls_config(&settings).unwrap();
        assert!(config.alpn_protocols.is_empty());
        assert!(!config.enable_sni, "the rest is the caller's");

        let both = TlsSettings {
            no_built_in_roots: true,
            ..settings
        };
        assert!(
            tls_config(&both).is_err(),
            "roots and a whole config conflict"
        );
    }
}
