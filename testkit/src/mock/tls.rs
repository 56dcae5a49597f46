//! The TLS side of the mock: a CA and a server certificate generated when the
//! server starts (nothing on disk), and the rustls acceptor with the ALPN
//! protocols the server offers (`h2` and `http/1.1` unless told otherwise, so
//! a client may negotiate either).
//!
//! The identity itself is made by [`crate::tls`], which the `mock-server`
//! binary shares (it offers one protocol at a time); this module only fixes
//! what the mock offers.

use std::io;

use crate::tls::Identity;

/// Makes a CA, a certificate for `names` (DNS names or IP addresses) signed
/// by it, and an acceptor presenting that certificate and offering `alpn`.
pub(crate) fn identity(names: &[&str], alpn: &[&[u8]]) -> io::Result<Identity> {
    crate::tls::identity(names, alpn)
}
