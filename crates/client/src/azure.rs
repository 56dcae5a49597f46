//! Azure OpenAI: deployments instead of model names, an `api-key` header and
//! an `api-version` query parameter.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Maps a model name to an Azure deployment name.
pub type DeploymentMapper = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Azure OpenAI settings (see [`ClientBuilder::azure`](crate::ClientBuilder::azure)).
///
/// Requests go to
/// `{base_url}/openai/deployments/{deployment}/chat/completions?api-version={api_version}`
/// with the key in an `api-key` header. The deployment is looked up in the
/// explicit map first, then derived by the mapper; the default mapper is
/// go-openai's: for a model containing `3.5` it removes every `.` and `:`
/// (`gpt-3.5-turbo` → `gpt-35-turbo`), otherwise only `:`.
#[derive(Clone)]
pub(crate) struct Azure {
    pub(crate) api_version: String,
    pub(crate) deployments: HashMap<String, String>,
    pub(crate) mapper: Option<DeploymentMapper>,
}

impl Azure {
    pub(crate) fn new(api_version: String) -> Self {
        Azure {
            api_version,
            deployments: HashMap::new(),
            mapper: None,
        }
    }

    /// The deployment serving `model` (`UNKNOWN` when the mapping gives an
    /// empty name, as go-openai does).
    pub(crate) fn deployment(&self, model: &str) -> String {
        let deployment = match self.deployments.get(model) {
            Some(deployment) => deployment.clone(),
            None => match &self.mapper {
                Some(mapper) => mapper(model),
                None => default_deployment(model),
            },
        };
        if deployment.is_empty() {
            "UNKNOWN".to_owned()
        } else {
            deployment
        }
    }
}

impl fmt::Debug for Azure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Azure")
            .field("api_version", &self.api_version)
            .field("deployments", &self.deployments)
            .field("custom_mapper", &self.mapper.is_some())
            .finish()
    }
}

/// go-openai's default Azure model mapper.
///
/// ```
/// assert_eq!(chatstream::azure_default_deployment("gpt-3.5-turbo"), "gpt-35-turbo");
/// assert_eq!(chatstream::azure_default_deployment("gpt-4o"), "gpt-4o");
/// assert_eq!(chatstream::azure_default_deployment("ft:gpt-4o:org"), "ftgpt-4oorg");
/// ```
pub fn default_deployment(model: &str) -> String {
    if model.contains("3.5") {
        model.chars().filter(|c| *c != '.' && *c != ':').collect()
    } else {
        model.chars().filter(|c| *c != ':').collect()
    }
}
