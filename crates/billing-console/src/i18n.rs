//! The console's languages: English (en-US) and Simplified Chinese (zh-CN).
//!
//! Every phrase of the customer and operator pages, and the labels around
//! a printed document, is a Project Fluent message kept in
//! `locales/<tag>/*.ftl` and compiled into the binary. A request's language
//! is the account's stored choice, else a `lang` cookie set from the
//! language switch, else the best match in `Accept-Language` (with its
//! q-values), else English. A message missing from every bundle shows as
//! `⟦id⟧`, which tests look for.

use std::sync::LazyLock;

use axum::http::{HeaderMap, header};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::{LanguageIdentifier, langid};

/// Name of the cookie that remembers a language chosen while signed out
/// (or by an operator, who has no account to store it in).
pub const LANG_COOKIE: &str = "sb_lang";

/// One of the console's languages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Locale {
    /// English; the language of last resort.
    #[default]
    EnUs,
    /// Simplified Chinese.
    ZhCn,
}

/// The Fluent sources of each language, in the order they are loaded.
const EN_US: &[&str] = &[include_str!("../locales/en-US/console.ftl"), include_str!("../locales/en-US/operator.ftl")];
const ZH_CN: &[&str] = &[include_str!("../locales/zh-CN/console.ftl"), include_str!("../locales/zh-CN/operator.ftl")];

static BUNDLES: LazyLock<[FluentBundle<FluentResource>; 2]> =
    LazyLock::new(|| [bundle(langid!("en-US"), EN_US), bundle(langid!("zh-CN"), ZH_CN)]);

fn bundle(id: LanguageIdentifier, sources: &[&str]) -> FluentBundle<FluentResource> {
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Both languages run left to right: no isolation marks around values.
    bundle.set_use_isolating(false);
    for source in sources {
        let resource = FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(resource, errors)| {
            tracing::error!(?errors, "a Fluent file of the console does not parse");
            resource
        });
        if let Err(errors) = bundle.add_resource(resource) {
            tracing::error!(?errors, "a Fluent file of the console repeats a message");
        }
    }
    bundle
}

/// A value given to a message.
#[derive(Clone, Debug)]
pub enum Arg {
    /// Text, shown as it is.
    Text(String),
    /// A whole number (plural forms are chosen by it).
    Number(i64),
}

impl From<&str> for Arg {
    fn from(text: &str) -> Arg {
        Arg::Text(text.to_owned())
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Arg {
        Arg::Text(text)
    }
}

impl From<&String> for Arg {
    fn from(text: &String) -> Arg {
        Arg::Text(text.clone())
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Number(n)
    }
}

impl From<&i64> for Arg {
    fn from(n: &i64) -> Arg {
        Arg::Number(*n)
    }
}

impl From<&u32> for Arg {
    fn from(n: &u32) -> Arg {
        Arg::Number(i64::from(*n))
    }
}

impl From<u32> for Arg {
    fn from(n: u32) -> Arg {
        Arg::Number(i64::from(n))
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<&usize> for Arg {
    fn from(n: &usize) -> Arg {
        Arg::from(*n)
    }
}

impl From<u64> for Arg {
    fn from(n: u64) -> Arg {
        Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<&u64> for Arg {
    fn from(n: &u64) -> Arg {
        Arg::from(*n)
    }
}

impl Locale {
    /// Every language, English first.
    pub const ALL: [Locale; 2] = [Locale::EnUs, Locale::ZhCn];

    /// The BCP 47 tag stored for an account: `en-US`, `zh-CN`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::EnUs => "en-US",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The value of `<html lang>`.
    pub fn html_lang(self) -> &'static str {
        match self {
            Locale::EnUs => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The language's own name, as the language switch shows it.
    pub fn own_name(self) -> &'static str {
        match self {
            Locale::EnUs => "English",
            Locale::ZhCn => "简体中文",
        }
    }

    /// The language a tag names: any English for English, any Chinese for
    /// Simplified Chinese (the only Chinese the console has); case does
    /// not matter.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Locale::EnUs),
            "zh" => Some(Locale::ZhCn),
            _ => None,
        }
    }

    /// The best of the console's languages for an `Accept-Language` value:
    /// tags in order of their q-value (ties keep the header's order), and
    /// those with `q=0` refused. `None` when none of them is spoken here.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        accept_language::parse_with_quality(header)
            .into_iter()
            .filter(|(_, quality)| *quality > 0.0)
            .find_map(|(tag, _)| if tag == "*" { Some(Locale::EnUs) } else { Locale::from_tag(&tag) })
    }

    /// The language of a request nobody in particular is signed in to: the
    /// `lang` cookie, then `Accept-Language`, then English.
    pub fn of_request(headers: &HeaderMap) -> Locale {
        let cookie = crate::session::read_cookie(crate::auth::cookie_values(headers), LANG_COOKIE);
        cookie
            .and_then(Locale::from_tag)
            .or_else(|| {
                let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())?;
                Locale::from_accept_language(accept)
            })
            .unwrap_or_default()
    }

