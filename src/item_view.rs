//! Items as the engine evaluates them: groups as fieldsets, display text, questions with
//! their widget and inline error, and the add/remove buttons of repeating groups.
//!
//! Each item takes the engine's revision of what it shows as a prop, and the form's
//! context does not change from one keystroke to the next, so a change redraws the items
//! it changed and the groups on their way, and no other (yew skips a component whose
//! props are equal).

use formwell_engine::{Action, ItemType, NodeId};
use yew::prelude::*;

use crate::form_page::{field_id, FormContext};
use crate::widgets::QuestionWidget;

#[derive(Properties, PartialEq)]
pub struct ChildrenProps {
    pub nodes: Vec<NodeId>,
    /// The parent's subtree revision (the form's, for the top level).
    pub revision: u64,
}

thread_local! {
    static RENDERS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// How many times an item (or a question's widget) has been drawn since the page
/// loaded: the browser tests read it (`itemRenders`) to see that a keystroke redraws
/// only what it changed.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = itemRenders)]
pub fn item_renders() -> u32 {
    RENDERS.with(|r| r.get())
}

pub(crate) fn count_render() {
    RENDERS.with(|r| r.set(r.get().wrapping_add(1)));
}

/// Sibling instances in order, with "Add another" after the last instance of each
/// repeating group.
#[function_component(Children)]
pub fn children(props: &ChildrenProps) -> Html {
    let ctx = use_context::<FormContext>().expect("items render inside a form");
    let form = ctx.state.borrow();
    let q = form.questionnaire().clone();
    let mut out = Vec::new();
    // Instances of one item are siblings in a row: the run's length is their count (this
    // list is walked on every key at the top level, so once, not once per instance).
    let mut run: (Option<formwell_engine::ItemId>, u32) = (None, 0);
    for (i, &node) in props.nodes.iter().enumerate() {
        out.push(html! { <ItemView key={node.0} node={node} revision={form.subtree_revision(node)} /> });
        let Some(n) = form.node(node) else { continue };
        run = if run.0 == Some(n.item) { (run.0, run.1 + 1) } else { (Some(n.item), 1) };
        let item = q.item(n.item);
        let next_is_same = props.nodes.get(i + 1).and_then(|x| form.node(*x)).is_some_and(|x| x.item == n.item);
        let enabled = form.evaluate().is_enabled(node);
        if item.repeats && item.kind == ItemType::Group && !next_is_same && enabled && !item.read_only {
            let count = run.1;
            let full = item.constraints.max_occurs.is_some_and(|m| count >= m);
            let onclick = {
                let (dispatch, parent, item_id) = (ctx.dispatch.clone(), n.parent, n.item);
                Callback::from(move |_| dispatch.emit(Action::AddInstance { parent, item: item_id }))
            };
            out.push(html! {
                <button type="button" class="button secondary add-instance" key={format!("add-{}", node.0)}
                        disabled={full} {onclick}>
                    { format!("Add another: {}", item.label()) }
                </button>
            });
        }
    }
    html! { <>{ for out }</> }
}

#[derive(Properties, PartialEq)]
pub struct ItemViewProps {
    pub node: NodeId,
    /// Its subtree revision: a change to it, or to anything under it.
    pub revision: u64,
}

/// One item instance, or nothing when it is disabled or hidden.
#[function_component(ItemView)]
pub fn item_view(props: &ItemViewProps) -> Html {
    count_render();
    let ctx = use_context::<FormContext>().expect("items render inside a form");
    let form = ctx.state.borrow();
    let Some(node) = form.node(props.node) else { return html! {} };
    let evaluation = form.evaluate();
    let q = form.questionnaire().clone();
    let shown = form.item_as_shown(props.node).and_then(|i| match i {
        std::borrow::Cow::Owned(i) => Some(i),
        std::borrow::Cow::Borrowed(_) => None,
    });
    let item = shown.as_ref().unwrap_or(q.item(node.item));
    if !evaluation.is_enabled(props.node) || item.hidden {
        return html! {};
    }
    let prefix = item.prefix.as_ref().map(|p| html! { <span class="prefix">{ p }{ " " }</span> });
    let errors: Vec<String> = if ctx.submit_tried {
        evaluation.issues_of(props.node).iter().map(|i| i.message()).collect()
    } else {
        Vec::new()
    };
    let error_id = format!("{}-error", field_id(props.node));
    let error_html = (!errors.is_empty()).then(|| {
        html! {
            <p class="error-message" id={error_id.clone()}>
                { for errors.iter().map(|e| html! { <span><span class="visually-hidden">{ "Error: " }</span>{ e }<br/></span> }) }
            </p>
        }
    });
    let class = classes!("item", (!errors.is_empty()).then_some("has-error"));
    match item.kind {
        // Text an answer brought up is a prompt for staff to act on: it stands out.
        ItemType::Display => html! {
            <div class={classes!("item", "display", (!item.enable_when.is_empty()).then_some("prompt"))} id={field_id(props.node)}
                 role={(!item.enable_when.is_empty()).then_some("note")}>
                { for item.label().split('\n').filter(|l| !l.is_empty()).map(|line| html! { <p>{ prefix.clone() }{ line }</p> }) }
            </div>
        },
        ItemType::Group => {
            let children = node.children.clone();
            let revision = props.revision;
            let siblings = match node.parent {
                Some(p) => form.node(p).map(|n| n.children.clone()).unwrap_or_default(),
                None => form.roots().to_vec(),
            };
            let count = siblings.iter().filter(|s| form.node(**s).is_some_and(|x| x.item == node.item)).count() as u32;
            let removable = item.repeats && !item.read_only && count > item.constraints.min_occurs.unwrap_or(1).max(1);
            let remove = removable.then(|| {
                let (dispatch, id) = (ctx.dispatch.clone(), props.node);
                let onclick = Callback::from(move |_| dispatch.emit(Action::RemoveInstance { node: id }));
                html! { <button type="button" class="button link remove-instance" {onclick}>{ format!("Remove this: {}", item.label()) }</button> }
            });
            drop(form);
            html! {
                <fieldset class={classes!(class, "group")} id={field_id(props.node)} tabindex="-1">
                    <legend>{ prefix }{ item.label() }</legend>
                    { error_html }
                    <Children nodes={children} {revision} />
                    { remove }
                </fieldset>
            }
        }
        _ => {
            drop(form);
            html! {
                <div class={class}>
                    <QuestionWidget node={props.node} revision={props.revision} {prefix} error={error_html} described_by={(!errors.is_empty()).then_some(error_id)} />
                </div>
            }
        }
    }
}
