//! FHIRPath text to a syntax tree: a tokenizer and a precedence-climbing parser following
//! the grammar's precedence table (N1 §5, lowest first: implies; or xor; and; in contains;
//! = ~ != !~; < > <= >=; |; is as; + - &; * / div mod; unary + -; . and []).

use std::fmt;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Literal),
    /// `{}`
    Empty,
    /// `%name`: an environment variable (`%resource`, `%context`, a named expression).
    Variable(String),
    /// `$this`, `$index`, `$total`.
    Special(Special),
    /// A name: a path step from `base`, or from the input when `base` is `None`.
    Member(Option<Box<Expr>>, String),
    /// A function call on `base` (the input when `None`).
    Call(Option<Box<Expr>>, String, Vec<Expr>),
    /// `base[index]`
    Index(Box<Expr>, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Negate(Box<Expr>),
    /// `is Type` / `as Type`
    Type(TypeOp, Box<Expr>, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    This,
    Index,
    Total,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeOp {
    Is,
    As,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Bool(bool),
    String(String),
    Integer(i64),
    Decimal(f64),
    Date(String),
    DateTime(String),
    Time(String),
    Quantity(f64, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Implies,
    Or,
    Xor,
    And,
    In,
    Contains,
    Equal,
    Equivalent,
    NotEqual,
    NotEquivalent,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
    Union,
    Plus,
    Minus,
    Concat,
    Times,
    Divide,
    Div,
    Mod,
}

/// Why an expression could not be read, with the character offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

impl std::error::Error for ParseError {}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    /// A backtick-delimited name: never a keyword.
    Quoted(String),
    Str(String),
    Number(String),
    DateTime(String),
    Variable(String),
    Special(Special),
    Symbol(&'static str),
}

const SYMBOLS: [&str; 21] =
    ["!=", "!~", "<=", ">=", ".", ",", "(", ")", "[", "]", "{", "}", "+", "-", "*", "/", "&", "|", "=", "~", "<"];

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, ParseError> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let err = |offset: usize, message: &str| ParseError { offset, message: message.to_owned() };
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if text[at..].starts_with("//") {
            while i < chars.len() && chars[i].1 != '\n' {
                i += 1;
            }
        } else if text[at..].starts_with("/*") {
            let end = text[at + 2..].find("*/").ok_or_else(|| err(at, "a comment is not closed"))?;
            let stop = at + 2 + end + 2;
            while i < chars.len() && chars[i].0 < stop {
                i += 1;
            }
        } else if c == '\'' || c == '`' {
            let (value, next) = quoted(&chars, i, c).ok_or_else(|| err(at, "a quoted text is not closed"))?;
            tokens.push((at, if c == '`' { Token::Quoted(value) } else { Token::Str(value) }));
            i = next;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].1.is_ascii_digit() {
                i += 1;
            }
            if i + 1 < chars.len() && chars[i].1 == '.' && chars[i + 1].1.is_ascii_digit() {
                i += 1;
                while i < chars.len() && chars[i].1.is_ascii_digit() {
                    i += 1;
                }
            }
            tokens.push((at, Token::Number(collect(&chars, start, i))));
        } else if c == '@' {
            let start = i + 1;
            i += 1;
            while i < chars.len() && (chars[i].1.is_ascii_alphanumeric() || "-:.+".contains(chars[i].1)) {
                // A time zone's sign follows a time; a minus elsewhere ends nothing in a date.
                i += 1;
            }
            tokens.push((at, Token::DateTime(collect(&chars, start, i))));
        } else if c == '%' {
            i += 1;
            let name = match chars.get(i).map(|c| c.1) {
                Some(q @ ('`' | '\'')) => {
                    let (value, next) = quoted(&chars, i, q).ok_or_else(|| err(at, "a variable name is not closed"))?;
                    i = next;
                    value
                }
                _ => {
                    let start = i;
                    while i < chars.len() && (chars[i].1.is_alphanumeric() || chars[i].1 == '_' || chars[i].1 == '-') {
                        i += 1;
                    }
                    collect(&chars, start, i)
                }
            };
            if name.is_empty() {
                return Err(err(at, "% must be followed by a variable name"));
            }
            tokens.push((at, Token::Variable(name)));
        } else if c == '$' {
            let start = i + 1;
            i += 1;
            while i < chars.len() && chars[i].1.is_ascii_alphabetic() {
                i += 1;
            }
            let special = match collect(&chars, start, i).as_str() {
                "this" => Special::This,
                "index" => Special::Index,
                "total" => Special::Total,
                _ => return Err(err(at, "unknown $ name: $this, $index and $total are known")),
            };
            tokens.push((at, Token::Special(special)));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].1.is_alphanumeric() || chars[i].1 == '_') {
                i += 1;
            }
            tokens.push((at, Token::Ident(collect(&chars, start, i))));
        } else if c == '>' {
            let two = text[at..].starts_with(">=");
            tokens.push((at, Token::Symbol(if two { ">=" } else { ">" })));
            i += if two { 2 } else { 1 };
        } else if let Some(symbol) = SYMBOLS.iter().find(|s| text[at..].starts_with(**s)) {
            tokens.push((at, Token::Symbol(symbol)));
            i += symbol.chars().count();
        } else {
            return Err(err(at, &format!("unexpected character '{c}'")));
        }
    }
    Ok(tokens)
}

