//! `chatstream-sse`: an incremental Server-Sent Events decoder.
//!
//! Work in progress: the decoder lands in the next commit.
