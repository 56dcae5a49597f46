//! Peak memory while a server sends a 100 MiB line with no newline: the
//! client's memory stays bounded by its event-size cap, not by what the
//! server sends. Measured as the growth of this process's peak resident set
//! (`VmHWM`), which is why this test has a file (a process) of its own and
//! runs only on Linux.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
#![cfg(target_os = "linux")]

mod common;

use bytes::Bytes;
use chatstream::ErrorKind;
use chatstream_testkit::mock::Reply;
use chatstream_testkit::process;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mib_line_costs_no_more_than_the_event_cap() {
    const MIB: usize = 1 << 20;
    const CAP: usize = 8 * MIB;
    // 100 MiB of one 64 KiB buffer, shared: the server holds 64 KiB however
    // many times it sends it.
    let piece = Bytes::from(vec![b'a'; 64 * 1024]);
    let mut pieces = vec![Bytes::from_static(b"data: ")];
    pieces.extend(std::iter::repeat_n(piece, 100 * MIB / (64 * 1024)));
    let server = serve(Reply::sse(Bytes::new()).pieces(pieces)).await;
    let capped = builder(&server).max_event_size(CAP).build().unwrap();
    // Warm up the allocator and the connection pool with a short exchange,
    // then take the baseline.
    let short = serve(Reply::sse(
        event("w", 0, "warm", Some("stop")) + "data: [DONE]\n\n",
    ))
    .await;
    let (_, warm_error, _) = stream_through(&client(&short)).await;
    assert!(warm_error.is_none());
    let baseline = process::memory().unwrap().peak;

    let mut stream = capped
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let (delivered, error) = drain(&mut stream).await;
    assert!(delivered.is_empty());
    assert_eq!(error.unwrap().kind(), ErrorKind::Decode);
    let growth_mib =
        (process::memory().unwrap().peak.saturating_sub(baseline)) as f64 / (1 << 20) as f64;
    // The decoder holds at most the cap (plus one read of slack); hyper's
    // read buffer and the server's socket buffers add a few MiB. Reading the
    // whole line would have cost 100 MiB.
    assert!(
        growth_mib < 3.0 * (CAP / MIB) as f64,
        "peak memory grew by {growth_mib:.1} MiB for a {} MiB cap",
        CAP / MIB
    );
}