fn collect(chars: &[(usize, char)], from: usize, to: usize) -> String {
    chars[from..to].iter().map(|c| c.1).collect()
}

/// A quoted text from `start` (the opening quote), with its escapes; and the index after it.
fn quoted(chars: &[(usize, char)], start: usize, quote: char) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i].1 {
            c if c == quote => return Some((out, i + 1)),
            '\\' => {
                i += 1;
                let escaped = chars.get(i)?.1;
                match escaped {
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'f' => out.push('\u{c}'),
                    'u' => {
                        let hex = collect(chars, i + 1, (i + 5).min(chars.len()));
                        out.push(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)?);
                        i += 4;
                    }
                    other => out.push(other),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    None
}

/// Parses an expression.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens, at: 0, end: text.len(), depth: 0 };
    let expr = parser.expression(0)?;
    match parser.tokens.get(parser.at) {
        None => Ok(expr),
        Some((offset, token)) => {
            Err(ParseError { offset: *offset, message: format!("unexpected {}", describe(token)) })
        }
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Ident(s) | Token::Quoted(s) => format!("name '{s}'"),
        Token::Str(s) => format!("text '{s}'"),
        Token::Number(s) => format!("number {s}"),
        Token::DateTime(s) => format!("date @{s}"),
        Token::Variable(s) => format!("variable %{s}"),
        Token::Special(_) => "$ name".to_owned(),
        Token::Symbol(s) => format!("'{s}'"),
    }
}

/// Nesting deeper than this is refused: a hostile template cannot exhaust the stack.
const MAX_DEPTH: usize = 200;

struct Parser {
    tokens: Vec<(usize, Token)>,
    at: usize,
    end: usize,
    depth: usize,
}

/// Binary operators by precedence level (0 lowest), as the tokens spell them.
fn binary_operator(token: &Token) -> Option<(usize, BinaryOp)> {
    use BinaryOp::*;
    Some(match token {
        Token::Ident(word) => match word.as_str() {
            "implies" => (0, Implies),
            "or" => (1, Or),
            "xor" => (1, Xor),
            "and" => (2, And),
            "in" => (3, In),
            "contains" => (3, Contains),
            "div" => (9, Div),
            "mod" => (9, Mod),
            _ => return None,
        },
        Token::Symbol(s) => match *s {
            "=" => (4, Equal),
            "~" => (4, Equivalent),
            "!=" => (4, NotEqual),
            "!~" => (4, NotEquivalent),
            "<" => (5, Less),
            ">" => (5, Greater),
            "<=" => (5, LessOrEqual),
            ">=" => (5, GreaterOrEqual),
            "|" => (6, Union),
            "+" => (8, Plus),
            "-" => (8, Minus),
            "&" => (8, Concat),
            "*" => (9, Times),
            "/" => (9, Divide),
            _ => return None,
        },
        _ => return None,
    })
}

