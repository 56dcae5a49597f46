//! Which proxy a client goes through, decided once by the builder — and
//! refused there when it cannot be honoured.
//!
//! Why fail closed: a proxy is often an egress policy (the only way out of a
//! network, a gateway that logs and filters). hyper-util's matcher skips a
//! proxy URL it cannot parse or whose scheme it does not know, and the
//! connector would then connect directly — silently around the policy. So
//! the builder checks every proxy URL the client would use, the one given to
//! [`ClientBuilder::proxy`](crate::ClientBuilder::proxy) or those in the
//! environment (`ALL_PROXY`, `HTTP_PROXY`, `HTTPS_PROXY`, upper or lower
//! case), and [`build`](crate::ClientBuilder::build) fails with
//! [`ErrorKind::Builder`] for one it cannot speak: not a URL, no host, or a
//! scheme other than `http` (the client speaks HTTP proxies: CONNECT tunnels
//! for `https://` targets, forwarding for `http://` ones; not TLS to the
//! proxy itself, nor SOCKS). A URL without a scheme is `http://`, as curl
//! takes it. Messages name the setting, never the URL, which may carry a
//! password.
//!
//! In a CGI process (`REQUEST_METHOD` set) the environment's proxies are
//! ignored, as hyper-util does: there `HTTP_PROXY` may come from a request
//! header ("httpoxy").

use std::sync::Arc;

use http::Uri;
use hyper_util::client::proxy::matcher::Matcher;

use crate::error::{Error, ErrorKind, Result};

/// The environment variables hyper-util reads, each group in its order.
const ENVIRONMENT: [[&str; 2]; 3] = [
    ["ALL_PROXY", "all_proxy"],
    ["HTTP_PROXY", "http_proxy"],
    ["HTTPS_PROXY", "https_proxy"],
];

/// The proxies of a client: `url` for every request, or (without one, if
/// `from_env`) the environment's; each checked (see the [module docs](self)).
pub(crate) fn matcher(url: Option<&str>, from_env: bool) -> Result<Option<Arc<Matcher>>> {
    if let Some(url) = url {
        check(url, "the proxy URL")?;
        return Ok(Some(Arc::new(
            Matcher::builder().all(url.to_owned()).build(),
        )));
    }
    if !from_env {
        return Ok(None);
    }
    if std::env::var_os("REQUEST_METHOD").is_none() {
        for names in ENVIRONMENT {
            // The first of the two that is set. hyper-util reads only one
            // that is text, and takes one that is not for unset: refused here.
            let found = names
                .iter()
                .find_map(|name| std::env::var_os(name).map(|value| (*name, value)));
            if let Some((name, value)) = found {
                match value.to_str() {
                    Some("") => {}
                    Some(value) => check(value, name)?,
                    None => {
                        return Err(Error::new(ErrorKind::Builder, format!("{name}: not text")));
                    }
                }
            }
        }
    }
    Ok(Some(Arc::new(Matcher::from_env())))
}

/// Whether `url` is a proxy the client can speak; `what` names where it was
/// set, for the message.
fn check(url: &str, what: &str) -> Result<()> {
    let refuse = |why: &str| Err(Error::new(ErrorKind::Builder, format!("{what}: {why}")));
    let Ok(uri) = url.parse::<Uri>() else {
        return refuse("not a URL");
    };
    match uri.scheme_str() {
        None | Some("http") => {}
        Some("https") => {
            return refuse(
                "HTTPS proxies (TLS to the proxy itself) are not supported; use an http:// proxy",
            );
        }
        Some(scheme) if scheme.starts_with("socks") => {
            return refuse("SOCKS proxies are not supported; use an http:// proxy");
        }
        Some(_) => return refuse("not an http:// proxy URL"),
    }
    if uri.host().is_none_or(str::is_empty) {
        return refuse("no host");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_the_client_can_speak_pass() {
        for url in [
            "http://proxy.internal:3128",
            "http://user:secret@proxy.internal:3128",
            "proxy.internal:3128",
            "http://127.0.0.1:8080/",
        ] {
            assert!(check(url, "x").is_ok(), "{url}");
        }
    }

    #[test]
    fn proxies_it_cannot_speak_are_refused_without_showing_the_url() {
        for url in [
            "socks5://user:secret@proxy.internal:1080",
            "socks5h://proxy.internal:1080",
            "https://proxy.internal:443",
            "ftp://proxy.internal",
            "http://",
            "http://exa mple.com",
            "not a url",
            " http://proxy.internal:3128",
        ] {
            let error = check(url, "HTTPS_PROXY").unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Builder, "{url}");
            let shown = format!("{error} {error:?}");
            assert!(shown.contains("HTTPS_PROXY"), "{shown}");
            assert!(!shown.contains("secret"), "{shown}");
        }
    }
}
