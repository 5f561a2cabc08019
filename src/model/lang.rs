use serde::Serialize;

/// The language of human text: messages, the text and HTML reports, `rule CODE`. Machine
/// fields (codes, severities, statuses, JSON keys, CSV headers) stay as they are in every
/// language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// 简体中文.
    Zh,
}

impl Lang {
    /// The language the environment asks for, as POSIX says to look: `LC_ALL`, then
    /// `LC_MESSAGES`, then `LANG`; `zh_CN.UTF-8`, `zh_TW`, `zh` → Chinese, anything else
    /// (or nothing) → English.
    pub fn from_env() -> Lang {
        let var = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty());
        Lang::from_locale(var.as_deref().unwrap_or(""))
    }

    /// The language of a locale name.
    ///
    /// ```
    /// use ironrule::model::Lang;
    /// assert_eq!(Lang::from_locale("zh_CN.UTF-8"), Lang::Zh);
    /// assert_eq!(Lang::from_locale("C.UTF-8"), Lang::En);
    /// ```
    pub fn from_locale(locale: &str) -> Lang {
        if locale.to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// The English or the Chinese text.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}
