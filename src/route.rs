//! Where the app is: a hash route, so that the static build needs no server rewrites and
//! works from any folder a partner serves it from.

/// A page of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The template library.
    Home,
    /// A shipped template, by id.
    Form(String),
    /// The template the person opened from a file or a URL.
    Opened,
    /// Open a template from a URL, then show it (`#/open?url=...`).
    OpenUrl(String),
    /// A kept draft, by id.
    Draft(String),
    /// Choosing whose record the forms go into, then a shipped form (`#/person?then=id`).
    Person(Option<String>),
}

impl Route {
    /// Reads a location hash (`#/form/family-registration`).
    pub fn parse(hash: &str) -> Route {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        if let Some(id) = path.strip_prefix("form/") {
            return Route::Form(decode(id));
        }
        if let Some(id) = path.strip_prefix("draft/") {
            return Route::Draft(decode(id));
        }
        if path == "opened" {
            return Route::Opened;
        }
        if let Some(query) = path.strip_prefix("open?url=") {
            return Route::OpenUrl(decode(query));
        }
        if path == "person" {
            return Route::Person(None);
        }
        if let Some(then) = path.strip_prefix("person?then=") {
            return Route::Person(Some(decode(then)));
        }
        Route::Home
    }

    /// The hash for this route.
    pub fn hash(&self) -> String {
        match self {
            Route::Home => "#/".into(),
            Route::Form(id) => format!("#/form/{}", encode(id)),
            Route::Opened => "#/opened".into(),
            Route::OpenUrl(url) => format!("#/open?url={}", encode(url)),
            Route::Draft(id) => format!("#/draft/{}", encode(id)),
            Route::Person(None) => "#/person".into(),
            Route::Person(Some(then)) => format!("#/person?then={}", encode(then)),
        }
    }
}

pub(crate) use formwell_engine::url::{decode_component as decode, encode_component as encode};

#[cfg(test)]
mod tests {
    use super::Route;

    #[test]
    fn routes_survive_a_round_trip_through_the_hash() {
        for route in [
            Route::Home,
            Route::Form("family-registration".into()),
            Route::Opened,
            Route::OpenUrl("http://127.0.0.1:8080/corpus/a b.json?x=1&y=é".into()),
            Route::Draft("draft:0b7c1e9e-5f0a-4d43-9a55-2f4f3c1d9e10".into()),
            Route::Person(None),
            Route::Person(Some("family-registration".into())),
        ] {
            assert_eq!(Route::parse(&route.hash()), route);
        }
        assert_eq!(Route::parse(""), Route::Home);
        assert_eq!(Route::parse("#/nonsense"), Route::Home);
    }
}
