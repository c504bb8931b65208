//! Evaluating a parsed expression against JSON (a QuestionnaireResponse, the template, a
//! Patient), over the functions forms use. The engine reads no clock: `today()` and
//! `now()` come from the [`Environment`], as do the `%` variables.

use std::borrow::Cow;
use std::cell::Cell;
use std::cmp::Ordering;

use serde_json::Value as Json;

use super::parse::{BinaryOp, Expr, Literal, Special, TypeOp};
use super::value::{add_to_date, compare, equal, equivalent, Collection, Item};
// Numbers are read by serde_json's parser, which the app has anyway: `str::parse::<f64>`
// would bring its own tables into the wasm.
use crate::form::input::decimal_from_text;

/// What an expression can see beyond its input.
pub trait Environment<'a> {
    /// The value of `%name`, or `None` when nothing by that name is defined.
    fn variable(&self, name: &str) -> Option<Collection<'a>>;
    /// Today's date (`YYYY-MM-DD`), as the caller's device says.
    fn today(&self) -> Option<String>;
    /// The current moment (`YYYY-MM-DDThh:mm:ss±zz:zz`).
    fn now(&self) -> Option<String>;
}

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError(pub String);

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EvalError {}

type Result<T> = std::result::Result<T, EvalError>;

fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(EvalError(message.into()))
}

/// Work an evaluation may do before it is stopped: a hostile template cannot hang a tablet.
const STEP_BUDGET: u64 = 2_000_000;

/// Evaluates `expr` with `input` as its focus (and `$this`).
pub fn evaluate<'a>(expr: &'a Expr, input: Collection<'a>, env: &dyn Environment<'a>) -> Result<Collection<'a>> {
    let evaluator = Evaluator { env, steps: Cell::new(0) };
    let frame = Frame { this: input.first().cloned(), index: None, total: None };
    evaluator.eval(expr, &input, &frame)
}

#[derive(Clone)]
struct Frame<'a> {
    this: Option<Item<'a>>,
    index: Option<usize>,
    total: Option<Collection<'a>>,
}

struct Evaluator<'e, 'a> {
    env: &'e dyn Environment<'a>,
    steps: Cell<u64>,
}

/// A collection as a single boolean (FHIRPath's singleton evaluation): empty is unknown,
/// one boolean is itself, one other item is true.
pub fn as_bool(items: &[Item]) -> Result<Option<bool>> {
    match items {
        [] => Ok(None),
        [Item::Bool(b)] => Ok(Some(*b)),
        [_] => Ok(Some(true)),
        _ => fail("a condition gave several values where one was expected"),
    }
}

fn single<'b, 'a>(items: &'b [Item<'a>], what: &str) -> Result<Option<&'b Item<'a>>> {
    match items {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => fail(format!("{what} expects one value, not {}", items.len())),
    }
}

fn boolean<'a>(b: Option<bool>) -> Collection<'a> {
    b.map(Item::Bool).into_iter().collect()
}

fn string<'a>(s: impl Into<String>) -> Item<'a> {
    Item::String(Cow::Owned(s.into()))
}

/// Navigates one name from a node: the element itself, or a choice element (`value` finds
/// `valueCoding`, typed Coding), arrays flattened.
fn navigate<'a>(item: &Item<'a>, name: &str, out: &mut Collection<'a>) {
    let Item::Node(Json::Object(map), kind) = item else { return };
    // A type name as the first step names the resource itself (`Patient.name`).
    if name.starts_with(|c: char| c.is_ascii_uppercase()) {
        if map.get("resourceType").and_then(Json::as_str) == Some(name) || *kind == Some(name) {
            out.push(item.clone());
        }
        return;
    }
    let mut push = |value: &'a Json, kind: Option<&'a str>| match value {
        Json::Array(items) => out.extend(items.iter().filter_map(|v| Item::from_json(v, kind))),
        other => out.extend(Item::from_json(other, kind)),
    };
    if let Some((key, value)) = map.get_key_value(name) {
        let _ = key;
        push(value, None);
        return;
    }
    for (key, value) in map.iter() {
        if let Some(suffix) = key.strip_prefix(name) {
            if suffix.starts_with(|c: char| c.is_ascii_uppercase()) {
                push(value, Some(suffix));
            }
        }
    }
}

fn children<'a>(item: &Item<'a>, out: &mut Collection<'a>) {
    let Item::Node(Json::Object(map), _) = item else { return };
    for (key, value) in map.iter() {
        if key == "resourceType" || key.starts_with('_') {
            continue;
        }
        let kind = key.char_indices().find(|(_, c)| c.is_ascii_uppercase()).map(|(i, _)| &key[i..]);
        match value {
            Json::Array(items) => out.extend(items.iter().filter_map(|v| Item::from_json(v, kind))),
            other => out.extend(Item::from_json(other, kind)),
        }
    }
}

