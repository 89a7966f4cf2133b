//! The console's line grammar: `/ticket open summary:"VPN down" severity:1`.
//! Words up to the first `name:value` form the command path; values may be
//! quoted with `"…"` (with `\"` and `\\` escapes) and run to the next space
//! otherwise.

/// A parsed line: the command path and its options in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub path: String,
    pub options: Vec<(String, String)>,
}

/// Parses a slash-command line; the error points at the problem.
pub fn parse(line: &str) -> Result<Line, String> {
    let rest =
        line.trim().strip_prefix('/').ok_or("commands start with / (try /ticket open summary:\"…\"), or :help")?;
    let mut path = Vec::new();
    let mut options = Vec::new();
    let mut chars = rest.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        // A word: up to white space, or up to ':' for an option name.
        let mut word = String::new();
        let mut is_option = false;
        while let Some(&(_, c)) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            if c == ':' {
                is_option = true;
                break;
            }
            word.push(c);
        }
        if !is_option {
            if !options.is_empty() {
                return Err(format!(
                    "\"{word}\" at column {} is not an option: write name:value (quote values with spaces)",
                    start + 2
                ));
            }
            path.push(word);
            continue;
        }
        if word.is_empty() {
            return Err(format!("an option name is missing before ':' at column {}", start + 2));
        }
        let value = match chars.peek() {
            Some(&(_, '"')) => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, c)) => value.push(c),
                            None => return Err(format!("the quoted value of {word} ends with a lone \\")),
                        },
                        Some((_, c)) => value.push(c),
                        None => return Err(format!("the quoted value of {word} has no closing \"")),
                    }
                }
                value
            }
            _ => {
                let mut value = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
                value
            }
        };
        options.push((word, value));
    }
    if path.is_empty() {
        return Err("a command name is missing after /".into());
    }
    Ok(Line { path: path.join(" "), options })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_quoted_options() {
        let l = parse(r#"/ticket open summary:"VPN down for \"all\" users" severity:1"#).unwrap();
        assert_eq!(l.path, "ticket open");
        assert_eq!(
            l.options,
            vec![("summary".into(), "VPN down for \"all\" users".into()), ("severity".into(), "1".into())]
        );
        assert_eq!(parse("/queue").unwrap(), Line { path: "queue".into(), options: vec![] });
        assert_eq!(parse("/contacts add user:@alice").unwrap().options, vec![("user".into(), "@alice".into())]);
        assert_eq!(parse("/ack note:").unwrap().options, vec![("note".into(), "".into())]);
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert!(parse("ticket open").unwrap_err().contains("start with /"));
        assert!(parse("/ticket open summary:\"unterminated").unwrap_err().contains("no closing"));
        assert!(parse("/ticket open summary:x stray").unwrap_err().contains("\"stray\" at column 24"));
        assert!(parse("/").unwrap_err().contains("missing"));
        assert!(parse("/ticket :x").unwrap_err().contains("option name is missing"));
    }
}
