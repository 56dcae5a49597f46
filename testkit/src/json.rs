//! Reading the tools' JSON results files by hand rather than through derived
//! types: a missing or mistyped field is reported with its path
//! (`http2.server.connections: missing or not a count`), and fields no
//! reader uses may change freely. Used by the load benchmark's results
//! (`load_results`) and by the benchmark report's reader of its own file.

use serde_json::{Map, Value};

/// The field `key` of `object` (found at `at` in the file) read by `read`,
/// or an error naming its path and the `kind` of value expected.
///
/// ```
/// use chatstream_testkit::json::required;
///
/// let object = serde_json::json!({"streams": 10}).as_object().cloned().unwrap_or_default();
/// assert_eq!(required(&object, "run", "streams", "a count", |v| v.as_u64()), Ok(10));
/// assert_eq!(
///     required(&object, "run", "wall", "a number", |v| v.as_f64()),
///     Err("run.wall: missing or not a number".to_owned())
/// );
/// ```
pub fn required<'a, T>(
    object: &'a Map<String, Value>,
    at: &str,
    key: &str,
    kind: &str,
    read: impl FnOnce(&'a Value) -> Option<T>,
) -> Result<T, String> {
    object
        .get(key)
        .and_then(read)
        .ok_or_else(|| format!("{at}.{key}: missing or not {kind}"))
}

/// The strings of the list `key` of `object` (none when it is missing;
/// entries that are not strings are skipped).
pub fn texts(object: &Map<String, Value>, key: &str) -> Vec<String> {
    object
        .get(key)
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
