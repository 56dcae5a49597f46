//! A JSON answer to a streaming request: a server (or a proxy) that ignored
//! `"stream": true`. Its body is an error object or a whole completion; a
//! completion is delivered as one chunk, so nothing the server sent is
//! dropped.

use bytes::Bytes;
use chatstream_types::{
    AudioDelta, ChatCompletion, ChatCompletionChunk, ChunkChoice, ChunkDelta, ChunkParser, Content,
    CustomToolCallDelta, FunctionCallDelta, ToolCallDelta,
};

use crate::error::{Error, ErrorKind, Result};
use crate::snippet::body_snippet;

/// A JSON body: an error object, or a whole completion (the server ignored
/// `"stream": true`), as one chunk; parsed within `parser`'s limits.
pub(crate) fn whole_completion(body: &Bytes, parser: &ChunkParser) -> Result<ChatCompletionChunk> {
    if let Ok(chatstream_types::ErrorResponse { error: Some(api) }) =
        parser.parse_error_response(body)
    {
        return Err(
            Error::new(ErrorKind::Api, "the server answered with an error body").with_api(api),
        );
    }
    let completion: ChatCompletion = parser.parse_completion(body).map_err(|e| {
        Error::new(
            ErrorKind::Decode,
            format!(
                "the JSON body is neither an error nor a completion: {}",
                body_snippet(body)
            ),
        )
        .with_source(e)
        .with_body(body.clone())
    })?;
    Ok(completion_as_chunk(completion))
}

/// A whole completion as one chunk whose deltas hold each full message.
fn completion_as_chunk(completion: ChatCompletion) -> ChatCompletionChunk {
    let mut chunk = ChatCompletionChunk {
        id: completion.id.into(),
        object: completion.object.into(),
        created: completion.created,
        model: completion.model.into(),
        ..ChatCompletionChunk::default()
    };
    chunk.system_fingerprint = completion.system_fingerprint.map(Into::into);
    chunk.service_tier = completion.service_tier;
    chunk.usage = completion.usage.map(Box::new);
    chunk.prompt_filter_results = completion.prompt_filter_results;
    chunk.extra = completion.extra;
    for choice in completion.choices {
        let message = choice.message;
        let mut delta = ChunkDelta {
            role: Some(message.role),
            content: message.content.map(|content| match content {
                Content::Text(text) => Content::Text(text),
                parts => parts,
            }),
            refusal: message.refusal,
            reasoning_content: message.reasoning_content,
            reasoning: message.reasoning,
            audio: message.audio.map(|audio| {
                Box::new(AudioDelta {
                    id: Some(audio.id),
                    data: Some(audio.data),
                    transcript: Some(audio.transcript),
                    expires_at: audio.expires_at,
                    extra: audio.extra,
                })
            }),
            annotations: message.annotations.map(Box::new),
            extra: message.extra,
            ..ChunkDelta::default()
        };
        delta.tool_calls = message.tool_calls.map(|calls| {
            calls
                .into_iter()
                .enumerate()
                .map(|(index, call)| ToolCallDelta {
                    index: u32::try_from(index).ok(),
                    id: Some(call.id),
                    kind: Some(call.kind),
                    function: call.function.map(|function| FunctionCallDelta {
                        name: Some(function.name),
                        arguments: Some(function.arguments),
                        extra: function.extra,
                    }),
                    custom: call.custom.map(|custom| {
                        Box::new(CustomToolCallDelta {
                            name: Some(custom.name),
                            input: Some(custom.input),
                            extra: custom.extra,
                        })
                    }),
                    extra: call.extra,
                })
                .collect()
        });
        delta.function_call = message.function_call.map(|call| {
            FunctionCallDelta {
                name: Some(call.name),
                arguments: Some(call.arguments),
                ..FunctionCallDelta::default()
            }
            .into()
        });
        let mut out = ChunkChoice {
            index: choice.index,
            delta,
            ..ChunkChoice::default()
        };
        out.logprobs = choice.logprobs;
        out.finish_reason = choice.finish_reason;
        out.content_filter_results = choice.content_filter_results.map(Into::into);
        out.extra = choice.extra;
        chunk.choices.push(out);
    }
    chunk
}
