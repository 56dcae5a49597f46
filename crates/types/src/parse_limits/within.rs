//! [`WithinLimits`]: the counts of [`ParseLimits`] checked on a value once it
//! is parsed — how a payload too small to break the memory bound is checked
//! (see [`ChunkParser`](crate::ChunkParser)): parsed without charges at full
//! speed, then walked. The walk finds what the charged parse finds as it
//! goes, the same counts on the same arrays and objects.

use serde_json::{Map, Value};

use super::{ParseError, ParseLimit, ParseLimits};
use crate::lenient::Lenient;
use crate::{ApiError, ChatCompletionChunk, Content, ContentPart, ErrorCode, SharedStr};

/// A parsed value whose arrays and objects can be checked against the
/// counts of [`ParseLimits`].
pub(crate) trait WithinLimits {
    /// The first count this value breaks, if any.
    fn check(&self, limits: &ParseLimits) -> Result<(), ParseError>;
}

/// The error for `limit` broken.
#[cold]
fn broken(limits: &ParseLimits, limit: ParseLimit) -> ParseError {
    ParseError::Limit {
        limit,
        max: limits.max_of(limit, 0),
    }
}

/// Types that hold no array and no object.
macro_rules! within_limits_always {
    ($($ty:ty),* $(,)?) => {
        $(impl WithinLimits for $ty {
            #[inline(always)]
            fn check(&self, _: &ParseLimits) -> Result<(), ParseError> {
                Ok(())
            }
        })*
    };
}

within_limits_always!(
    bool,
    u8,
    u32,
    u64,
    i64,
    f64,
    String,
    SharedStr,
    ErrorCode,
    crate::Role,
    crate::FinishReason,
    crate::ServiceTier,
    crate::ToolType,
    crate::FilterSeverity,
);

impl<T: WithinLimits> WithinLimits for Option<T> {
    #[inline]
    fn check(&self, limits: &ParseLimits) -> Result<(), ParseError> {
        match self {
            Some(value) => value.check(limits),
            None => Ok(()),
        }
    }
}

impl<T: WithinLimits> WithinLimits for Box<T> {
    #[inline]
    fn check(&self, limits: &ParseLimits) -> Result<(), ParseError> {
        (**self).check(limits)
    }
}

impl<T: WithinLimits + Lenient> WithinLimits for Vec<T> {
    fn check(&self, limits: &ParseLimits) -> Result<(), ParseError> {
        if let Some(limit) = T::COUNT {
            if self.len() > limits.max_of(limit, 0) {
                return Err(broken(limits, limit));
            }
        }
        self.iter().try_for_each(|item| item.check(limits))
    }
}

/// An `extra` map: its keys counted, and every object inside its values.
impl WithinLimits for Map<String, Value> {
    #[inline]
    fn check(&self, limits: &ParseLimits) -> Result<(), ParseError> {
        if self.is_empty() {
            return Ok(());
        }
        check_object(self, limits)
    }
}

fn check_object(object: &Map<String, Value>, limits: &ParseLimits) -> Result<(), ParseError> {
    if object.len() > limits.max_extra_keys {
        return Err(broken(limits, ParseLimit::ExtraKeys));
    }
    object.values().try_for_each(|value| value.check(limits))
}

impl WithinLimits for Value {
    fn check(&self, limits: &ParseLimits) -> Result<(), ParseError> {
        match self {
            Value::Object(object) => check_object(object, limits),
            Value::Array(items) => items.iter().try_for_each(|item| item.check(limits)),
            _ => Ok(()),
        }
    }
}

impl WithinLimits for Content {
    #[inline]
    fn check(&self, limits: &ParseLimits) -> Result<(), ParseError> {
        match self {
            Content::Text(_) => Ok(()),
            Content::Parts(parts) => parts.check(limits),
        }
    }
}

impl WithinLimits for ContentPart {
    fn check(&self, limits: &ParseLimits) -> Result<(), ParseError> {
        match self {
            ContentPart::Other(value) => value.check(limits),
            ContentPart::Thinking { thinking } => thinking.check(limits),
            _ => Ok(()),
        }
    }
}

impl WithinLimits for ApiError {
    fn check(&self, limits: &ParseLimits) -> Result<(), ParseError> {
        self.inner_error.check(limits)?;
        self.extra.check(limits)
    }
}

impl WithinLimits for ChatCompletionChunk {
    fn check(&self, limits: &ParseLimits) -> Result<(), ParseError> {
        // Destructured, so that a new field cannot be forgotten here.
        let ChatCompletionChunk {
            id: _,
            object: _,
            created: _,
            model: _,
            system_fingerprint: _,
            service_tier: _,
            choices,
            usage,
            prompt_filter_results,
            prompt_annotations,
            extra,
        } = self;
        choices.check(limits)?;
        usage.check(limits)?;
        prompt_filter_results.check(limits)?;
        prompt_annotations.check(limits)?;
        extra.check(limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChunkChoice;

    #[test]
    fn counts_are_checked_where_the_charged_parse_checks_them() {
        let limits = ParseLimits::default().max_choices(1).max_extra_keys(1);
        let mut chunk = ChatCompletionChunk {
            choices: vec![ChunkChoice::default()],
            ..ChatCompletionChunk::default()
        };
        assert!(chunk.check(&limits).is_ok());
        chunk.choices.push(ChunkChoice::default());
        assert_eq!(
            chunk.check(&limits).unwrap_err().limit(),
            Some(ParseLimit::Choices)
        );
        chunk.choices.pop();
        let nested: Value = serde_json::json!({"a": [{"b": 1, "c": 2}]});
        chunk.extra.insert("x".into(), nested);
        assert_eq!(
            chunk.check(&limits).unwrap_err().limit(),
            Some(ParseLimit::ExtraKeys)
        );
    }
}