const TYPE_LEVEL: usize = 7;

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|t| &t.1)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.at).map(|t| t.0).unwrap_or(self.end)
    }

    fn fail<T>(&self, message: &str) -> Result<T, ParseError> {
        Err(ParseError { offset: self.offset(), message: message.to_owned() })
    }

    fn expect(&mut self, symbol: &str) -> Result<(), ParseError> {
        if self.peek()
            == Some(&Token::Symbol(match symbol {
                ")" => ")",
                "]" => "]",
                "}" => "}",
                _ => unreachable!("only closing symbols are expected"),
            }))
        {
            self.at += 1;
            Ok(())
        } else {
            self.fail(&format!("expected '{symbol}'"))
        }
    }

    /// Counts one more level of the tree being built: nesting, and each operator or step
    /// in a chain (a chain is a tree as deep as it is long).
    fn deeper(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail("the expression is nested too deeply");
        }
        Ok(())
    }

    fn expression(&mut self, min_level: usize) -> Result<Expr, ParseError> {
        let saved = self.depth;
        let result = self.expression_inner(min_level);
        self.depth = saved;
        result
    }

    fn expression_inner(&mut self, min_level: usize) -> Result<Expr, ParseError> {
        self.deeper()?;
        let mut left = self.unary()?;
        while let Some(token) = self.peek() {
            if let Token::Ident(word) = token {
                if (word == "is" || word == "as") && TYPE_LEVEL >= min_level {
                    let op = if word == "is" { TypeOp::Is } else { TypeOp::As };
                    self.at += 1;
                    self.deeper()?;
                    let name = self.type_name()?;
                    left = Expr::Type(op, Box::new(left), name);
                    continue;
                }
            }
            let Some((level, op)) = binary_operator(token) else { break };
            if level < min_level {
                break;
            }
            self.deeper()?;
            self.at += 1;
            let right = self.expression(level + 1)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn type_name(&mut self) -> Result<String, ParseError> {
        let mut name = match self.tokens.get(self.at).map(|t| t.1.clone()) {
            Some(Token::Ident(n)) | Some(Token::Quoted(n)) => n,
            _ => return self.fail("expected a type name"),
        };
        self.at += 1;
        while self.peek() == Some(&Token::Symbol(".")) {
            if let Some(Token::Ident(n)) = self.tokens.get(self.at + 1).map(|t| &t.1) {
                name = format!("{name}.{n}");
                self.at += 2;
            } else {
                break;
            }
        }
        Ok(name)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        let saved = self.depth;
        let result = self.deeper().and_then(|_| self.unary_inner());
        self.depth = saved;
        result
    }

    fn unary_inner(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            Some(Token::Symbol("-")) => {
                self.at += 1;
                let inner = self.unary()?;
                Ok(match inner {
                    Expr::Literal(Literal::Integer(n)) => Expr::Literal(Literal::Integer(-n)),
                    Expr::Literal(Literal::Decimal(n)) => Expr::Literal(Literal::Decimal(-n)),
                    Expr::Literal(Literal::Quantity(n, u)) => Expr::Literal(Literal::Quantity(-n, u)),
                    other => Expr::Negate(Box::new(other)),
                })
            }
            Some(Token::Symbol("+")) => {
                self.at += 1;
                self.unary()
            }
            _ => self.postfix(),
        }
    }

    fn postfix(&mut self) -> Result<Expr, ParseError> {
        let saved = self.depth;
        let result = self.postfix_chain();
        self.depth = saved;
        result
    }

    fn postfix_chain(&mut self) -> Result<Expr, ParseError> {
        let mut expr = self.term()?;
        loop {
            if matches!(self.peek(), Some(Token::Symbol("." | "["))) {
                self.deeper()?;
            }
            match self.peek() {
                Some(Token::Symbol(".")) => {
                    self.at += 1;
                    let (name, call) = self.name_and_call()?;
                    expr = match call {
                        Some(args) => Expr::Call(Some(Box::new(expr)), name, args),
                        None => Expr::Member(Some(Box::new(expr)), name),
                    };
                }
                Some(Token::Symbol("[")) => {
                    self.at += 1;
                    let index = self.expression(0)?;
                    self.expect("]")?;
                    expr = Expr::Index(Box::new(expr), Box::new(index));
                }
                _ => return Ok(expr),
            }
        }
    }

    /// A name, and its arguments when it is called.
    fn name_and_call(&mut self) -> Result<(String, Option<Vec<Expr>>), ParseError> {
        let name = match self.tokens.get(self.at).map(|t| t.1.clone()) {
            Some(Token::Ident(n)) | Some(Token::Quoted(n)) => n,
            _ => return self.fail("expected a name"),
        };
        self.at += 1;
        if self.peek() != Some(&Token::Symbol("(")) {
            return Ok((name, None));
        }
        self.at += 1;
        let mut args = Vec::new();
        if self.peek() == Some(&Token::Symbol(")")) {
            self.at += 1;
            return Ok((name, Some(args)));
        }
        loop {
            args.push(self.expression(0)?);
            match self.peek() {
                Some(Token::Symbol(",")) => self.at += 1,
                _ => break,
            }
        }
        self.expect(")")?;
        Ok((name, Some(args)))
    }

    fn term(&mut self) -> Result<Expr, ParseError> {
        let Some((offset, token)) = self.tokens.get(self.at).cloned() else {
            return self.fail("the expression ends too early");
        };
        let literal = |l| Ok(Expr::Literal(l));
        match token {
            Token::Symbol("(") => {
                self.at += 1;
                let inner = self.expression(0)?;
                self.expect(")")?;
                Ok(inner)
            }
            Token::Symbol("{") => {
                self.at += 1;
                self.expect("}")?;
                Ok(Expr::Empty)
            }
            Token::Str(s) => {
                self.at += 1;
                literal(Literal::String(s))
            }
            Token::Number(n) => {
                self.at += 1;
                // serde_json's number reader, which the app has anyway (not str::parse's tables).
                let number = crate::form::input::decimal_from_text(&n)
                    .ok_or(ParseError { offset, message: "not a number".into() })?;
                // A quantity: a number followed by a unit in quotes or a calendar word.
                match self.peek().cloned() {
                    Some(Token::Str(unit)) => {
                        self.at += 1;
                        return literal(Literal::Quantity(number, unit));
                    }
                    Some(Token::Ident(word)) if calendar_unit(&word) => {
                        self.at += 1;
                        return literal(Literal::Quantity(number, word));
                    }
                    _ => {}
                }
                if n.contains('.') {
                    literal(Literal::Decimal(number))
                } else {
                    match n.parse::<i64>() {
                        Ok(i) => literal(Literal::Integer(i)),
                        Err(_) => Err(ParseError { offset, message: "the number is too large".into() }),
                    }
                }
            }
            Token::DateTime(text) => {
                self.at += 1;
                if let Some(time) = text.strip_prefix('T') {
                    literal(Literal::Time(time.to_owned()))
                } else if text.contains('T') {
                    literal(Literal::DateTime(text.trim_end_matches('T').to_owned()))
                } else {
                    literal(Literal::Date(text))
                }
            }
            Token::Variable(name) => {
                self.at += 1;
                Ok(Expr::Variable(name))
            }
            Token::Special(s) => {
                self.at += 1;
                Ok(Expr::Special(s))
            }
            Token::Ident(ref word) if word == "true" || word == "false" => {
                self.at += 1;
                literal(Literal::Bool(word == "true"))
            }
            Token::Ident(_) | Token::Quoted(_) => {
                let (name, call) = self.name_and_call()?;
                Ok(match call {
                    Some(args) => Expr::Call(None, name, args),
                    None => Expr::Member(None, name),
                })
            }
            other => Err(ParseError { offset, message: format!("unexpected {}", describe(&other)) }),
        }
    }
}

