//! The `/` filter: plain text, `!text` inverted, `-l selector` by labels.

use crate::cluster::rows::Row;
use crate::cluster::selector::LabelSelector;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    None,
    Text(String),
    Inverted(String),
    Labels(LabelSelector),
}

impl Filter {
    /// Parse what the user typed after `/`.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Filter::None);
        }
        if let Some(selector) = text.strip_prefix("-l") {
            return LabelSelector::parse(selector.trim()).map(Filter::Labels);
        }
        if let Some(inverted) = text.strip_prefix('!') {
            return Ok(Filter::Inverted(inverted.trim().to_lowercase()));
        }
        Ok(Filter::Text(text.to_lowercase()))
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Filter::None)
    }

    pub fn matches<R: Row + ?Sized>(&self, row: &R) -> bool {
        self.matches_parts(row.search_text(), row.labels())
    }

    pub fn matches_parts(&self, search_text: &str, labels: &[(Box<str>, Box<str>)]) -> bool {
        match self {
            Filter::None => true,
            Filter::Text(text) => search_text.contains(text.as_str()),
            Filter::Inverted(text) => !search_text.contains(text.as_str()),
            Filter::Labels(selector) => selector.matches(labels),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Filter;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(Filter::parse("  ").unwrap(), Filter::None);
        assert_eq!(
            Filter::parse("Crash").unwrap(),
            Filter::Text("crash".into())
        );
        assert_eq!(
            Filter::parse("!running").unwrap(),
            Filter::Inverted("running".into())
        );
        assert!(matches!(
            Filter::parse("-l app=blog").unwrap(),
            Filter::Labels(_)
        ));
        assert!(Filter::parse("-l").is_err());
        let labels: Vec<(Box<str>, Box<str>)> = vec![("app".into(), "blog".into())];
        assert!(
            Filter::parse("-l app=blog")
                .unwrap()
                .matches_parts("", &labels)
        );
        assert!(
            !Filter::parse("!blog")
                .unwrap()
                .matches_parts("blog/x", &labels)
        );
    }
}
