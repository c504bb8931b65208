//! The widget for each question: chosen from the item's type and its `itemControl`, fed
//! from the engine's state, and sending actions back. No widget validates: typed text
//! goes to the engine as it is, and the engine's issues come back as messages.

use formwell_engine::form::input::input_text;
use formwell_engine::{Action, AnswerValue, Attachment, Item, ItemControl, ItemType, NodeId, Reference};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::form_page::{field_id, FormContext};

/// Lists longer than this get a searchable field instead of a column of radios.
const LONG_LIST: usize = 12;

/// How a question is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widget {
    Text,
    TextArea,
    /// One answer per line, for repeating free-text questions.
    Lines,
    Number {
        decimal: bool,
    },
    Date,
    DateTime,
    Time,
    Url,
    YesNo,
    Checkbox,
    Radios,
    Checkboxes,
    Select,
    Autocomplete,
    /// A short whole-number scale (a slider's, at most eleven points) as a row of choices.
    Scale,
    Slider,
    Quantity,
    Attachment,
    Reference,
}

/// The widget an item asks for, or the best default for its type.
pub fn widget_for(item: &Item) -> Widget {
    let control = item.item_control.as_ref();
    let options = item.answer_options.len();
    match item.kind {
        ItemType::Boolean if control == Some(&ItemControl::CheckBox) => Widget::Checkbox,
        ItemType::Boolean => Widget::YesNo,
        ItemType::Choice
        | ItemType::OpenChoice
        | ItemType::String
        | ItemType::Integer
        | ItemType::Date
        | ItemType::Time
            if options > 0 =>
        {
            match control {
                Some(ItemControl::DropDown) if !item.repeats => Widget::Select,
                Some(ItemControl::Autocomplete | ItemControl::Lookup) if !item.repeats => Widget::Autocomplete,
                _ if item.repeats => Widget::Checkboxes,
                Some(ItemControl::CheckBox) => Widget::Checkboxes,
                Some(ItemControl::RadioButton) => Widget::Radios,
                _ if options > LONG_LIST || item.kind == ItemType::OpenChoice => Widget::Autocomplete,
                _ => Widget::Radios,
            }
        }
        // A short scale is a row of numbers to choose from: a slider cannot record its
        // own minimum (the thumb starts there) and cannot be cleared.
        ItemType::Integer if control == Some(&ItemControl::Slider) && scale(item).is_some() => Widget::Scale,
        ItemType::Integer | ItemType::Decimal
            if control == Some(&ItemControl::Slider)
                && item.constraints.min_value.is_some()
                && item.constraints.max_value.is_some() =>
        {
            Widget::Slider
        }
        ItemType::Integer => Widget::Number { decimal: false },
        ItemType::Decimal => Widget::Number { decimal: true },
        ItemType::Date => Widget::Date,
        ItemType::DateTime => Widget::DateTime,
        ItemType::Time => Widget::Time,
        ItemType::Url => Widget::Url,
        ItemType::Text if item.repeats => Widget::Lines,
        ItemType::String if item.repeats => Widget::Lines,
        ItemType::Text => Widget::TextArea,
        ItemType::Quantity => Widget::Quantity,
        ItemType::Attachment => Widget::Attachment,
        ItemType::Reference => Widget::Reference,
        _ => Widget::Text,
    }
}

/// The points of a whole-number slider with at most eleven of them, lowest first.
fn scale(item: &Item) -> Option<Vec<i64>> {
    let bound = |v: &Option<AnswerValue>| match v {
        Some(AnswerValue::Integer(i)) => Some(*i),
        _ => None,
    };
    let (min, max) = (bound(&item.constraints.min_value)?, bound(&item.constraints.max_value)?);
    let step = item.slider_step.map_or(1, |s| s.max(1.0) as i64);
    let points: Vec<i64> = (min..=max).step_by(step as usize).collect();
    (points.len() >= 2 && points.len() <= 11).then_some(points)
}

#[derive(Properties, PartialEq)]
pub struct QuestionProps {
    pub node: NodeId,
    /// The question's revision (`FormState::revision`): what makes it draw again.
    pub revision: u64,
    pub prefix: Option<Html>,
    pub error: Option<Html>,
    pub described_by: Option<String>,
}

fn input_value(e: &Event) -> String {
    let target = e.target();
    if let Some(input) = target.as_ref().and_then(|t| t.dyn_ref::<HtmlInputElement>()) {
        return input.value();
    }
    if let Some(area) = target.as_ref().and_then(|t| t.dyn_ref::<HtmlTextAreaElement>()) {
        return area.value();
    }
    target.and_then(|t| t.dyn_into::<HtmlSelectElement>().ok()).map(|s| s.value()).unwrap_or_default()
}

