//! The console's line grammar: `/ticket open summary:"VPN down" severity:1`.
//! Words up to the first `name:value` form the command path; values may be
//! quoted with `"…"` (with `\"` and `\\` escapes) and run to the next space
//! otherwise. Which paths and options exist is the commands' declarations'
//! business, not this grammar's.

/// A parsed line: the command path and its options in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub path: String,
    pub options: Vec<(String, String)>,
}

/// What is wrong with a line; `column` counts characters from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    NoSlash,
    NoCommand,
    NotAnOption { word: String, column: usize },
    NoOptionName { column: usize },
    LoneBackslash { option: String },
    Unterminated { option: String },
}

/// Parses a slash-command line; the error points at the problem.
pub fn parse(line: &str) -> Result<Line, ParseError> {
    let rest = line.trim().strip_prefix('/').ok_or(ParseError::NoSlash)?;
    let mut path = Vec::new();
    let mut options = Vec::new();
    // (character column, character), the column 1-based in the line after trimming.
    let mut chars = rest.chars().enumerate().map(|(i, c)| (i + 2, c)).peekable();
    while let Some(&(column, c)) = chars.peek() {
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
                return Err(ParseError::NotAnOption { word, column });
            }
            path.push(word);
            continue;
        }
        if word.is_empty() {
            return Err(ParseError::NoOptionName { column });
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
                            None => return Err(ParseError::LoneBackslash { option: word }),
                        },
                        Some((_, c)) => value.push(c),
                        None => return Err(ParseError::Unterminated { option: word }),
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
        return Err(ParseError::NoCommand);
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
        assert_eq!(parse("/ticket reabrir número:ACME-1").unwrap().options, vec![("número".into(), "ACME-1".into())]);
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(parse("ticket open"), Err(ParseError::NoSlash));
        assert_eq!(
            parse("/ticket open summary:\"unterminated"),
            Err(ParseError::Unterminated { option: "summary".into() })
        );
        assert_eq!(
            parse("/ticket open summary:x stray"),
            Err(ParseError::NotAnOption { word: "stray".into(), column: 24 })
        );
        assert_eq!(
            parse("/ticket open resumen:ñ stray"),
            Err(ParseError::NotAnOption { word: "stray".into(), column: 24 })
        );
        assert_eq!(parse("/"), Err(ParseError::NoCommand));
        assert_eq!(parse("/ticket :x"), Err(ParseError::NoOptionName { column: 9 }));
        assert_eq!(parse("/ack note:\"a\\"), Err(ParseError::LoneBackslash { option: "note".into() }));
    }
}
