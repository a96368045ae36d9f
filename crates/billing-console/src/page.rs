//! The frame every page shares (title, navigation, who is signed in) and the
//! friendly error page, with the HTTP status each use-case error maps to.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use billing_app::AppError;
use billing_domain::ids::Id;

use crate::i18n::{Arg, Locale};

/// One link of the navigation.
#[derive(Clone, Debug)]
pub struct NavItem {
    /// Where it goes.
    pub href: &'static str,
    /// Its text.
    pub label: String,
    /// True on the page it names.
    pub current: bool,
}

/// The shared frame of a page.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// The page's title.
    pub title: String,
    /// Whether someone is signed in (navigation and sign-out shown).
    pub signed_in: bool,
    /// Who: the account's name, or "Operator".
    pub who: String,
    /// The account's balance, when a customer is signed in.
    pub balance: String,
    /// The CSRF token for this page's forms.
    pub csrf: String,
    /// The navigation.
    pub nav: Vec<NavItem>,
    /// A message about what the last action did.
    pub notice: Option<String>,
    /// The language the page is written in.
    pub locale: Locale,
}

impl Layout {
    /// The frame of a page nobody is signed in to.
    pub fn public(title: &str, locale: Locale) -> Layout {
        Layout { title: title.to_owned(), locale, ..Layout::default() }
    }

    /// Message `id` in the page's language.
    pub fn t(&self, id: &str) -> String {
        self.locale.t(id)
    }

    /// Message `id` with one value.
    pub fn t1(&self, id: &str, name: &str, value: impl Into<Arg>) -> String {
        self.locale.t1(id, name, value)
    }

    /// Message `id` with two values.
    pub fn t2(&self, id: &str, a: &str, a_value: impl Into<Arg>, b: &str, b_value: impl Into<Arg>) -> String {
        self.locale.t2(id, a, a_value, b, b_value)
    }

    /// The languages the switch offers, with whether each is the page's.
    pub fn locales(&self) -> Vec<(&'static str, &'static str, bool)> {
        Locale::ALL.iter().map(|l| (l.tag(), l.own_name(), *l == self.locale)).collect()
    }

    /// Sets the notice.
    pub fn with_notice(mut self, notice: Option<String>) -> Layout {
        self.notice = notice;
        self
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    status: u16,
    headline: String,
    code: &'a str,
    message: &'a str,
}

/// An error shown as a page with its stable code.
#[derive(Debug)]
pub struct PageError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code, e.g. `NOT_FOUND`.
    pub code: String,
    /// What happened, in words.
    pub message: String,
    /// The frame, when the visitor is signed in.
    pub layout: Option<Layout>,
    /// The language of the page when there is no frame.
    pub locale: Locale,
}

impl PageError {
    /// An error with an explicit status and code.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> PageError {
        PageError { status, code: code.to_owned(), message: message.into(), layout: None, locale: Locale::EnUs }
    }

    /// The page for a path that does not exist.
    pub fn not_found() -> PageError {
        PageError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "There is no such page in the console.")
    }

    /// The answer to a form sent without a valid CSRF token.
    pub fn csrf() -> PageError {
        PageError::new(
            StatusCode::FORBIDDEN,
            "CSRF_TOKEN_INVALID",
            "This form was not sent from a page of this console (or the page is too old). Nothing was changed; \
             reload the page and try again.",
        )
    }

    /// The answer to an operator page asked for by a customer.
    pub fn operators_only() -> PageError {
        PageError::new(StatusCode::FORBIDDEN, "FORBIDDEN", "Only operators may open this page.")
    }

    /// Shows the page in `locale` when it has no frame of its own.
    pub fn in_locale(mut self, locale: Locale) -> PageError {
        self.locale = locale;
        self
    }

    /// Attaches the frame of the signed-in visitor.
    pub fn in_layout(mut self, layout: Layout) -> PageError {
        self.layout = Some(layout);
        self
    }
}