    /// The language of a signed-in request: the account's choice first.
    pub fn of_account(stored: Option<&str>, headers: &HeaderMap) -> Locale {
        stored.and_then(Locale::from_tag).unwrap_or_else(|| Locale::of_request(headers))
    }

    fn bundle(self) -> &'static FluentBundle<FluentResource> {
        &BUNDLES[self as usize]
    }

    /// Message `id` in this language.
    pub fn t(self, id: &str) -> String {
        self.format(id, None)
    }

    /// Message `id` with its values.
    pub fn t_args(self, id: &str, args: &[(&str, Arg)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Text(text) => fluent.set(*name, FluentValue::from(text.clone())),
                Arg::Number(n) => fluent.set(*name, FluentValue::from(*n)),
            }
        }
        self.format(id, Some(&fluent))
    }

    /// Message `id` with one value.
    pub fn t1(self, id: &str, name: &str, value: impl Into<Arg>) -> String {
        self.t_args(id, &[(name, value.into())])
    }

    /// Message `id` with two values.
    pub fn t2(self, id: &str, a: &str, a_value: impl Into<Arg>, b: &str, b_value: impl Into<Arg>) -> String {
        self.t_args(id, &[(a, a_value.into()), (b, b_value.into())])
    }

    /// Whether this language has message `id`.
    pub fn has(self, id: &str) -> bool {
        self.bundle().has_message(id)
    }

    fn format(self, id: &str, args: Option<&FluentArgs>) -> String {
        // A message this language lacks is shown in English rather than
        // not at all; the tests keep both languages complete.
        for locale in [self, Locale::EnUs] {
            let bundle = locale.bundle();
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args, &mut errors).into_owned();
                if !errors.is_empty() {
                    tracing::warn!(id, ?errors, "a console message was given the wrong values");
                }
                return text;
            }
        }
        format!("⟦{id}⟧")
    }
}

/// The Fluent sources of `locale`, for tests that compare languages.
pub fn sources(locale: Locale) -> &'static [&'static str] {
    match locale {
        Locale::EnUs => EN_US,
        Locale::ZhCn => ZH_CN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_read_by_quality() {
        assert_eq!(Locale::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Some(Locale::ZhCn));
        assert_eq!(Locale::from_accept_language("en;q=0.5, zh-Hans;q=0.9"), Some(Locale::ZhCn));
        assert_eq!(Locale::from_accept_language("fr-FR, en-GB;q=0.7, zh;q=0.3"), Some(Locale::EnUs));
        assert_eq!(Locale::from_accept_language("zh;q=0, en;q=0.1"), Some(Locale::EnUs));
        assert_eq!(Locale::from_accept_language("de, fr"), None);
        assert_eq!(Locale::from_accept_language(""), None);
    }

    #[test]
    fn tags_name_their_language() {
        assert_eq!(Locale::from_tag("ZH_cn"), Some(Locale::ZhCn));
        assert_eq!(Locale::from_tag("en"), Some(Locale::EnUs));
        assert_eq!(Locale::from_tag("ja"), None);
        for locale in Locale::ALL {
            assert_eq!(Locale::from_tag(locale.tag()), Some(locale));
        }
    }

    #[test]
    fn a_missing_message_is_marked() {
        assert_eq!(Locale::ZhCn.t("no-such-message"), "⟦no-such-message⟧");
    }
}
