//! The ways to tell the client whom to trust over TLS, against the TLS mock
//! server (its CA made at test time): a root in DER, the same root in PEM,
//! and a whole `rustls::ClientConfig` — and that contradictory or unreadable
//! settings fail `build()` instead of connecting with other trust.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;

use chatstream::rustls;
use common::*;

fn done() -> Reply {
    Reply::sse(event("c", 0, "hi", Some("stop")) + "data: [DONE]\n\n")
}

async fn streams_to_done(client: &Client) {
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    while let Some(chunk) = stream.next().await {
        chunk.unwrap();
    }
    assert_eq!(stream.end_state(), Some(EndState::Done));
}

/// `der` as PEM text, with a line of noise before it as bundles have.
fn pem(der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for group in der.chunks(3) {
        let bits = group.iter().enumerate().fold(0u32, |acc, (i, byte)| {
            acc | u32::from(*byte) << (16 - 8 * i)
        });
        for i in 0..4 {
            if i <= group.len() {
                text.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize]));
            } else {
                text.push('=');
            }
        }
    }
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    format!(
        "# test CA\n-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

#[tokio::test]
async fn a_root_in_pem_is_trusted() {
    let server = MockServer::start_tls(done()).await.unwrap();
    let pem = pem(&server.ca_cert_der().unwrap());
    let client = builder(&server)
        .tls_built_in_roots(false)
        .add_root_certificate_pem(pem)
        .build()
        .unwrap();
    streams_to_done(&client).await;
}

#[tokio::test]
async fn without_the_root_the_connection_is_refused() {
    let server = MockServer::start_tls(done()).await.unwrap();
    let client = builder(&server).tls_built_in_roots(false).build().unwrap();
    let error = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect, "{error:?}");
}

#[tokio::test]
async fn a_whole_rustls_configuration_is_used_and_alpn_still_chooses_h2() {
    let server = MockServer::start_tls(done()).await.unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(
            server.ca_cert_der().unwrap(),
        ))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    // The client owns the ALPN list; a caller's list would make hyper-rustls
    // panic, so it is replaced.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let client = builder(&server).tls_config(config).build().unwrap();
    streams_to_done(&client).await;
    assert_eq!(server.requests()[0].version, "HTTP/2.0");
}

#[test]
fn unreadable_or_contradictory_trust_fails_the_build() {
    let pem_without_certificate = Client::builder()
        .add_root_certificate_pem("no certificate here")
        .build()
        .unwrap_err();
    assert_eq!(pem_without_certificate.kind(), ErrorKind::Builder);

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let both = Client::builder()
        .tls_config(config)
        .add_root_certificate_der(vec![0x30, 0x03, 0x02, 0x01, 0x00])
        .build()
        .unwrap_err();
    assert_eq!(both.kind(), ErrorKind::Builder);
    assert!(format!("{both:?}").contains("ClientConfig"), "{both:?}");
}
