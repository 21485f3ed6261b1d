//! A unified diff of two texts, line by line (for `plinth check`).

/// `---`/`+++` headers and `@@` hunks with three lines of context; empty
/// when the texts are equal.
pub fn unified_diff(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let operations = diff_lines(&old_lines, &new_lines);
    if operations
        .iter()
        .all(|operation| matches!(operation, Operation::Same(..)))
    {
        return String::new();
    }
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    const CONTEXT: usize = 3;
    let changed: Vec<usize> = operations
        .iter()
        .enumerate()
        .filter(|(_, operation)| !matches!(operation, Operation::Same(..)))
        .map(|(index, _)| index)
        .collect();
    // Group changes whose contexts overlap into hunks.
    let mut hunks: Vec<(usize, usize)> = Vec::new();
    for &index in &changed {
        let start = index.saturating_sub(CONTEXT);
        let end = (index + CONTEXT + 1).min(operations.len());
        match hunks.last_mut() {
            Some((_, last_end)) if start <= *last_end => *last_end = end,
            _ => hunks.push((start, end)),
        }
    }
    for (start, end) in hunks {
        let (mut old_start, mut new_start) = (0, 0);
        for operation in &operations[..start] {
            match operation {
                Operation::Same(..) => {
                    old_start += 1;
                    new_start += 1;
                }
                Operation::Removed(_) => old_start += 1,
                Operation::Added(_) => new_start += 1,
            }
        }
        let slice = &operations[start..end];
        let old_count = slice
            .iter()
            .filter(|operation| !matches!(operation, Operation::Added(_)))
            .count();
        let new_count = slice
            .iter()
            .filter(|operation| !matches!(operation, Operation::Removed(_)))
            .count();
        out.push_str(&format!(
            "@@ -{},{old_count} +{},{new_count} @@\n",
            old_start + usize::from(old_count > 0),
            new_start + usize::from(new_count > 0)
        ));
        for operation in slice {
            match operation {
                Operation::Same(line) => out.push_str(&format!(" {line}\n")),
                Operation::Removed(line) => out.push_str(&format!("-{line}\n")),
                Operation::Added(line) => out.push_str(&format!("+{line}\n")),
            }
        }
    }
    out
}

enum Operation<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// A shortest edit script by longest common subsequence (lockfiles are small).
fn diff_lines<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<Operation<'a>> {
    let (rows, columns) = (old.len(), new.len());
    let mut lengths = vec![0u32; (rows + 1) * (columns + 1)];
    let at = |row: usize, column: usize| row * (columns + 1) + column;
    for row in (0..rows).rev() {
        for column in (0..columns).rev() {
            lengths[at(row, column)] = if old[row] == new[column] {
                lengths[at(row + 1, column + 1)] + 1
            } else {
                lengths[at(row + 1, column)].max(lengths[at(row, column + 1)])
            };
        }
    }
    let (mut row, mut column) = (0, 0);
    let mut operations = Vec::new();
    while row < rows || column < columns {
        if row < rows && column < columns && old[row] == new[column] {
            operations.push(Operation::Same(old[row]));
            row += 1;
            column += 1;
        } else if row < rows
            && (column == columns || lengths[at(row + 1, column)] >= lengths[at(row, column + 1)])
        {
            operations.push(Operation::Removed(old[row]));
            row += 1;
        } else {
            operations.push(Operation::Added(new[column]));
            column += 1;
        }
    }
    operations
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks() {
        assert_eq!(unified_diff("a\nb\n", "a\nb\n", "x", "y"), "");
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n";
        assert_eq!(
            unified_diff(old, new, "old", "new"),
            "--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
        assert_eq!(
            unified_diff("", "a\n", "o", "n"),
            "--- o\n+++ n\n@@ -0,0 +1,1 @@\n+a\n"
        );
    }
}
