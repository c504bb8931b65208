//! Safe text from the XHTML of a `rendering-xhtml` extension. Templates come from anywhere;
//! their markup is never handed to a browser as HTML, so scripts, styles and event
//! attributes cannot run. What is kept is the words, with line breaks where blocks end.

/// The text content of an XHTML fragment: tags removed, `script` and `style` content
/// dropped, entities decoded, block ends as line breaks, runs of spaces folded.
pub fn safe_text(xhtml: &str) -> String {
    let mut out = String::with_capacity(xhtml.len());
    let mut rest = xhtml;
    let mut skip_until: Option<&str> = None;
    while let Some(lt) = rest.find('<') {
        if skip_until.is_none() {
            out.push_str(&decode_entities(&rest[..lt]));
        }
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        if let Some(until) = skip_until {
            if closing && name == until {
                skip_until = None;
            }
            continue;
        }
        match name.as_str() {
            "script" | "style" if !closing && !tag.ends_with('/') => {
                skip_until = Some(if name == "script" { "script" } else { "style" })
            }
            "br" => out.push('\n'),
            "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "ul" | "ol" | "table" if closing => {
                out.push('\n')
            }
            "li" => out.push_str("• "),
            "td" | "th" if closing => out.push(' '),
            _ => {}
        }
    }
    if skip_until.is_none() {
        out.push_str(&decode_entities(rest));
    }
    fold_spaces(&out)
}

fn fold_spaces(text: &str) -> String {
    let lines: Vec<String> = text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    let mut out = Vec::new();
    for line in lines {
        if line.is_empty() && out.last().is_none_or(|l: &String| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let entity_end = after.find(';').filter(|&i| i <= 10);
        let decoded = entity_end.and_then(|end| decode_entity(&after[..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_text;

    #[test]
    fn markup_becomes_words_and_scripts_vanish() {
        let xhtml = r#"<div xmlns="http://www.w3.org/1999/xhtml"><p>Do you <b>smoke</b>?</p><script>alert(1)</script><p onclick="x()">Tom &amp; Jerry&#39;s &lt;tag&gt;</p></div>"#;
        assert_eq!(safe_text(xhtml), "Do you smoke?\nTom & Jerry's <tag>");
    }

    #[test]
    fn lists_and_breaks_keep_their_lines() {
        assert_eq!(safe_text("<ul><li>One</li><li>Two</li></ul>a<br/>b"), "• One\n• Two\n\na\nb");
    }
}