/// A question: its label, hint, error and control.
#[function_component(QuestionWidget)]
pub fn question_widget(props: &QuestionProps) -> Html {
    crate::item_view::count_render();
    let ctx = use_context::<FormContext>().expect("questions render inside a form");
    let form = ctx.state.borrow();
    let Some(node) = form.node(props.node) else { return html! {} };
    let q = form.questionnaire().clone();
    // Dynamic text and options from the template's expressions, where it has them.
    let shown = form.item_as_shown(props.node).and_then(|i| match i {
        std::borrow::Cow::Owned(i) => Some(i),
        std::borrow::Cow::Borrowed(_) => None,
    });
    let item = shown.as_ref().unwrap_or(q.item(node.item));
    let answers = node.answers.clone();
    let shown_text = node.typed.clone().unwrap_or_else(|| answers.first().map(input_text).unwrap_or_default());
    let unit = node.unit.clone();
    drop(form);

    let id = field_id(props.node);
    let node_id = props.node;
    let dispatch = ctx.dispatch.clone();
    let set_input = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: InputEvent| dispatch.emit(Action::SetInput { node: node_id, text: input_value(&e) }))
    };
    let set_answer = {
        let dispatch = dispatch.clone();
        Callback::from(move |value: Option<AnswerValue>| dispatch.emit(Action::SetAnswer { node: node_id, value }))
    };
    let read_only = item.read_only;
    let required_mark = item.required.then(|| html! { <span class="required" aria-hidden="true">{ " *" }</span> });
    // A date's example is the UK's way of writing one; otherwise the template's.
    let example = if item.kind == ItemType::Date { Some("27 3 2024".to_owned()) } else { item.entry_format.clone() };
    let hint =
        example.as_ref().map(|f| html! { <div class="hint" id={format!("{id}-hint")}>{ format!("For example, {f}") }</div> });
    let described_by = [props.described_by.clone(), example.as_ref().map(|_| format!("{id}-hint"))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let described_by = (!described_by.is_empty()).then_some(described_by);
    let label_text = html! { <>{ props.prefix.clone() }{ item.label() }{ required_mark.clone() }</> };
    let widget = widget_for(item);

    // Widgets that are a set of choices use a fieldset and legend; the rest a label.
    let grouped = matches!(widget, Widget::YesNo | Widget::Radios | Widget::Checkboxes | Widget::Scale | Widget::Date);
    let phone = item.is_phone();
    let control = match widget {
        Widget::Text | Widget::Url | Widget::Number { .. } | Widget::DateTime | Widget::Time => {
            let (kind, mode) = match widget {
                Widget::Url => ("url", None),
                Widget::Number { decimal: false } => ("text", Some("numeric")),
                Widget::Number { decimal: true } => ("text", Some("decimal")),
                Widget::DateTime => ("datetime-local", None),
                Widget::Time => ("time", None),
                _ if phone => ("tel", Some("tel")),
                _ => ("text", None),
            };
            let maxlength = item.constraints.max_length.map(|m| m.to_string());
            html! {
                <input class="input" type={kind} id={id.clone()} name={item.link_id.clone()} inputmode={mode}
                       value={shown_text.clone()} readonly={read_only} maxlength={maxlength}
                       autocomplete={phone.then_some("tel")}
                       aria-describedby={described_by.clone()} aria-invalid={props.error.is_some().then_some("true")}
                       oninput={set_input.clone()} />
            }
        }
        Widget::Date => {
            // Day, month and year boxes, as the UK writes dates; the engine reads
            // "27/3/2024" and says what a half-typed one is missing.
            let parts: Vec<String> = match answers.first() {
                Some(AnswerValue::Date(d)) if !shown_text.contains('/') => vec![
                    d.day.map(|x| x.to_string()).unwrap_or_default(),
                    d.month.map(|x| x.to_string()).unwrap_or_default(),
                    d.year.to_string(),
                ],
                _ if shown_text.contains('/') => shown_text.split('/').map(str::to_owned).collect(),
                _ => vec![String::new(); 3],
            };
            let parts = [0, 1, 2].map(|i| parts.get(i).cloned().unwrap_or_default());
            html! {
                <div class="date-input">
                    { for ["Day", "Month", "Year"].iter().enumerate().map(|(i, name)| {
                        let box_id = if i == 0 { id.clone() } else { format!("{id}-{}", name.to_ascii_lowercase()) };
                        let oninput = {
                            let (dispatch, parts) = (dispatch.clone(), parts.clone());
                            Callback::from(move |e: InputEvent| {
                                let mut parts = parts.clone();
                                parts[i] = input_value(&e).trim().to_owned();
                                let text = if parts.iter().all(String::is_empty) { String::new() } else { parts.join("/") };
                                dispatch.emit(Action::SetInput { node: node_id, text });
                            })
                        };
                        html! {
                            <div class={classes!("date-part", (i == 2).then_some("year"))}>
                                <label for={box_id.clone()}>{ *name }</label>
                                <input class="input" type="text" inputmode="numeric" id={box_id} value={parts[i].clone()}
                                       maxlength={if i == 2 { "4" } else { "2" }} readonly={read_only}
                                       autocomplete={item.is_birth_date().then(|| ["bday-day", "bday-month", "bday-year"][i])}
                                       aria-describedby={described_by.clone()} aria-invalid={props.error.is_some().then_some("true")}
                                       {oninput} />
                            </div>
                        }
                    }) }
                </div>
            }
        }
        Widget::Scale => {
            let points = scale(item).unwrap_or_default();
            html! {
                <div class="radios scale">
                    { for points.into_iter().enumerate().map(|(i, point)| {
                        let value = AnswerValue::Integer(point);
                        let checked = answers.iter().any(|a| a.matches(&value));
                        let option_id = if i == 0 { id.clone() } else { format!("{id}-{i}") };
                        let onchange = {
                            let set_answer = set_answer.clone();
                            Callback::from(move |_: Event| set_answer.emit(Some(value.clone())))
                        };
                        html! {
                            <div class="radio">
                                <input type="radio" id={option_id.clone()} name={id.clone()} checked={checked} disabled={read_only} {onchange} />
                                <label for={option_id}>{ point }</label>
                            </div>
                        }
                    }) }
                    if !answers.is_empty() && !read_only {
                        <button type="button" class="button link" onclick={let s = set_answer.clone(); move |_| s.emit(None)}>
                            { "Clear" }<span class="visually-hidden">{ format!(" the answer to {}", item.label()) }</span></button>
                    }
                </div>
            }
        }
        Widget::TextArea => html! {
            <textarea class="textarea" id={id.clone()} name={item.link_id.clone()} rows="4" value={shown_text.clone()}
                      readonly={read_only} aria-describedby={described_by.clone()}
                      oninput={set_input.clone()} />
        },
        Widget::Lines => {
            let text = answers.iter().map(input_text).collect::<Vec<_>>().join("\n");
            let oninput = {
                let dispatch = dispatch.clone();
                Callback::from(move |e: InputEvent| {
                    let values = input_value(&e)
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(|l| AnswerValue::String(l.to_owned()))
                        .collect();
                    dispatch.emit(Action::SetAnswers { node: node_id, values });
                })
            };
            html! {
                <>
                    <div class="hint">{ "One answer on each line" }</div>
                    <textarea class="textarea" id={id.clone()} name={item.link_id.clone()} rows="3" value={text}
                              readonly={read_only} aria-describedby={described_by.clone()} {oninput} />
                </>
            }
        }
        Widget::YesNo | Widget::Radios => {
            let options: Vec<(String, AnswerValue)> = if widget == Widget::YesNo {
                vec![("Yes".into(), AnswerValue::Boolean(true)), ("No".into(), AnswerValue::Boolean(false))]
            } else {
                item.answer_options.iter().map(|o| (o.value.label(), o.value.clone())).collect()
            };
            html! {
                <div class={classes!("radios", (options.len() == 2 && widget == Widget::YesNo).then_some("inline"))}>
                    { for options.into_iter().enumerate().map(|(i, (label, value))| {
                        let checked = answers.iter().any(|a| a.matches(&value));
                        let option_id = if i == 0 { id.clone() } else { format!("{id}-{i}") };
                        let onchange = {
                            let set_answer = set_answer.clone();
                            let value = value.clone();
                            Callback::from(move |_: Event| set_answer.emit(Some(value.clone())))
                        };
                        html! {
                            <div class="radio">
                                <input type="radio" id={option_id.clone()} name={id.clone()} checked={checked} disabled={read_only} {onchange} aria-describedby={described_by.clone()} />
                                <label for={option_id}>{ label }</label>
                            </div>
                        }
                    }) }
                </div>
            }
        }
        Widget::Checkbox => {
            let checked = answers.first() == Some(&AnswerValue::Boolean(true));
            let onchange = {
                let set_answer = set_answer.clone();
                Callback::from(move |e: Event| {
                    let on =
                        e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()).is_some_and(|i| i.checked());
                    set_answer.emit(on.then_some(AnswerValue::Boolean(true)));
                })
            };
            html! {
                <div class="checkbox">
                    <input type="checkbox" id={id.clone()} checked={checked} disabled={read_only} {onchange} />
                    <label for={id.clone()}>{ label_text.clone() }</label>
                </div>
            }
        }
        Widget::Checkboxes => {
            // Open choice: beside the options, one typed answer of the person's own.
            let other = (item.kind == ItemType::OpenChoice).then(|| {
                let is_option = |a: &AnswerValue| item.answer_options.iter().any(|o| o.value.matches(a));
                let typed = answers.iter().find(|a| !is_option(a)).map(|a| a.label()).unwrap_or_default();
                let oninput = {
                    let (dispatch, answers, options) = (dispatch.clone(), answers.clone(), item.answer_options.clone());
                    Callback::from(move |e: InputEvent| {
                        let text = input_value(&e);
                        let mut values: Vec<AnswerValue> =
                            answers.iter().filter(|a| options.iter().any(|o| o.value.matches(a))).cloned().collect();
                        if !text.trim().is_empty() {
                            values.push(AnswerValue::String(text));
                        }
                        dispatch.emit(Action::SetAnswers { node: node_id, values });
                    })
                };
                let other_id = format!("{id}-other");
                html! {
                    <div class="other">
                        <label for={other_id.clone()}>{ "Something else (say what)" }</label>
                        <input class="input" type="text" id={other_id} value={typed} readonly={read_only} {oninput} />
                    </div>
                }
            });
            html! {
                <div class="checkboxes">
                    { for item.answer_options.iter().enumerate().map(|(i, option)| {
                        let checked = answers.iter().any(|a| a.matches(&option.value));
                        let option_id = if i == 0 { id.clone() } else { format!("{id}-{i}") };
                        let onchange = {
                            let (dispatch, answers, value) = (dispatch.clone(), answers.clone(), option.value.clone());
                            Callback::from(move |_: Event| {
                                let mut values: Vec<AnswerValue> = answers.iter().filter(|a| !a.matches(&value)).cloned().collect();
                                if !answers.iter().any(|a| a.matches(&value)) {
                                    values.push(value.clone());
                                }
                                dispatch.emit(Action::SetAnswers { node: node_id, values });
                            })
                        };
                        html! {
                            <div class="checkbox">
                                <input type="checkbox" id={option_id.clone()} name={id.clone()} checked={checked} disabled={read_only} {onchange} />
                                <label for={option_id}>{ option.value.label() }</label>
                            </div>
                        }
                    }) }
                    { other }
                </div>
            }
        }
        Widget::Select => {
            let selected = item.answer_options.iter().position(|o| answers.iter().any(|a| a.matches(&o.value)));
            let onchange = {
                let (set_answer, options) = (set_answer.clone(), item.answer_options.clone());
                Callback::from(move |e: Event| {
                    let value =
                        input_value(&e).parse::<usize>().ok().and_then(|i| options.get(i)).map(|o| o.value.clone());
                    set_answer.emit(value);
                })
            };
            html! {
                <select class="select" id={id.clone()} disabled={read_only} {onchange}
                        aria-describedby={described_by.clone()}>
                    <option value="" selected={selected.is_none()}>{ "Choose…" }</option>
                    { for item.answer_options.iter().enumerate().map(|(i, o)| html! {
                        <option value={i.to_string()} selected={selected == Some(i)}>{ o.value.label() }</option>
                    }) }
                </select>
            }
        }
        Widget::Autocomplete => {
            let list_id = format!("{id}-options");
            let shown = answers.first().map(|a| a.label()).or(node_typed(&ctx, node_id)).unwrap_or_default();
            let oninput = {
                let (dispatch, options) = (dispatch.clone(), item.answer_options.clone());
                Callback::from(move |e: InputEvent| {
                    let text = input_value(&e);
                    match options.iter().find(|o| o.value.label() == text) {
                        Some(option) => {
                            dispatch.emit(Action::SetAnswer { node: node_id, value: Some(option.value.clone()) })
                        }
                        None => dispatch.emit(Action::SetInput { node: node_id, text }),
                    }
                })
            };
            html! {
                <>
                    <input class="input" type="text" id={id.clone()} list={list_id.clone()} value={shown} readonly={read_only}
                           autocomplete="off" aria-describedby={described_by.clone()} {oninput} />
                    <datalist id={list_id}>
                        { for item.answer_options.iter().map(|o| html! { <option value={o.value.label()} /> }) }
                    </datalist>
                </>
            }
        }
        Widget::Slider => {
            let bound = |v: &Option<AnswerValue>| v.as_ref().map(input_text).unwrap_or_default();
            let (min, max) = (bound(&item.constraints.min_value), bound(&item.constraints.max_value));
            let step = item.slider_step.map(formwell_engine::form::answer::format_number).unwrap_or_else(|| "1".into());
            let current = if shown_text.is_empty() { None } else { Some(shown_text.clone()) };
            html! {
                <div class="slider">
                    <input type="range" id={id.clone()} min={min.clone()} max={max.clone()} step={step}
                           value={current.clone().unwrap_or_else(|| min.clone())} disabled={read_only}
                           aria-describedby={described_by.clone()} oninput={set_input.clone()} />
                    <output for={id.clone()}>{ current.unwrap_or_else(|| "not answered".into()) }</output>
                    <span class="hint">{ format!("{min} to {max}") }</span>
                </div>
            }
        }
        Widget::Quantity => {
            let units: Vec<formwell_engine::Coding> = if item.unit_options.is_empty() {
                item.unit.iter().cloned().collect()
            } else {
                item.unit_options.clone()
            };
            let chosen = answers
                .iter()
                .find_map(|a| match a {
                    AnswerValue::Quantity(q) => q.code.clone(),
                    _ => None,
                })
                .or_else(|| unit.as_ref().and_then(|u| u.code.clone()));
            let unit_control = match units.len() {
                0 => html! {},
                1 => html! { <span class="unit">{ units[0].label() }</span> },
                _ => {
                    let onchange = {
                        let (dispatch, units) = (dispatch.clone(), units.clone());
                        Callback::from(move |e: Event| {
                            if let Some(unit) = input_value(&e).parse::<usize>().ok().and_then(|i| units.get(i)) {
                                dispatch.emit(Action::SetUnit { node: node_id, unit: unit.clone() });
                            }
                        })
                    };
                    html! {
                        <select class="select unit" aria-label="Unit" disabled={read_only} {onchange}>
                            { for units.iter().enumerate().map(|(i, u)| html! {
                                <option value={i.to_string()} selected={u.code == chosen || (chosen.is_none() && i == 0)}>{ u.label() }</option>
                            }) }
                        </select>
                    }
                }
            };
            html! {
                <div class="quantity">
                    <input class="input" type="text" inputmode="decimal" id={id.clone()} value={shown_text.clone()} readonly={read_only}
                           aria-describedby={described_by.clone()} oninput={set_input.clone()} />
                    { unit_control }
                </div>
            }
        }
        Widget::Attachment => {
            let onchange = {
                let set_answer = set_answer.clone();
                Callback::from(move |e: Event| {
                    let Some(file) = crate::web::chosen_file(&e) else {
                        set_answer.emit(None);
                        return;
                    };
                    let set_answer = set_answer.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Ok(bytes) = crate::web::read_bytes(&file).await {
                            set_answer.emit(Some(AnswerValue::Attachment(Attachment {
                                content_type: Some(file.type_()).filter(|t| !t.is_empty()),
                                data: Some(formwell_engine::submit::demographics::base64(&bytes)),
                                url: None,
                                size: Some(bytes.len() as u64),
                                title: Some(file.name()),
                            })));
                        }
                    });
                })
            };
            let current = answers.first().map(|a| a.label());
            html! {
                <>
                    <input class="file" type="file" id={id.clone()} disabled={read_only} {onchange} />
                    if let Some(name) = current { <p class="hint">{ format!("Attached: {name}") }</p> }
                </>
            }
        }
        Widget::Reference => {
            let oninput = {
                let set_answer = set_answer.clone();
                Callback::from(move |e: InputEvent| {
                    let text = input_value(&e).trim().to_owned();
                    set_answer
                        .emit((!text.is_empty()).then(|| {
                            AnswerValue::Reference(Reference { reference: Some(text), ..Default::default() })
                        }));
                })
            };
            html! {
                <input class="input" type="text" id={id.clone()} value={shown_text.clone()} readonly={read_only}
                       placeholder="Patient/123" aria-describedby={described_by.clone()} {oninput} />
            }
        }
    };

    if widget == Widget::Checkbox {
        return html! { <>{ props.error.clone() }{ control }</> };
    }
    if grouped {
        html! {
            <fieldset class="choice" aria-describedby={described_by}>
                <legend class="question">{ label_text }</legend>
                { hint }
                { props.error.clone() }
                { control }
            </fieldset>
        }
    } else {
        html! {
            <>
                <label class="question" for={id}>{ label_text }</label>
                { hint }
                { props.error.clone() }
                { control }
            </>
        }
    }
}

fn node_typed(ctx: &FormContext, node: NodeId) -> Option<String> {
    ctx.state.borrow().node(node).and_then(|n| n.typed.clone())
}