/// Whether an item is of the named type (`Coding`, `FHIR.string`, `System.Integer`).
fn is_type(item: &Item, name: &str) -> bool {
    let name = name.trim_start_matches("FHIR.").trim_start_matches("System.");
    let Some(actual) = item.type_name() else { return false };
    if actual.eq_ignore_ascii_case(name) {
        return true;
    }
    // FHIR's primitive types are Strings, Integers, ... to FHIRPath.
    matches!(
        (actual, name),
        ("String", "code" | "id" | "uri" | "url" | "canonical" | "markdown" | "oid" | "uuid")
            | ("Integer", "positiveInt" | "unsignedInt")
            | ("DateTime", "instant")
    )
}

fn type_argument(args: &[Expr]) -> Result<String> {
    match args {
        [Expr::Member(None, name)] => Ok(name.clone()),
        [Expr::Member(Some(base), name)] => match base.as_ref() {
            Expr::Member(None, ns) => Ok(format!("{ns}.{name}")),
            _ => fail("expected a type name"),
        },
        _ => fail("expected a type name"),
    }
}

fn contains_item(items: &[Item], wanted: &Item) -> bool {
    items.iter().any(|i| equal(i, wanted) == Some(true))
}

fn distinct<'a>(items: Collection<'a>) -> Collection<'a> {
    let mut out: Collection<'a> = Vec::with_capacity(items.len());
    for i in items {
        if !contains_item(&out, &i) {
            out.push(i);
        }
    }
    out
}

impl<'e, 'a> Evaluator<'e, 'a> {
    fn tick(&self, n: usize) -> Result<()> {
        let spent = self.steps.get() + n as u64 + 1;
        self.steps.set(spent);
        if spent > STEP_BUDGET {
            return fail("the expression does too much work to finish");
        }
        Ok(())
    }

    fn eval(&self, expr: &'a Expr, input: &[Item<'a>], frame: &Frame<'a>) -> Result<Collection<'a>> {
        self.tick(input.len())?;
        Ok(match expr {
            Expr::Literal(l) => vec![match l {
                Literal::Bool(b) => Item::Bool(*b),
                Literal::String(s) => Item::String(Cow::Borrowed(s)),
                Literal::Integer(i) => Item::Integer(*i),
                Literal::Decimal(d) => Item::Decimal(*d),
                Literal::Date(d) => Item::Date(Cow::Owned(d.clone())),
                Literal::DateTime(d) => Item::DateTime(Cow::Owned(d.clone())),
                Literal::Time(t) => Item::Time(Cow::Owned(t.clone())),
                Literal::Quantity(v, u) => Item::Quantity(*v, Cow::Owned(u.clone())),
            }],
            Expr::Empty => Vec::new(),
            Expr::Variable(name) => match name.as_str() {
                "ucum" => vec![string("http://unitsofmeasure.org")],
                "sct" => vec![string("http://snomed.info/sct")],
                "loinc" => vec![string("http://loinc.org")],
                _ => match self.env.variable(name) {
                    Some(value) => value,
                    None => return fail(format!("%{name} is not defined")),
                },
            },
            Expr::Special(Special::This) => frame.this.clone().into_iter().collect(),
            Expr::Special(Special::Index) => frame.index.map(|i| Item::Integer(i as i64)).into_iter().collect(),
            Expr::Special(Special::Total) => frame.total.clone().unwrap_or_default(),
            Expr::Member(base, name) => {
                let mut out = Vec::new();
                match base {
                    Some(b) => self.eval(b, input, frame)?.iter().for_each(|item| navigate(item, name, &mut out)),
                    None => input.iter().for_each(|item| navigate(item, name, &mut out)),
                }
                out
            }
            Expr::Index(base, index) => {
                let focus = self.eval(base, input, frame)?;
                let at = self.eval(index, input, frame)?;
                match single(&at, "an index")? {
                    Some(Item::Integer(i)) if *i >= 0 => focus.into_iter().nth(*i as usize).into_iter().collect(),
                    Some(Item::Integer(_)) | None => Vec::new(),
                    Some(_) => return fail("an index must be an integer"),
                }
            }
            Expr::Negate(inner) => {
                let v = self.eval(inner, input, frame)?;
                match single(&v, "negation")? {
                    None => Vec::new(),
                    Some(Item::Integer(i)) => vec![Item::Integer(-i)],
                    Some(Item::Decimal(d)) => vec![Item::Decimal(-d)],
                    Some(q) => match q.as_quantity() {
                        Some((v, u)) => vec![Item::Quantity(-v, u)],
                        None => return fail("only numbers and quantities can be negated"),
                    },
                }
            }
            Expr::Type(op, inner, name) => {
                let v = self.eval(inner, input, frame)?;
                match (op, single(&v, "is and as")?) {
                    (_, None) => Vec::new(),
                    (TypeOp::Is, Some(item)) => vec![Item::Bool(is_type(item, name))],
                    (TypeOp::As, Some(item)) => {
                        if is_type(item, name) {
                            vec![item.clone()]
                        } else {
                            Vec::new()
                        }
                    }
                }
            }
            Expr::Binary(op, left, right) => self.binary(*op, left, right, input, frame)?,
            Expr::Call(base, name, args) => {
                let focus = match base {
                    Some(b) => self.eval(b, input, frame)?,
                    None => input.to_vec(),
                };
                self.call(name, args, focus, input, frame)?
            }
        })
    }