/// The calendar duration words FHIRPath allows after a number.
pub(crate) fn calendar_unit(word: &str) -> bool {
    matches!(
        word,
        "year"
            | "years"
            | "month"
            | "months"
            | "week"
            | "weeks"
            | "day"
            | "days"
            | "hour"
            | "hours"
            | "minute"
            | "minutes"
            | "second"
            | "seconds"
            | "millisecond"
            | "milliseconds"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_follows_the_table() {
        let e = parse("1 + 2 * 3 = 7 and true").unwrap();
        let Expr::Binary(BinaryOp::And, left, _) = e else { panic!("{e:?}") };
        let Expr::Binary(BinaryOp::Equal, sum, _) = *left else { panic!() };
        assert!(matches!(*sum, Expr::Binary(BinaryOp::Plus, _, _)));
    }

    #[test]
    fn errors_say_where() {
        let e = parse("name.where(given = 'x'").unwrap_err();
        assert_eq!(e.message, "expected ')'");
        assert!(parse("1 +").is_err());
        assert!(parse("'open").is_err());
        assert!(parse("a b").is_err());
    }

    #[test]
    fn hostile_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
        assert!(parse(&deep).unwrap_err().message.contains("nested too deeply"));
        let negated = format!("{}1", "-".repeat(100_000));
        assert!(parse(&negated).unwrap_err().message.contains("nested too deeply"));
        let calls = format!("{}1{}", "a(".repeat(5000), ")".repeat(5000));
        assert!(parse(&calls).unwrap_err().message.contains("nested too deeply"));
        let chain = format!("a{}", ".a".repeat(100_000));
        assert!(parse(&chain).unwrap_err().message.contains("nested too deeply"));
        let sum = format!("1{}", " + 1".repeat(100_000));
        assert!(parse(&sum).unwrap_err().message.contains("nested too deeply"));
        // A long but ordinary expression (a nine-question total) still reads.
        let total = ["iif(%q.exists(), %q, 0)"; 9].join(" + ");
        assert!(parse(&total).is_ok());
    }

    #[test]
    fn literals() {
        assert_eq!(parse("@2020-01-02").unwrap(), Expr::Literal(Literal::Date("2020-01-02".into())));
        assert_eq!(parse("@T10:00").unwrap(), Expr::Literal(Literal::Time("10:00".into())));
        assert_eq!(parse("4 'kg'").unwrap(), Expr::Literal(Literal::Quantity(4.0, "kg".into())));
        assert_eq!(parse("18 years").unwrap(), Expr::Literal(Literal::Quantity(18.0, "years".into())));
        assert_eq!(parse("%`a b`").unwrap(), Expr::Variable("a b".into()));
        assert_eq!(parse("'it\\'s'").unwrap(), Expr::Literal(Literal::String("it's".into())));
    }
}
