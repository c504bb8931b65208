//! The browser entry point: mounts the app on the page.

fn main() {
    yew::Renderer::<formwell_app::App>::new().render();
}
