//! Configuration from the environment, as the official SDKs read it.
//!
//! | variable | setting |
//! |---|---|
//! | `OPENAI_API_KEY` | [`ClientBuilder::api_key`] |
//! | `OPENAI_BASE_URL` | [`ClientBuilder::base_url`] |
//! | `OPENAI_ORG_ID` | [`ClientBuilder::organization`] |
//! | `OPENAI_PROJECT_ID` | [`ClientBuilder::project`] |
//! | `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY` | proxies (read by every builder unless [`ClientBuilder::no_proxy`]) |
//!
//! Precedence: a setter called after [`ClientBuilder::from_env`] wins over
//! the environment, which wins over the defaults. Empty variables count as
//! unset.

use crate::builder::ClientBuilder;

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

impl ClientBuilder {
    /// A builder configured from the environment (see the table in the
    /// [`env` docs](crate#configuration-from-the-environment)); later setters
    /// override it.
    pub fn from_env() -> Self {
        let mut builder = ClientBuilder::new();
        if let Some(key) = var("OPENAI_API_KEY") {
            builder = builder.api_key(key);
        }
        if let Some(url) = var("OPENAI_BASE_URL") {
            builder = builder.base_url(url);
        }
        if let Some(organization) = var("OPENAI_ORG_ID") {
            builder = builder.organization(organization);
        }
        if let Some(project) = var("OPENAI_PROJECT_ID") {
            builder = builder.project(project);
        }
        builder
    }
}
