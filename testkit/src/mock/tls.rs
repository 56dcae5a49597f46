//! The TLS side of the mock: a CA and a server certificate generated when the
//! server starts (nothing on disk), and the rustls acceptor with ALPN `h2` and
//! `http/1.1`, so a client may negotiate either.
//!
//! The identity itself is made by [`crate::tls`], which the `mock-server`
//! binary shares (it offers one protocol at a time); this module only fixes
//! what the mock offers.

use std::io;

use crate::tls::Identity;

/// Makes a CA, a certificate for `names` (DNS names or IP addresses) signed
/// by it, and an acceptor presenting that certificate with ALPN `h2` and
/// `http/1.1`.
pub(crate) fn identity(names: &[&str]) -> io::Result<Identity> {
    crate::tls::identity(names, &[b"h2", b"http/1.1"])
}
