//! Form bodies and query strings read leniently: any bytes parse, missing
//! fields read as empty, so bad input becomes a friendly page rather than a
//! framework rejection.

/// The fields of a form or query string, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    /// Parses `application/x-www-form-urlencoded` bytes.
    pub fn parse(bytes: &[u8]) -> FormData {
        FormData(url::form_urlencoded::parse(bytes).into_owned().collect())
    }

    /// Parses an optional query string.
    pub fn query(raw: Option<&str>) -> FormData {
        FormData::parse(raw.unwrap_or("").as_bytes())
    }

    /// Every value given for `name` (checkboxes), in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed, or "".
    pub fn text(&self, name: &str) -> &str {
        self.get(name).map_or("", str::trim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_decoded_and_missing_ones_are_empty() {
        let form = FormData::parse(b"csrf=ab%2Bc&name=etl-prod+x&name=second");
        assert_eq!(form.text("csrf"), "ab+c");
        assert_eq!(form.text("name"), "etl-prod x");
        assert_eq!(form.text("missing"), "");
        assert_eq!(FormData::parse(&[0xff, b'=', 0xfe]).0.len(), 1);
    }
}
