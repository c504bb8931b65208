//! The browser entry point: lends the engine the browser's regular expressions, then
//! mounts the app on the page (or, built for portals, waits to be asked for a form).

fn main() {
    formwell_engine::lend_regex(formwell_engine::HostRegex {
        check: |pattern| formwell_app::web::regex(pattern).map(drop),
        is_match: |pattern, text| formwell_app::web::regex(pattern).is_ok_and(|r| r.test(text)),
    });
    formwell_engine::fhirpath::lend_case(formwell_engine::fhirpath::HostCase {
        lower: formwell_app::web::lowercase,
        upper: formwell_app::web::uppercase,
    });
    // The embedding build (`--features embed`, for partners' portals) mounts forms only
    // where a portal asks (`embed::mount_form`), and so carries none of the staff pages.
    #[cfg(not(feature = "embed"))]
    yew::Renderer::<formwell_app::App>::new().render();
}
