//! The browser entry point: lends the engine the browser's regular expressions, then
//! mounts the app on the page.

fn main() {
    formwell_engine::lend_regex(formwell_engine::HostRegex {
        check: |pattern| formwell_app::web::regex(pattern).map(drop),
        is_match: |pattern, text| formwell_app::web::regex(pattern).is_ok_and(|r| r.test(text)),
    });
    yew::Renderer::<formwell_app::App>::new().render();
}
