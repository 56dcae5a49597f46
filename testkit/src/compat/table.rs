//! The Markdown table and its legend, from the rows.

use super::row::ProviderRow;

/// The legend printed under the table.
pub const LEGEND: &str = "✓ seen in at least one captured stream; — seen in none (absent from \
the captures, not necessarily unsupported). ×n: number of streams. Ends as: `done` is the \
client's `EndState::Done`, `finished` `EndState::Finished`, `error` `ErrorKind::Api`, \
`truncated` `ErrorKind::Truncated`. Unnamed fields are kept in the types' `extra` maps \
(`choice.`, `delta.`, `usage.`, `tool_call.` say where; no prefix: the chunk). \
(local): a server run on 127.0.0.1 (`real-servers/`). Generated from `tests/data/fixtures` \
by `cargo xtask compat`.";

/// The table (rows in the order given) followed by a blank line and the
/// legend, ending with a newline.
pub fn render(rows: &[ProviderRow]) -> String {
    let headers = ProviderRow::headers();
    let mut out = String::new();
    push_row(&mut out, headers.iter().map(|h| h.to_string()));
    push_row(&mut out, headers.iter().map(|_| "---".to_owned()));
    for row in rows {
        push_row(&mut out, row.cells().into_iter());
    }
    out.push('\n');
    out.push_str(LEGEND);
    out.push('\n');
    out
}

fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    out.push('|');
    for cell in cells {
        out.push(' ');
        out.push_str(&cell);
        out.push_str(" |");
    }
    out.push('\n');
}
