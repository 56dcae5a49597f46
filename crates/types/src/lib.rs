//! `chatstream-types`: serde models of OpenAI-compatible chat completions.
//!
//! Work in progress.