/// The HTTP status a use-case error is shown with.
pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::Invalid { .. }
        | AppError::CurrencyMismatch { .. }
        | AppError::TendersDoNotAddUp { .. }
        | AppError::TooFewCu { .. }
        | AppError::MonthsOutOfRange { .. }
        | AppError::IdempotencyKeyReused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Busy | AppError::Unavailable(_) | AppError::ChannelUnavailable { .. } => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        AppError::PaymentDeclined { .. } => StatusCode::PAYMENT_REQUIRED,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::CONFLICT,
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        let status = status_of(&e);
        let message = match &e {
            AppError::Internal(detail) => {
                tracing::error!(%detail, "console request failed");
                "Something went wrong on our side; it has been logged. Please try again.".to_owned()
            }
            AppError::NotFound { what, .. } => format!("There is no such {what} in your account."),
            // The field's name goes to the details line, not the sentence.
            AppError::Invalid { field, message } => {
                let details = format!("{} · field {field}", e.code());
                return PageError::new(status, &details, crate::fmt::sentence(message));
            }
            other => crate::fmt::sentence(&other.to_string()),
        };
        PageError::new(status, e.code(), message)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut layout = self.layout.unwrap_or_else(|| Layout::public("", self.locale));
        let locale = layout.locale;
        let message = match locale {
            Locale::EnUs => self.message.clone(),
            _ => error_message(locale, &self.code),
        };
        let headline = locale.t(headline(self.status));
        layout.title = match locale {
            Locale::EnUs => {
                format!("{} · {}", self.status.as_u16(), self.status.canonical_reason().unwrap_or("Error"))
            }
            _ => format!("{} · {headline}", self.status.as_u16()),
        };
        let page = ErrorPage { layout, status: self.status.as_u16(), headline, code: &self.code, message: &message };
        let mut response = html(&page);
        *response.status_mut() = self.status;
        response
    }
}

/// The message id of a short heading for an error page of `status`.
fn headline(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "error-headline-not-found",
        StatusCode::FORBIDDEN => "error-headline-forbidden",
        StatusCode::UNAUTHORIZED => "error-headline-unauthorized",
        StatusCode::CONFLICT => "error-headline-conflict",
        s if s.is_client_error() => "error-headline-client",
        _ => "error-headline-server",
    }
}

/// The message id that explains an error `code` (`QUOTE_STALE` →
/// `error-quote-stale`); the use cases word their details in English, so
/// other languages say what the code means instead.
pub fn error_message_id(code: &str) -> String {
    // A details line may name the field after the code: `INVALID_INPUT · field x`.
    let code = code.split(' ').next().unwrap_or(code);
    format!("error-{}", code.to_ascii_lowercase().replace('_', "-"))
}

/// What an error `code` means in `locale`: its `error-…` message, else the
/// refusal reason of that code (`reason-…`), else a sentence naming it.
pub fn error_message(locale: Locale, code: &str) -> String {
    let id = error_message_id(code);
    let reason = id.replacen("error-", "reason-", 1);
    if locale.has(&id) {
        locale.t(&id)
    } else if locale.has(&reason) {
        locale.t(&reason)
    } else {
        locale.t1("error-other", "code", code)
    }
}

/// Renders a template as an HTML response (an error page if rendering fails).
pub fn html(template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response()
        }
    }
}

/// A 303 redirect to `to` (after a form, so a reload does not send it again).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A 303 redirect that also sets cookies.
pub fn see_other_with_cookies(to: &str, cookies: &[String]) -> Response {
    let mut response = Redirect::to(to).into_response();
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Result of a page handler.
pub type PageResult = Result<Response, PageError>;

/// Reads an id from a console address; one that cannot be an id names
/// nothing, so it is not found.
pub fn parse_id<I: Id>(text: &str) -> Result<I, AppError> {
    I::parse(text).map_err(|_| AppError::not_found(I::WHAT, text))
}
