//! Engine benchmark: parse, build state, evaluate, and re-evaluate after one answer, for
//! generated questionnaires of 100, 1,000 and 5,000 items (enableWhen chains and repeating
//! groups). Prints medians; run with `cargo bench -p formwell-engine --bench evaluate`.
//! Figures go in BENCHMARKS.md; nothing here asserts a time.

#[path = "support/timing.rs"]
mod timing;
use timing::median;

#[path = "../tests/common/generate.rs"]
mod generate;

use std::sync::Arc;
use std::time::Duration;

use formwell_engine::{Action, FormState, Questionnaire};

fn show(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.1} µs")
    }
}

fn main() {
    println!("| items | parse (of which JSON) | build state + evaluate | full re-evaluation | one answer, no dependents | one answer, 2 dependents | one answer at the head of the longest chain |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for size in [100usize, 1_000, 5_000] {
        let text = generate::questionnaire(size).to_string();
        let runs = if size >= 5_000 { 21 } else { 101 };
        let parse = median(runs, || Questionnaire::parse(&text).unwrap());
        let json_only = median(runs, || serde_json::from_str::<serde_json::Value>(&text).unwrap());
        let q = Arc::new(Questionnaire::parse(&text).unwrap().questionnaire);
        let build = median(runs, || FormState::new(Arc::clone(&q)));
        let mut form = FormState::new(Arc::clone(&q));
        let full = median(runs, || form.reevaluate_all());

        // A leaf: a text question in the middle group that no condition reads.
        let middle = size / 20;
        let leaf = form.node_by_link_id(&format!("g{middle}.q7")).unwrap();
        let gate = form.node_by_link_id(&format!("g{middle}.q0")).unwrap();
        // Open the middle group's chain so that its questions are enabled.
        form.apply(Action::SetInput { node: gate, text: "yes".into() }).unwrap();
        let decimal = form.node_by_link_id(&format!("g{middle}.q5")).unwrap();
        let mut flip = false;
        let no_dependents = median(1001, || {
            flip = !flip;
            form.apply(Action::SetInput { node: leaf, text: if flip { "a".into() } else { "b".into() } }).unwrap()
        });
        // q5 decides q6 (enableBehavior any), which decides q7.
        let with_dependents = median(1001, || {
            flip = !flip;
            form.apply(Action::SetInput { node: decimal, text: if flip { "2".into() } else { "1".into() } }).unwrap()
        });
        // The first group's last question: "no" hides every following group in the chain.
        let head = form.node_by_link_id("g0.q8").unwrap();
        let chain = median(runs, || {
            flip = !flip;
            form.apply(Action::SetInput { node: head, text: if flip { "no".into() } else { "yes".into() } }).unwrap()
        });
        println!(
            "| {} | {} ({}) | {} | {} | {} | {} | {} |",
            q.items().len(),
            show(parse),
            show(json_only),
            show(build),
            show(full),
            show(no_dependents),
            show(with_dependents),
            show(chain)
        );
    }
    expressions();
}

/// The SDC expressions: a 1,000-item form with 200 calculated totals, one answer changed.
fn expressions() {
    println!();
    println!("| items | calculated | load + first evaluation | one answer a total reads | one answer no expression reads | full re-evaluation |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let text = generate::calculated_questionnaire(1_000, 200).to_string();
    let q = Arc::new(Questionnaire::parse(&text).unwrap().questionnaire);
    let build = median(51, || FormState::new(Arc::clone(&q)));
    let mut form = FormState::new(Arc::clone(&q));
    let read = form.node_by_link_id("q400").unwrap();
    let unread = form.node_by_link_id("q402").unwrap();
    let mut n = 0;
    let one_read = median(1001, || {
        n += 1;
        form.apply(Action::SetInput { node: read, text: (n % 7).to_string() }).unwrap()
    });
    let one_unread = median(1001, || {
        n += 1;
        form.apply(Action::SetInput { node: unread, text: (n % 7).to_string() }).unwrap()
    });
    let full = median(51, || form.reevaluate_all());
    println!(
        "| {} | 200 | {} | {} | {} | {} |",
        q.items().len(),
        show(build),
        show(one_read),
        show(one_unread),
        show(full)
    );
}
