//! go-openai's request checks (chat_stream_test.go and chat_test.go cases).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use chatstream_types::{
    ChatCompletionMessage, ChatCompletionRequest, LEGACY_COMPLETION_MODELS, ReasoningEffort,
    ValidationError, check_chat_model, is_reasoning_model, validate_reasoning_request,
};

fn request(model: &str) -> ChatCompletionRequest {
    ChatCompletionRequest::new(model, vec![ChatCompletionMessage::user("Hello!")])
}

#[test]
fn the_fifteen_legacy_models_are_refused_and_nothing_else() {
    assert_eq!(LEGACY_COMPLETION_MODELS.len(), 15);
    for model in LEGACY_COMPLETION_MODELS {
        assert_eq!(
            check_chat_model(model),
            Err(ValidationError::InvalidModel {
                model: model.to_owned()
            })
        );
    }
    for model in [
        "gpt-4o",
        "davinci-002",
        "babbage-002",
        "ADA",
        "ada-2",
        "deepseek-reasoner",
        "",
    ] {
        assert_eq!(check_chat_model(model), Ok(()), "{model}");
    }
}

#[test]
fn wrong_model_ada_with_max_tokens() {
    // TestChatCompletionsStreamWrongModel: model "ada", MaxTokens 5.
    let request = request("ada").max_tokens(5);
    assert!(matches!(
        check_chat_model(&request.model),
        Err(ValidationError::InvalidModel { .. })
    ));
}

#[test]
fn reasoning_models_refuse_max_tokens() {
    // TestCreateChatCompletionStream{,O3,O4Mini}ReasoningValidatorFails.
    for model in [
        "o3-mini",
        "o3",
        "o4-mini",
        "o1-preview",
        "gpt-5",
        "gpt-5.1-codex",
    ] {
        assert_eq!(
            validate_reasoning_request(&request(model).max_tokens(100)),
            Err(ValidationError::ReasoningMaxTokensDeprecated),
            "{model}"
        );
    }
    // A reasoning model with max_completion_tokens passes (TestCreateChatCompletionStreamWithReasoningModel).
    assert_eq!(
        validate_reasoning_request(&request("o3-mini-2025-01-31").max_completion_tokens(2000)),
        Ok(())
    );
}

#[test]
fn reasoning_model_limitations_in_go_openai_order() {
    use ValidationError::*;
    let cases: Vec<(ChatCompletionRequest, Result<(), ValidationError>)> = vec![
        (request("o1-mini").logprobs(true), Err(ReasoningLogprobs)),
        (request("o1-mini").logprobs(false), Ok(())),
        (request("o3").temperature(0.5), Err(ReasoningOther)),
        (request("o3").temperature(1.0), Ok(())),
        (request("o3").temperature(0.0), Ok(())),
        (request("gpt-5").top_p(0.9), Err(ReasoningOther)),
        (request("gpt-5").top_p(1.0), Ok(())),
        (request("o4-mini").n(2), Err(ReasoningOther)),
        (request("o4-mini").n(1), Ok(())),
        (request("o1").presence_penalty(0.5), Err(ReasoningOther)),
        (request("o1").presence_penalty(-0.5), Ok(())),
        (request("o1").frequency_penalty(0.1), Err(ReasoningOther)),
        (request("o1").frequency_penalty(-1.0), Ok(())),
        // Order: max_tokens before logprobs before the others.
        (
            request("o3").max_tokens(10).logprobs(true).temperature(0.3),
            Err(ReasoningMaxTokensDeprecated),
        ),
        (
            request("o3").logprobs(true).temperature(0.3),
            Err(ReasoningLogprobs),
        ),
        // Other models are never checked.
        (
            request("gpt-4o")
                .max_tokens(10)
                .logprobs(true)
                .temperature(0.3),
            Ok(()),
        ),
        (request("deepseek-reasoner").max_tokens(10), Ok(())),
    ];
    for (request, expected) in cases {
        assert_eq!(
            validate_reasoning_request(&request),
            expected,
            "{request:?}"
        );
    }
}

#[test]
fn messages_match_go_openai() {
    assert_eq!(
        ValidationError::ReasoningMaxTokensDeprecated.to_string(),
        "this model is not supported MaxTokens, please use MaxCompletionTokens"
    );
    assert_eq!(
        ValidationError::ReasoningLogprobs.to_string(),
        "this model has beta-limitations, logprobs not supported"
    );
    assert_eq!(
        ValidationError::ReasoningOther.to_string(),
        "this model has beta-limitations, temperature, top_p and n are fixed at 1, while presence_penalty and frequency_penalty are fixed at 0"
    );
}

#[test]
fn chat_models_of_the_gpt5_line_take_sampling_parameters() {
    for model in ["gpt-5-chat-latest", "gpt-5.1-chat-latest"] {
        let mut sampled = request(model);
        sampled.temperature = Some(0.7);
        sampled.top_p = Some(0.9);
        sampled.logprobs = Some(true);
        assert!(!is_reasoning_model(model), "{model}");
        assert_eq!(validate_reasoning_request(&sampled), Ok(()), "{model}");
    }
}

#[test]
fn gpt5_1_and_later_without_reasoning_take_sampling_parameters() {
    for model in ["gpt-5.1", "gpt-5.2", "gpt-5.2-pro", "gpt-5.10"] {
        let mut sampled = request(model).reasoning_effort(ReasoningEffort::None);
        sampled.temperature = Some(0.7);
        sampled.top_p = Some(0.9);
        sampled.logprobs = Some(true);
        assert_eq!(validate_reasoning_request(&sampled), Ok(()), "{model}");
        // With reasoning, they do not.
        let mut reasoning = request(model).reasoning_effort(ReasoningEffort::Low);
        reasoning.temperature = Some(0.7);
        assert_eq!(
            validate_reasoning_request(&reasoning),
            Err(ValidationError::ReasoningOther),
            "{model}"
        );
    }
    // gpt-5 itself has no `none`: still a reasoning model.
    let mut gpt5 = request("gpt-5").reasoning_effort(ReasoningEffort::None);
    gpt5.temperature = Some(0.7);
    assert_eq!(
        validate_reasoning_request(&gpt5),
        Err(ValidationError::ReasoningOther)
    );
    // `n` and `max_tokens` stay refused even without reasoning.
    let many = request("gpt-5.1")
        .reasoning_effort(ReasoningEffort::None)
        .max_tokens(10);
    assert_eq!(
        validate_reasoning_request(&many),
        Err(ValidationError::ReasoningMaxTokensDeprecated)
    );
}
