//! Enough of PromQL to find the series a query reads: a lexer (strings, numbers and durations,
//! identifiers, brackets) and a walk that tells metric names from function and aggregation
//! names, keywords and label lists (`by (...)`, `on (...)`, ...), with the innermost function
//! each selector is an argument of (`rate`, `histogram_quantile`, ...). Label matchers and range
//! brackets are skipped, except a `{__name__="..."}` selector. The full grammar is checked by
//! `promtool check rules` in dashboard.rs where promtool is installed.

/// One series selector in a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selector {
    /// The metric name.
    pub(crate) name: String,
    /// The innermost function or aggregation whose argument list holds it.
    pub(crate) function: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    /// Label matchers, the text between the braces.
    Matchers(String),
    Open,
    Close,
    /// Numbers, durations, strings, range brackets, operators: nothing to name a series.
    Other,
}

/// Keywords followed by a parenthesised list of label names.
const LABEL_LISTS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// The other keywords of the language.
const OPERATOR_KEYWORDS: &[&str] = &["and", "or", "unless", "bool", "offset", "inf", "nan"];

/// Whether `word` is a keyword (never a metric name).
fn is_keyword(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    LABEL_LISTS.contains(&lower.as_str()) || OPERATOR_KEYWORDS.contains(&lower.as_str())
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// The position after the closing `close` of the bracket opened just before `from`.
fn skip_to(chars: &[char], from: usize, close: char) -> Result<usize, String> {
    let mut i = from;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == '\\' && q != '`' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None if c == close => return Ok(i + 1),
            None => {}
        }
        i += 1;
    }
    Err(format!("no closing `{close}`"))
}

fn lex(expr: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '#' {
            // A comment runs to the end of the line.
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '(' || c == ')' {
            out.push(if c == '(' { Token::Open } else { Token::Close });
            i += 1;
        } else if c == '{' {
            let end = skip_to(&chars, i + 1, '}')?;
            out.push(Token::Matchers(chars[i + 1..end - 1].iter().collect()));
            i = end;
        } else if c == '[' {
            let end = skip_to(&chars, i + 1, ']')?;
            if chars[i..end].contains(&'$') {
                return Err(format!(
                    "template variable left in the range `{}`",
                    chars[i..end].iter().collect::<String>()
                ));
            }
            i = end;
            out.push(Token::Other);
        } else if matches!(c, '"' | '\'' | '`') {
            i = skip_to(&chars, i + 1, c)?;
            out.push(Token::Other);
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            while i < chars.len() && (is_ident_char(chars[i]) || chars[i] == '.') {
                i += 1;
            }
            out.push(Token::Other);
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else if c == '$' {
            return Err(format!(
                "template variable at `{}` left in the query",
                chars[i..].iter().take(20).collect::<String>()
            ));
        } else {
            out.push(Token::Other);
            i += 1;
        }
    }
    Ok(out)
}

/// The `__name__="..."` of a matcher list, if it has one.
fn name_matcher(matchers: &str) -> Option<String> {
    let rest = matchers.split("__name__").nth(1)?.trim_start();
    let value = rest.strip_prefix('=')?.trim_start();
    let quote = value.chars().next().filter(|q| matches!(q, '"' | '\''))?;
    let inner = &value[1..];
    Some(inner[..inner.find(quote)?].to_owned())
}

/// Every series selector of `expr`, in order.
pub(crate) fn selectors(expr: &str) -> Result<Vec<Selector>, String> {
    let tokens = lex(expr)?;
    let mut out = Vec::new();
    // The function (or None for a plain grouping) of each open parenthesis.
    let mut open: Vec<Option<String>> = Vec::new();
    let mut pending: Option<String> = None;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Ident(word) => {
                let lower = word.to_ascii_lowercase();
                let next = tokens.get(i + 1);
                if LABEL_LISTS.contains(&lower.as_str()) && next == Some(&Token::Open) {
                    // Skip the label list: names in it are labels, not series.
                    i += 2;
                    while i < tokens.len() && tokens[i] != Token::Close {
                        i += 1;
                    }
                    if i == tokens.len() {
                        return Err(format!("unclosed label list after `{word}`"));
                    }
                } else if is_keyword(word) {
                } else if next == Some(&Token::Open)
                    || matches!(next, Some(Token::Ident(k)) if ["by", "without"].contains(&k.to_ascii_lowercase().as_str()))
                {
                    pending = Some(word.clone());
                } else {
                    out.push(Selector {
                        name: word.clone(),
                        function: open.iter().rev().flatten().next().cloned(),
                    });
                }
            }
            Token::Matchers(m) => {
                // Matchers right after a metric name belong to it; alone they select by name.
                let after_name =
                    i > 0 && matches!(&tokens[i - 1], Token::Ident(w) if !is_keyword(w));
                if !after_name {
                    let name = name_matcher(m)
                        .ok_or_else(|| format!("selector `{{{m}}}` names no metric"))?;
                    out.push(Selector {
                        name,
                        function: open.iter().rev().flatten().next().cloned(),
                    });
                }
            }
            Token::Open => open.push(pending.take()),
            Token::Close => {
                open.pop().ok_or("unbalanced `)`")?;
            }
            Token::Other => {}
        }
        i += 1;
    }
    if !open.is_empty() {
        return Err("unclosed `(`".into());
    }
    Ok(out)
}

#[test]
fn selectors_are_told_from_functions_keywords_and_labels() {
    let got = selectors(
        "histogram_quantile(0.95, sum by (queue, le) (rate(a_bucket{queue=~\"x|y\"}[5m]))) \
         / on (queue) group_left (provider) max without (pod) (b) > bool 1e3 \
         or {__name__=\"c\", k=\"v\"} offset 30m unless d:rule",
    )
    .unwrap();
    let pairs: Vec<(&str, Option<&str>)> = got
        .iter()
        .map(|s| (s.name.as_str(), s.function.as_deref()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("a_bucket", Some("rate")),
            ("b", Some("max")),
            ("c", None),
            ("d:rule", None)
        ]
    );
    assert!(selectors("rate(x[5m]").is_err(), "unclosed parenthesis");
    assert!(
        selectors("rate(x[$__rate_interval])").is_err(),
        "variable left in"
    );
}
