//! Unit tests of the parser's internals.

mod surrogates {
    use super::super::*;

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let mut parser = ChunkParser::new();
        // mock-llm's split of "1234567🦀 crab" into two chunks.
        let first = br#"{"id":"a","choices":[{"index":0,"delta":{"content":"1234567\ud83e"}}]}"#;
        let second = br#"{"id":"a","choices":[{"index":0,"delta":{"content":"\udd80 crab"}}]}"#;
        let text = |payload: StreamPayload| match payload {
            StreamPayload::Chunk(chunk) => chunk.choices[0]
                .delta
                .content_text()
                .map(|t| t.into_owned()),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            text(parser.parse_payload(first).unwrap()).as_deref(),
            Some("1234567\u{FFFD}")
        );
        assert_eq!(
            text(parser.parse_payload(second).unwrap()).as_deref(),
            Some("\u{FFFD} crab")
        );
        // A valid pair and other escapes are untouched.
        let pair = br#"{"choices":[{"index":0,"delta":{"content":"\ud83e\udd80 \"q\" \\u"}}]}"#;
        assert_eq!(
            text(parser.parse_payload(pair).unwrap()).as_deref(),
            Some("🦀 \"q\" \\u")
        );
        // Invalid JSON stays an error.
        assert!(parser.parse_payload(br#"{"content":"\ud83e"#).is_err());
        assert_eq!(replace_lone_surrogates(br#"{"a":"\ud83e\udd80"}"#), None);
        assert_eq!(
            replace_lone_surrogates(br#"{"a":"x\udd80","\ud83e":1}"#).as_deref(),
            Some(&br#"{"a":"x\ufffd","\ufffd":1}"#[..])
        );
    }
}

mod begin_stream {
    use super::super::*;

    /// A payload that shares neither its beginning nor its end with the
    /// one before it.
    fn unlike(i: u32) -> Vec<u8> {
        format!(r#"{{"id":"{i}","choices":[{{"index":0,"delta":{{"content":"{i}"}}}}],"x{i}":1}}"#)
            .into_bytes()
    }

    #[test]
    fn a_new_stream_is_looked_at_afresh() {
        let mut parser = ChunkParser::new();
        for i in 0..8 {
            parser.parse_payload(&unlike(i)).ok();
        }
        assert!(
            !parser.reuse.worth_recording(),
            "eight payloads sharing nothing should stop the recording"
        );
        parser.begin_stream();
        assert!(parser.reuse.worth_recording());
    }
}
