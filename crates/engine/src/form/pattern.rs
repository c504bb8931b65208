//! The `regex` extension: a pattern an answer's whole text must match.
//!
//! Natively (the server, the command line, the tests) patterns run on regex-lite, the
//! `regex-lite` feature, on by default. The browser app turns the feature off and lends the
//! engine the browser's own regular expressions instead ([`lend_regex`]), so the wasm that
//! tablets download carries no second regex engine. Either way a pattern is anchored at
//! both ends, as FHIR means it: `[0-9]{3}` accepts "123", not "1234".

/// A compiled `regex` extension. Compared by its source text.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub source: String,
    #[cfg(feature = "regex-lite")]
    regex: regex_lite::Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// The whole-text form of a pattern.
fn anchored(source: &str) -> String {
    format!("^(?:{source})$")
}

impl Pattern {
    /// Compiles a pattern; an empty or malformed one is an error in words.
    pub fn new(source: &str) -> Result<Pattern, String> {
        if source.is_empty() {
            return Err("it is empty".into());
        }
        #[cfg(feature = "regex-lite")]
        let pattern = Pattern {
            source: source.to_owned(),
            regex: regex_lite::Regex::new(&anchored(source)).map_err(|e| e.to_string())?,
        };
        #[cfg(not(feature = "regex-lite"))]
        let pattern = {
            let host = HOST.get().ok_or("no regular expression engine is available")?;
            (host.check)(&anchored(source))?;
            Pattern { source: source.to_owned() }
        };
        Ok(pattern)
    }

    /// Whether the whole text matches.
    pub fn is_match(&self, text: &str) -> bool {
        #[cfg(feature = "regex-lite")]
        return self.regex.is_match(text);
        #[cfg(not(feature = "regex-lite"))]
        return HOST.get().is_none_or(|host| (host.is_match)(&anchored(&self.source), text));
    }
}

/// Regular expressions lent by the host: `check` compiles an (anchored) pattern or says
/// why it cannot; `is_match` tests a text against it.
pub struct HostRegex {
    pub check: fn(&str) -> Result<(), String>,
    pub is_match: fn(&str, &str) -> bool,
}

#[cfg(not(feature = "regex-lite"))]
static HOST: std::sync::OnceLock<HostRegex> = std::sync::OnceLock::new();

/// Lends the engine the host's regular expressions, once, before any template loads.
/// With the `regex-lite` feature on the engine has its own, and this does nothing.
#[cfg_attr(feature = "regex-lite", allow(unused_variables))]
pub fn lend_regex(host: HostRegex) {
    #[cfg(not(feature = "regex-lite"))]
    let _ = HOST.set(host);
}

#[cfg(all(test, feature = "regex-lite"))]
mod tests {
    use super::Pattern;

    #[test]
    fn a_pattern_matches_the_whole_answer() {
        let digits = Pattern::new("[0-9]{3}").unwrap();
        assert!(digits.is_match("123"));
        assert!(!digits.is_match("1234"));
        assert!(!digits.is_match("x123"));
        // Alternation: the whole text may match a later branch than the first.
        let either = Pattern::new("a|ab").unwrap();
        assert!(either.is_match("ab"));
        assert!(Pattern::new("").is_err());
        assert!(Pattern::new("(").is_err());
    }
}
