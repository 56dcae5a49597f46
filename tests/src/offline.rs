//! How the examples reach a server: the real API when a key is set, else a
//! local server replaying a recorded stream, so every example runs offline.

use std::error::Error;

use chatstream::{Client, ClientBuilder};

use crate::data_dir;
use crate::mock::{MockServer, Reply, fixture_reply};

/// A client from the environment when `OPENAI_API_KEY` is set; otherwise a
/// client aimed at a local server replaying `fixture` (relative to
/// `tests/data/fixtures`) as shaped by `shape`, and that server, which must
/// be kept alive while the client is used. Says which on standard error,
/// with `note` appended.
///
/// # Errors
///
/// When the fixture cannot be read, the server cannot start, or the client
/// cannot be built from the environment.
pub async fn client_or_replay(
    fixture: &str,
    shape: impl FnOnce(Reply) -> Reply,
    note: &str,
) -> Result<(Client, Option<MockServer>), Box<dyn Error>> {
    if std::env::var("OPENAI_API_KEY").is_ok_and(|key| !key.is_empty()) {
        return Ok((ClientBuilder::from_env().build()?, None));
    }
    let path = data_dir().join("fixtures").join(fixture);
    let server = MockServer::start(shape(fixture_reply(&path)?)).await?;
    eprintln!(
        "(no OPENAI_API_KEY: replaying {} from {}{note})",
        path.display(),
        server.url()
    );
    let client = Client::builder()
        .base_url(server.url())
        .no_proxy()
        .build()?;
    Ok((client, Some(server)))
}
