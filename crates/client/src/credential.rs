//! Credentials that change: [`Credential`], and the provider the client asks
//! for one before each attempt (see
//! [`ClientBuilder::credential_provider`](crate::ClientBuilder::credential_provider)).
//!
//! Why a provider and not a setter: keys are rotated, and Azure OpenAI with
//! Entra ID wants a bearer token that expires about hourly. A client built
//! with a fixed key has to be rebuilt — and its connection pool thrown away
//! — to pick up a new one. A provider is asked before every attempt (retries
//! included), so a refreshed token is used as soon as it exists; caching and
//! refreshing are the provider's business (a token provider usually returns
//! its cached token until shortly before it expires).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::BytesMut;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};

use crate::error::{BoxError, Error, ErrorKind, Result};

/// A credential for one request: which header carries it, and its value
/// (marked sensitive: `Debug` never shows it, and neither does any error).
///
/// ```
/// use chatstream::Credential;
///
/// let bearer = Credential::bearer("eyJ0eXAi...")?; // Authorization: Bearer …
/// let azure_key = Credential::header("api-key", "0123abcd")?;
/// assert!(!format!("{bearer:?}").contains("eyJ0eXAi"));
/// # Ok::<(), chatstream::Error>(())
/// ```
#[derive(Clone)]
pub struct Credential {
    pub(crate) name: HeaderName,
    pub(crate) value: HeaderValue,
}

impl Credential {
    /// `Authorization: Bearer <token>` — an OpenAI key, or an Entra ID
    /// access token for Azure OpenAI.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Credential`] when the token is not a valid header value.
    pub fn bearer(token: impl AsRef<str>) -> Result<Credential> {
        let token = token.as_ref();
        let mut bearer = BytesMut::with_capacity(7 + token.len());
        bearer.extend_from_slice(b"Bearer ");
        bearer.extend_from_slice(token.as_bytes());
        Credential::new(
            AUTHORIZATION,
            HeaderValue::from_maybe_shared(bearer.freeze()),
        )
    }

    /// The credential in the header `name` as it is (`api-key` for an Azure
    /// key, `x-api-key` for some gateways).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Credential`] when the name or the value is not valid in
    /// HTTP.
    pub fn header(name: &str, value: impl AsRef<str>) -> Result<Credential> {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            Error::new(
                ErrorKind::Credential,
                "the credential's header name is not valid in HTTP",
            )
        })?;
        Credential::new(name, HeaderValue::from_str(value.as_ref()))
    }

    fn new<E>(name: HeaderName, value: Result<HeaderValue, E>) -> Result<Credential> {
        let mut value = value.map_err(|_| {
            // The value itself is not quoted: it is a secret.
            Error::new(
                ErrorKind::Credential,
                "the credential is not a valid header value",
            )
        })?;
        value.set_sensitive(true);
        Ok(Credential { name, value })
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("header", &self.name)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// The future a provider returns.
pub(crate) type CredentialFuture =
    Pin<Box<dyn Future<Output = std::result::Result<Credential, BoxError>> + Send>>;

/// A provider as the client holds it.
#[derive(Clone)]
pub(crate) struct Provider(pub(crate) Arc<dyn Fn() -> CredentialFuture + Send + Sync>);

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Provider(..)")
    }
}

impl Provider {
    /// The credential for the next attempt, or the typed error saying the
    /// provider failed (nothing is sent then).
    pub(crate) async fn credential(&self) -> Result<Credential> {
        (self.0)().await.map_err(|error| {
            Error::new(
                ErrorKind::Credential,
                "the credential provider failed; nothing was sent",
            )
            .with_source(error)
        })
    }
}
