//! The README block the table lives in.
//!
//! The block is delimited by two marker lines, `<!-- compat-table:begin … -->`
//! and `<!-- compat-table:end -->`; only what lies between them is ever
//! rewritten, so the rest of the README (another generated block included)
//! stays as its authors left it.

/// The start of the line that opens the block (the rest of that line is a
/// note for readers and is kept).
pub const BEGIN: &str = "<!-- compat-table:begin";
/// The line that closes the block.
pub const END: &str = "<!-- compat-table:end -->";

/// Where the block's content starts and ends in `readme` (byte offsets: just
/// after the begin marker's line, and at the start of the end marker).
fn block_span(readme: &str) -> Result<(usize, usize), String> {
    let begin = readme
        .find(BEGIN)
        .ok_or_else(|| format!("README.md has no `{BEGIN} … -->` line"))?;
    let after_begin = readme[begin..]
        .find('\n')
        .map(|at| begin + at + 1)
        .ok_or_else(|| format!("README.md ends on the `{BEGIN}` line"))?;
    let end = readme[after_begin..]
        .find(END)
        .map(|at| after_begin + at)
        .ok_or_else(|| format!("README.md has no `{END}` line after `{BEGIN}`"))?;
    if readme[end..]
        .get(END.len()..)
        .is_some_and(|rest| rest.contains(BEGIN))
    {
        return Err(format!("README.md has more than one `{BEGIN}` block"));
    }
    Ok((after_begin, end))
}

/// What the block holds now.
pub fn current_block(readme: &str) -> Result<&str, String> {
    let (start, end) = block_span(readme)?;
    Ok(&readme[start..end])
}

/// What the block should hold for `table`: the table set off by blank lines
/// (so that Markdown sees it apart from the marker comments).
pub fn block_for(table: &str) -> String {
    format!("\n{}\n\n", table.trim_end())
}

/// `readme` with the block's content replaced by [`block_for`]`(table)`.
pub fn with_block(readme: &str, table: &str) -> Result<String, String> {
    let (start, end) = block_span(readme)?;
    let mut out = String::with_capacity(readme.len() + table.len());
    out.push_str(&readme[..start]);
    out.push_str(&block_for(table));
    out.push_str(&readme[end..]);
    Ok(out)
}