    fn binary(
        &self,
        op: BinaryOp,
        left: &'a Expr,
        right: &'a Expr,
        input: &[Item<'a>],
        frame: &Frame<'a>,
    ) -> Result<Collection<'a>> {
        use BinaryOp::*;
        // The logical operators are three-valued and may not need their right side.
        if matches!(op, And | Or | Xor | Implies) {
            let l = as_bool(&self.eval(left, input, frame)?)?;
            let short = match (op, l) {
                (And, Some(false)) => Some(Some(false)),
                (Or, Some(true)) => Some(Some(true)),
                (Implies, Some(false)) => Some(Some(true)),
                _ => None,
            };
            if let Some(result) = short {
                return Ok(boolean(result));
            }
            let r = as_bool(&self.eval(right, input, frame)?)?;
            return Ok(boolean(match op {
                And => match (l, r) {
                    (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                },
                Or => match (l, r) {
                    (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                },
                Xor => l.zip(r).map(|(a, b)| a != b),
                _ => match (l, r) {
                    (Some(true), r) => r,
                    (None, Some(true)) => Some(true),
                    _ => None,
                },
            }));
        }
        let l = self.eval(left, input, frame)?;
        let r = self.eval(right, input, frame)?;
        Ok(match op {
            Union => distinct(l.into_iter().chain(r).collect()),
            In | Contains => {
                let (element, set) = if op == In { (l, r) } else { (r, l) };
                match single(&element, "in and contains")? {
                    None => Vec::new(),
                    Some(e) => vec![Item::Bool(contains_item(&set, e))],
                }
            }
            Equal | NotEqual => {
                if l.is_empty() || r.is_empty() {
                    return Ok(Vec::new());
                }
                let same = if l.len() != r.len() {
                    Some(false)
                } else {
                    let mut all = Some(true);
                    for (a, b) in l.iter().zip(&r) {
                        match equal(a, b) {
                            Some(true) => {}
                            Some(false) => {
                                all = Some(false);
                                break;
                            }
                            None => all = None,
                        }
                    }
                    all
                };
                boolean(same.map(|s| if op == Equal { s } else { !s }))
            }
            Equivalent | NotEquivalent => {
                let same = l.len() == r.len() && l.iter().all(|a| r.iter().any(|b| equivalent(a, b)));
                vec![Item::Bool(if op == Equivalent { same } else { !same })]
            }
            Less | Greater | LessOrEqual | GreaterOrEqual => {
                let (Some(a), Some(b)) = (single(&l, "a comparison")?, single(&r, "a comparison")?) else {
                    return Ok(Vec::new());
                };
                let Some(order) = compare(a, b) else {
                    let comparable = a.as_number().is_some() == b.as_number().is_some();
                    return if comparable || matches!(a, Item::Date(_) | Item::DateTime(_)) {
                        Ok(Vec::new())
                    } else {
                        fail("these values cannot be compared")
                    };
                };
                vec![Item::Bool(match op {
                    Less => order == Ordering::Less,
                    Greater => order == Ordering::Greater,
                    LessOrEqual => order != Ordering::Greater,
                    _ => order != Ordering::Less,
                })]
            }
            Concat => {
                let text = |c: &Collection| -> Result<String> {
                    Ok(single(c, "&")?.and_then(|i| i.to_text()).unwrap_or_default())
                };
                vec![string(text(&l)? + &text(&r)?)]
            }
            Plus | Minus | Times | Divide | Div | Mod => {
                let (Some(a), Some(b)) = (single(&l, "arithmetic")?, single(&r, "arithmetic")?) else {
                    return Ok(Vec::new());
                };
                arithmetic(op, a, b)?.into_iter().collect()
            }
            And | Or | Xor | Implies => unreachable!("handled above"),
        })
    }

    /// Evaluates an argument once per item of the focus, with `$this` and `$index` set.
    fn each(&self, arg: &'a Expr, item: &Item<'a>, index: usize, frame: &Frame<'a>) -> Result<Collection<'a>> {
        let inner = Frame { this: Some(item.clone()), index: Some(index), total: frame.total.clone() };
        self.eval(arg, std::slice::from_ref(item), &inner)
    }

    fn arg(&self, args: &'a [Expr], n: usize, input: &[Item<'a>], frame: &Frame<'a>) -> Result<Collection<'a>> {
        match args.get(n) {
            Some(a) => self.eval(a, input, frame),
            None => fail("an argument is missing"),
        }
    }

    fn int_arg(&self, args: &'a [Expr], n: usize, input: &[Item<'a>], frame: &Frame<'a>) -> Result<Option<i64>> {
        match single(&self.arg(args, n, input, frame)?, "this argument")? {
            None => Ok(None),
            Some(Item::Integer(i)) => Ok(Some(*i)),
            Some(_) => fail("this argument must be an integer"),
        }
    }

    fn text_arg(&self, args: &'a [Expr], n: usize, input: &[Item<'a>], frame: &Frame<'a>) -> Result<Option<String>> {
        Ok(single(&self.arg(args, n, input, frame)?, "this argument")?.and_then(|i| i.to_text()))
    }

    fn call(
        &self,
        name: &str,
        args: &'a [Expr],
        focus: Collection<'a>,
        input: &[Item<'a>],
        frame: &Frame<'a>,
    ) -> Result<Collection<'a>> {
        let arity = |n: usize| -> Result<()> {
            if args.len() == n {
                Ok(())
            } else {
                fail(format!("{name}() takes {n} argument{}", if n == 1 { "" } else { "s" }))
            }
        };
        // The string and number functions act on one value.
        let one = || single(&focus, name);
        let text = || -> Result<Option<String>> { Ok(one()?.and_then(|i| i.to_text())) };
        let number = || -> Result<Option<f64>> {
            match one()? {
                None => Ok(None),
                Some(i) => match i.as_number() {
                    Some(n) => Ok(Some(n)),
                    None => fail(format!("{name}() needs a number")),
                },
            }
        };
        Ok(match name {
            // Existence
            "empty" => vec![Item::Bool(focus.is_empty())],
            "exists" => {
                if args.is_empty() {
                    vec![Item::Bool(!focus.is_empty())]
                } else {
                    let mut any = false;
                    for (i, item) in focus.iter().enumerate() {
                        if as_bool(&self.each(&args[0], item, i, frame)?)? == Some(true) {
                            any = true;
                            break;
                        }
                    }
                    vec![Item::Bool(any)]
                }
            }
            "all" => {
                arity(1)?;
                let mut all = true;
                for (i, item) in focus.iter().enumerate() {
                    if as_bool(&self.each(&args[0], item, i, frame)?)? != Some(true) {
                        all = false;
                        break;
                    }
                }
                vec![Item::Bool(all)]
            }
            "allTrue" | "anyTrue" | "allFalse" | "anyFalse" => {
                let want = name.ends_with("True");
                let hit = |i: &Item| matches!(i, Item::Bool(b) if *b == want);
                vec![Item::Bool(if name.starts_with("all") { focus.iter().all(hit) } else { focus.iter().any(hit) })]
            }
            "count" => vec![Item::Integer(focus.len() as i64)],
            "distinct" => distinct(focus),
            "isDistinct" => {
                let n = focus.len();
                vec![Item::Bool(distinct(focus).len() == n)]
            }
            "subsetOf" | "supersetOf" => {
                let other = self.arg(args, 0, input, frame)?;
                let (small, big) = if name == "subsetOf" { (&focus, &other) } else { (&other, &focus) };
                vec![Item::Bool(small.iter().all(|i| contains_item(big, i)))]
            }
            "hasValue" => vec![Item::Bool(matches!(focus.as_slice(), [i] if !matches!(i, Item::Node(..))))],
            // Filtering and projection
            "where" => {
                arity(1)?;
                // `where(linkId = 'x')`, the step nearly every SDC expression takes to find
                // an item, compares the element directly: the same result, without the
                // general machinery for each of a thousand items.
                let direct = element_equals_literal(&args[0]);
                let mut out = Vec::new();
                for (i, item) in focus.iter().enumerate() {
                    let keep = match direct.and_then(|(element, text)| compare_directly(item, element, text)) {
                        Some(decided) => decided,
                        None => as_bool(&self.each(&args[0], item, i, frame)?)? == Some(true),
                    };
                    if keep {
                        out.push(item.clone());
                    }
                }
                out
            }
            "select" => {
                arity(1)?;
                let mut out = Vec::new();
                for (i, item) in focus.iter().enumerate() {
                    out.extend(self.each(&args[0], item, i, frame)?);
                }
                out
            }
            "repeat" => {
                arity(1)?;
                let mut out: Collection<'a> = Vec::new();
                let mut frontier = focus;
                while !frontier.is_empty() {
                    let mut next = Vec::new();
                    for (i, item) in frontier.iter().enumerate() {
                        for found in self.each(&args[0], item, i, frame)? {
                            if !contains_item(&out, &found) {
                                out.push(found.clone());
                                next.push(found);
                            }
                        }
                    }
                    self.tick(next.len())?;
                    frontier = next;
                }
                out
            }
            "ofType" => {
                let t = type_argument(args)?;
                focus.into_iter().filter(|i| is_type(i, &t)).collect()
            }
            "is" | "as" => {
                let t = type_argument(args)?;
                match single(&focus, name)? {
                    None => Vec::new(),
                    Some(i) if name == "is" => vec![Item::Bool(is_type(i, &t))],
                    Some(i) => {
                        if is_type(i, &t) {
                            vec![i.clone()]
                        } else {
                            Vec::new()
                        }
                    }
                }
            }
            "children" => {
                let mut out = Vec::new();
                focus.iter().for_each(|i| children(i, &mut out));
                out
            }
            "descendants" => {
                let mut out = Vec::new();
                let mut frontier = focus;
                while !frontier.is_empty() {
                    let mut next = Vec::new();
                    frontier.iter().for_each(|i| children(i, &mut next));
                    self.tick(next.len())?;
                    out.extend(next.iter().cloned());
                    frontier = next;
                }
                out
            }
            "extension" => {
                let url = self.text_arg(args, 0, input, frame)?.unwrap_or_default();
                let mut all = Vec::new();
                focus.iter().for_each(|i| navigate(i, "extension", &mut all));
                all.into_iter()
                    .filter(
                        |e| matches!(e, Item::Node(n, _) if n.get("url").and_then(Json::as_str) == Some(url.as_str())),
                    )
                    .collect()
            }
            // Subsetting
            "first" => focus.into_iter().take(1).collect(),
            "last" => focus.into_iter().last().into_iter().collect(),
            "tail" => focus.into_iter().skip(1).collect(),
            "single" => match focus.len() {
                0 | 1 => focus,
                _ => return fail("single() found several values"),
            },
            "skip" | "take" => {
                let n = self.int_arg(args, 0, input, frame)?.unwrap_or(0).max(0) as usize;
                if name == "skip" {
                    focus.into_iter().skip(n).collect()
                } else {
                    focus.into_iter().take(n).collect()
                }
            }
            "intersect" => {
                let other = self.arg(args, 0, input, frame)?;
                distinct(focus.into_iter().filter(|i| contains_item(&other, i)).collect())
            }
            "exclude" => {
                let other = self.arg(args, 0, input, frame)?;
                focus.into_iter().filter(|i| !contains_item(&other, i)).collect()
            }
            "union" => distinct(focus.into_iter().chain(self.arg(args, 0, input, frame)?).collect()),
            "combine" => focus.into_iter().chain(self.arg(args, 0, input, frame)?).collect(),
            // Logic and control
            "not" => boolean(as_bool(&focus)?.map(|b| !b)),
            "iif" => {
                if args.len() < 2 || args.len() > 3 {
                    return fail("iif() takes 2 or 3 arguments");
                }
                // Called on a collection (`x.iif(...)`), the condition reads that collection.
                let condition = as_bool(&self.eval(&args[0], &focus, frame)?)?;
                if condition == Some(true) {
                    self.eval(&args[1], input, frame)?
                } else if let Some(otherwise) = args.get(2) {
                    self.eval(otherwise, input, frame)?
                } else {
                    Vec::new()
                }
            }
            "trace" => focus,
            "aggregate" => {
                let mut total = match args.get(1) {
                    Some(init) => self.eval(init, input, frame)?,
                    None => Vec::new(),
                };
                for (i, item) in focus.iter().enumerate() {
                    let inner = Frame { this: Some(item.clone()), index: Some(i), total: Some(total) };
                    total = self.eval(
                        args.first().ok_or_else(|| EvalError("aggregate() needs an expression".into()))?,
                        std::slice::from_ref(item),
                        &inner,
                    )?;
                }
                total
            }
            "sum" | "min" | "max" | "avg" => {
                if focus.is_empty() {
                    return Ok(if name == "sum" { vec![Item::Integer(0)] } else { Vec::new() });
                }
                let mut best = focus[0].clone();
                let mut sum: Option<Item<'a>> = None;
                for item in &focus {
                    if item.as_number().is_none() && item.as_quantity().is_none() && name != "min" && name != "max" {
                        return fail(format!("{name}() needs numbers"));
                    }
                    sum = Some(match sum {
                        None => item.clone(),
                        Some(s) if name == "sum" || name == "avg" => arithmetic(BinaryOp::Plus, &s, item)?.unwrap_or(s),
                        Some(s) => s,
                    });
                    let order =
                        compare(item, &best).ok_or_else(|| EvalError(format!("{name}() cannot order these values")))?;
                    if (name == "min" && order == Ordering::Less) || (name == "max" && order == Ordering::Greater) {
                        best = item.clone();
                    }
                }
                match name {
                    "sum" => sum.into_iter().collect(),
                    "avg" => vec![Item::Decimal(sum.and_then(|s| s.as_number()).unwrap_or(0.0) / focus.len() as f64)],
                    _ => vec![best],
                }
            }
            // Conversion
            "toString" => text()?.map(string).into_iter().collect(),
            "toInteger" => match one()? {
                None => Vec::new(),
                Some(Item::Integer(i)) => vec![Item::Integer(*i)],
                Some(Item::Bool(b)) => vec![Item::Integer(*b as i64)],
                Some(Item::String(s)) => s.trim().parse::<i64>().ok().map(Item::Integer).into_iter().collect(),
                Some(_) => Vec::new(),
            },
            "toDecimal" => match one()? {
                None => Vec::new(),
                Some(Item::Bool(b)) => vec![Item::Decimal(*b as i64 as f64)],
                Some(Item::String(s)) => decimal_from_text(s).map(Item::Decimal).into_iter().collect(),
                Some(i) => i.as_number().map(Item::Decimal).into_iter().collect(),
            },
            "toBoolean" => match one()? {
                Some(Item::Bool(b)) => vec![Item::Bool(*b)],
                Some(Item::String(s)) => match s.to_ascii_lowercase().as_str() {
                    "true" | "t" | "yes" | "y" | "1" | "1.0" => vec![Item::Bool(true)],
                    "false" | "f" | "no" | "n" | "0" | "0.0" => vec![Item::Bool(false)],
                    _ => Vec::new(),
                },
                Some(Item::Integer(i)) if *i == 0 || *i == 1 => vec![Item::Bool(*i == 1)],
                _ => Vec::new(),
            },
            "toDate" | "toDateTime" => match one()? {
                Some(Item::Date(s) | Item::DateTime(s) | Item::String(s)) => {
                    let date_only = s.split('T').next().unwrap_or_default().to_owned();
                    if !looks_like_date(&date_only) {
                        Vec::new()
                    } else if name == "toDate" {
                        vec![Item::Date(Cow::Owned(date_only))]
                    } else {
                        vec![Item::DateTime(Cow::Owned(s.to_string()))]
                    }
                }
                _ => Vec::new(),
            },
            "toQuantity" => match one()? {
                Some(i) => i
                    .as_number()
                    .map(|n| Item::Quantity(n, Cow::Borrowed("1")))
                    .or_else(|| i.as_quantity().map(|(v, u)| Item::Quantity(v, u)))
                    .into_iter()
                    .collect(),
                None => Vec::new(),
            },
            "convertsToInteger" | "convertsToDecimal" | "convertsToString" | "convertsToBoolean" | "convertsToDate" => {
                if focus.is_empty() {
                    return Ok(Vec::new());
                }
                let target = &name["convertsTo".len()..];
                let converted = self.call(&format!("to{target}"), &[], focus, input, frame)?;
                vec![Item::Bool(!converted.is_empty())]
            }
            // Strings
            "length" => text()?.map(|s| Item::Integer(s.chars().count() as i64)).into_iter().collect(),
            "lower" => text()?.map(|s| string(super::case::lower(&s))).into_iter().collect(),
            "upper" => text()?.map(|s| string(super::case::upper(&s))).into_iter().collect(),
            "trim" => text()?.map(|s| string(s.trim())).into_iter().collect(),
            "toChars" => text()?.map(|s| s.chars().map(|c| string(c.to_string())).collect()).unwrap_or_default(),
            "startsWith" | "endsWith" | "contains" => {
                let (Some(s), Some(part)) = (text()?, self.text_arg(args, 0, input, frame)?) else {
                    return Ok(Vec::new());
                };
                vec![Item::Bool(match name {
                    "startsWith" => s.starts_with(&part),
                    "endsWith" => s.ends_with(&part),
                    _ => s.contains(&part),
                })]
            }
            "indexOf" => {
                let (Some(s), Some(part)) = (text()?, self.text_arg(args, 0, input, frame)?) else {
                    return Ok(Vec::new());
                };
                vec![Item::Integer(s.find(&part).map(|b| s[..b].chars().count() as i64).unwrap_or(-1))]
            }
            "substring" => {
                let Some(s) = text()? else { return Ok(Vec::new()) };
                let Some(start) = self.int_arg(args, 0, input, frame)? else { return Ok(Vec::new()) };
                let chars: Vec<char> = s.chars().collect();
                if start < 0 || start as usize >= chars.len() {
                    return Ok(Vec::new());
                }
                let len = match args.get(1) {
                    Some(_) => self.int_arg(args, 1, input, frame)?.unwrap_or(chars.len() as i64).max(0) as usize,
                    None => chars.len(),
                };
                vec![string(chars[start as usize..].iter().take(len).collect::<String>())]
            }
            "replace" => {
                let (Some(s), Some(from), Some(to)) =
                    (text()?, self.text_arg(args, 0, input, frame)?, self.text_arg(args, 1, input, frame)?)
                else {
                    return Ok(Vec::new());
                };
                vec![string(if from.is_empty() {
                    // Every gap between characters gets the replacement.
                    let mut out = to.clone();
                    for c in s.chars() {
                        out.push(c);
                        out.push_str(&to);
                    }
                    out
                } else {
                    s.replace(&from, &to)
                })]
            }
            "matches" => {
                let (Some(s), Some(pattern)) = (text()?, self.text_arg(args, 0, input, frame)?) else {
                    return Ok(Vec::new());
                };
                // Anywhere in the text, as R4's FHIRPath means it (the `regex` extension's
                // patterns are anchored; these are not).
                let pattern = crate::form::pattern::Pattern::new(&format!("[\\s\\S]*(?:{pattern})[\\s\\S]*"))
                    .map_err(|e| EvalError(format!("matches(): {e}")))?;
                vec![Item::Bool(pattern.is_match(&s))]
            }
            "split" => {
                let (Some(s), Some(sep)) = (text()?, self.text_arg(args, 0, input, frame)?) else {
                    return Ok(Vec::new());
                };
                s.split(sep.as_str()).map(string).collect()
            }
            "join" => {
                let sep = match args.first() {
                    Some(_) => self.text_arg(args, 0, input, frame)?.unwrap_or_default(),
                    None => String::new(),
                };
                vec![string(focus.iter().filter_map(|i| i.to_text()).collect::<Vec<_>>().join(&sep))]
            }
            // Maths
            "abs" => match one()? {
                Some(Item::Integer(i)) => vec![Item::Integer(i.abs())],
                Some(Item::Quantity(v, u)) => vec![Item::Quantity(v.abs(), u.clone())],
                _ => number()?.map(|n| Item::Decimal(n.abs())).into_iter().collect(),
            },
            "ceiling" | "floor" | "truncate" => number()?
                .map(|n| {
                    Item::Integer(match name {
                        "ceiling" => n.ceil(),
                        "floor" => n.floor(),
                        _ => n.trunc(),
                    } as i64)
                })
                .into_iter()
                .collect(),
            "round" => {
                let places = match args.first() {
                    Some(_) => self.int_arg(args, 0, input, frame)?.unwrap_or(0),
                    None => 0,
                };
                if places < 0 {
                    return fail("round() needs a precision of zero or more");
                }
                let scale = 10f64.powi(places as i32);
                number()?.map(|n| Item::Decimal((n * scale).round() / scale)).into_iter().collect()
            }
            "sqrt" | "ln" | "exp" => number()?
                .map(|n| match name {
                    "sqrt" => n.sqrt(),
                    "ln" => n.ln(),
                    _ => n.exp(),
                })
                .filter(|n| n.is_finite())
                .map(Item::Decimal)
                .into_iter()
                .collect(),
            "log" => {
                let base = single(&self.arg(args, 0, input, frame)?, "log()")?.and_then(Item::as_number);
                number()?
                    .zip(base)
                    .map(|(n, b)| n.ln() / b.ln())
                    .filter(|n| n.is_finite())
                    .map(Item::Decimal)
                    .into_iter()
                    .collect()
            }
            "power" => {
                let exponent = self.arg(args, 0, input, frame)?;
                let (Some(b), Some(e)) = (one()?, single(&exponent, "power()")?) else { return Ok(Vec::new()) };
                match (b, e) {
                    (Item::Integer(b), Item::Integer(e)) if *e >= 0 => {
                        b.checked_pow(*e as u32).map(Item::Integer).into_iter().collect()
                    }
                    _ => match (b.as_number(), e.as_number()) {
                        (Some(b), Some(e)) => {
                            Some(b.powf(e)).filter(|n| n.is_finite()).map(Item::Decimal).into_iter().collect()
                        }
                        _ => return fail("power() needs numbers"),
                    },
                }
            }
            // Dates
            "today" => self.env.today().map(|d| Item::Date(Cow::Owned(d))).into_iter().collect(),
            "now" => self.env.now().map(|d| Item::DateTime(Cow::Owned(d))).into_iter().collect(),
            _ => return fail(format!("{name}() is not a function this evaluator knows")),
        })
    }
}

/// `name = 'text'` (either way round), for the direct comparison in `where`.
fn element_equals_literal(expr: &Expr) -> Option<(&str, &str)> {
    let Expr::Binary(BinaryOp::Equal, a, b) = expr else { return None };
    match (a.as_ref(), b.as_ref()) {
        (Expr::Member(None, name), Expr::Literal(Literal::String(text)))
        | (Expr::Literal(Literal::String(text)), Expr::Member(None, name))
            if !name.starts_with(|c: char| c.is_ascii_uppercase()) =>
        {
            Some((name, text))
        }
        _ => None,
    }
}

/// `element = 'text'` on one item, decided without evaluating, when that is plain: the
/// element is a single string or absent (and no choice element shares its name).
fn compare_directly(item: &Item, element: &str, text: &str) -> Option<bool> {
    let Item::Node(Json::Object(map), _) = item else { return None };
    match map.get(element) {
        Some(Json::String(s)) => Some(s == text),
        Some(_) => None,
        None if map.keys().any(|k| k.len() > element.len() && k.starts_with(element)) => None,
        None => Some(false),
    }
}

fn looks_like_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    !parts.is_empty()
        && parts.len() <= 3
        && parts[0].len() == 4
        && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn arithmetic<'a>(op: BinaryOp, a: &Item<'a>, b: &Item<'a>) -> Result<Option<Item<'a>>> {
    use BinaryOp::*;
    // Dates move by calendar quantities.
    if let (Item::Date(d) | Item::DateTime(d), Some((amount, unit))) = (a, b.as_quantity()) {
        if matches!(op, Plus | Minus) {
            let signed = if op == Minus { -amount } else { amount };
            let is_datetime = matches!(a, Item::DateTime(_));
            return Ok(add_to_date(d, signed, &unit, is_datetime).map(|t| {
                if is_datetime {
                    Item::DateTime(Cow::Owned(t))
                } else {
                    Item::Date(Cow::Owned(t))
                }
            }));
        }
    }
    if let (Item::String(x), Item::String(y), Plus) = (a, b, op) {
        return Ok(Some(string(format!("{x}{y}"))));
    }
    if let (Item::Integer(x), Item::Integer(y)) = (a, b) {
        let (x, y) = (*x, *y);
        return Ok(match op {
            Plus => x.checked_add(y).map(Item::Integer),
            Minus => x.checked_sub(y).map(Item::Integer),
            Times => x.checked_mul(y).map(Item::Integer),
            Divide => (y != 0).then(|| Item::Decimal(x as f64 / y as f64)),
            Div => (y != 0).then(|| Item::Integer(x / y)),
            Mod => (y != 0).then(|| Item::Integer(x % y)),
            _ => None,
        });
    }
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        let v = match op {
            Plus => x + y,
            Minus => x - y,
            Times => x * y,
            Divide if y != 0.0 => x / y,
            Div if y != 0.0 => return Ok(Some(Item::Integer((x / y).trunc() as i64))),
            Mod if y != 0.0 => x % y,
            _ => return Ok(None),
        };
        return Ok(Some(Item::Decimal(v)));
    }
    if let (Some((x, ux)), Some((y, uy))) = (a.as_quantity(), b.as_quantity()) {
        if ux == uy && matches!(op, Plus | Minus) {
            return Ok(Some(Item::Quantity(if op == Plus { x + y } else { x - y }, ux)));
        }
        return Ok(None);
    }
    if let (Some((x, u)), Some(y)) = (a.as_quantity(), b.as_number()) {
        return Ok(match op {
            Times => Some(Item::Quantity(x * y, u)),
            Divide if y != 0.0 => Some(Item::Quantity(x / y, u)),
            _ => None,
        });
    }
    fail("these values cannot be combined arithmetically")
}
