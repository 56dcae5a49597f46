//! The memory targets of the load benchmark (`cargo xtask load`), in one
//! place for the benchmark that checks them and the report that renders
//! them: per idle open stream, 16 KiB over HTTP/1.1, where every stream has
//! a connection of its own, and 8 KiB over HTTP/2, where streams share them.

/// The target for the memory of one idle open stream over HTTP/1.1.
pub const HTTP1_BYTES_PER_STREAM: u64 = 16 * 1024;

/// The target for the memory of one idle open stream over HTTP/2.
pub const HTTP2_BYTES_PER_STREAM: u64 = 8 * 1024;

/// The target for a run over HTTP/2 (`http2`) or HTTP/1.1.
pub fn bytes_per_stream(http2: bool) -> u64 {
    if http2 {
        HTTP2_BYTES_PER_STREAM
    } else {
        HTTP1_BYTES_PER_STREAM
    }
}
