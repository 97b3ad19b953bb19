//! The service's configuration: a TOML file for `baomi serve` (R13.1: the system's level fixes
//! its password policy and who may administer it).
//!
//! ```toml
//! system_level = "secret"        # unclassified | internal | secret | confidential (top_secret
//!                                # is refused: R4.2 needs biometrics or an IC card / USB key)
//! hash = "sha256"                # or "sm3" (the audit chain's algorithm, R13.2)
//! signing_key = "/etc/baomi/checkpoint.key"   # Ed25519 key for checkpoints, outside the DB
//! checkpoint_dir = "/var/lib/baomi/checkpoints" # where signed checkpoints are written
//! checkpoint_interval_seconds = 300
//! session_idle_minutes = 30
//! session_absolute_hours = 12
//! lockout_failures = 5
//! lockout_minutes = 15
//! timed_rules_interval_seconds = 60
//! secure_cookies = false         # true when served behind TLS
//! bearer_lifetime_days = 90
//! bearer_idle_days = 30          # a bearer token unused this long ends
//!
//! # The classification banner's colours, per level (defaults: the common convention —
//! # unclassified green, internal purple, secret blue, confidential red, top secret orange).
//! [banner.secret]
//! background = "#0033a0"
//! text = "#ffffff"
//! ```

use baomi_core::audit::HashAlgorithm;
use baomi_core::marks::Level;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// The service's settings. Every field has a default, so an empty file is a valid config.
#[derive(Debug, Clone)]
pub struct Config {
    /// The level of the system itself (R13.1, R5.1): fixes the password policy (R4.2) and
    /// whether a second factor is required.
    pub system_level: Level,
    /// The audit chain's algorithm for a new database (R13.2).
    pub hash: HashAlgorithm,
    /// The Ed25519 key signing checkpoints, kept outside the database. `None`: checkpoints
    /// are recorded unsigned (the demo; `baomi serve` warns).
    pub signing_key: Option<PathBuf>,
    /// Where each signed checkpoint is also written as a file (outside the database).
    pub checkpoint_dir: Option<PathBuf>,
    /// How often a checkpoint is written when the log has grown.
    pub checkpoint_interval: Duration,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after login, whatever happens.
    pub session_absolute: Duration,
    /// Consecutive failed logins that lock an account.
    pub lockout_failures: u32,
    /// How long the lock lasts (it doubles with each further failure, up to a day).
    pub lockout: Duration,
    /// How often the time-driven rules run (R1.9 declassification, R13.4 reminders).
    pub timed_rules_interval: Duration,
    /// Mark cookies `Secure` (served over TLS).
    pub secure_cookies: bool,
    /// Bearer tokens last this long.
    pub bearer_lifetime: Duration,
    /// A bearer token not used for this long ends (R13.1 idle timeout; default 30 days).
    pub bearer_idle: Duration,
    /// The classification banner's colours (background, text), one per level, lowest first.
    pub banner: [BannerColours; 5],
}

/// The colours of one level's classification banner, as `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BannerColours {
    /// The level.
    pub level: Level,
    /// Background colour.
    pub background: String,
    /// Text colour.
    pub text: String,
}

/// The conventional banner colours of classified systems, by rank.
fn default_banner() -> [BannerColours; 5] {
    let colours = |level, background: &str, text: &str| BannerColours {
        level,
        background: background.to_owned(),
        text: text.to_owned(),
    };
    [
        colours(Level::Unclassified, "#007a33", "#ffffff"),
        colours(Level::Internal, "#502b85", "#ffffff"),
        colours(Level::Secret, "#0033a0", "#ffffff"),
        colours(Level::Confidential, "#c8102e", "#ffffff"),
        colours(Level::TopSecret, "#ff8c00", "#000000"),
    ]
}

/// `#rrggbb`, the only colour form the banner stylesheet is written with (nothing else can
/// reach the stylesheet from the configuration).
fn is_hex_colour(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text.bytes().skip(1).all(|b| b.is_ascii_hexdigit())
}

impl Default for Config {
    fn default() -> Config {
        Config {
            system_level: Level::Secret,
            hash: HashAlgorithm::Sha256,
            signing_key: None,
            checkpoint_dir: None,
            checkpoint_interval: Duration::from_secs(300),
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            lockout_failures: 5,
            lockout: Duration::from_secs(15 * 60),
            timed_rules_interval: Duration::from_secs(60),
            secure_cookies: false,
            bearer_lifetime: Duration::from_secs(90 * 24 * 3600),
            bearer_idle: Duration::from_secs(30 * 24 * 3600),
            banner: default_banner(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    system_level: Option<String>,
    hash: Option<String>,
    signing_key: Option<PathBuf>,
    checkpoint_dir: Option<PathBuf>,
    checkpoint_interval_seconds: Option<u64>,
    session_idle_minutes: Option<u64>,
    session_absolute_hours: Option<u64>,
    lockout_failures: Option<u32>,
    lockout_minutes: Option<u64>,
    timed_rules_interval_seconds: Option<u64>,
    secure_cookies: Option<bool>,
    bearer_lifetime_days: Option<u64>,
    bearer_idle_days: Option<u64>,
    banner: Option<std::collections::BTreeMap<String, BannerFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BannerFile {
    background: Option<String>,
    text: Option<String>,
}

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not valid TOML, or an unknown key.
    #[error("configuration: {0}")]
    Syntax(String),
    /// `system_level = "top_secret"`: R4.2 requires biometrics, or an IC card / USB key plus a
    /// password, for a Top Secret system; Baomi has password + TOTP only, which is not enough.
    #[error(
        "configuration: system_level: a Top Secret system needs biometric identification or an \
         IC card / USB key (R4.2), which Baomi does not support; password + TOTP is not enough"
    )]
    TopSecretUnsupported,
    /// A value out of its range.
    #[error("configuration: {key}: {problem}")]
    Value {
        /// The key.
        key: &'static str,
        /// What is wrong.
        problem: String,
    },
}

fn positive(
    key: &'static str,
    value: Option<u64>,
    unit: u64,
) -> Result<Option<Duration>, ConfigError> {
    match value {
        None => Ok(None),
        Some(0) => Err(ConfigError::Value {
            key,
            problem: "must be at least 1".to_owned(),
        }),
        Some(v) => v
            .checked_mul(unit)
            .map(|s| Some(Duration::from_secs(s)))
            .ok_or_else(|| ConfigError::Value {
                key,
                problem: "too large".to_owned(),
            }),
    }
}

impl Config {
    /// Parses a TOML configuration; missing keys keep their defaults, unknown keys are refused
    /// (a misspelt `lockout_failures` must not silently leave the default in force).
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let file: ConfigFile =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        let mut config = Config::default();
        if let Some(level) = file.system_level {
            config.system_level = Level::from_code(&level).ok_or_else(|| ConfigError::Value {
                key: "system_level",
                problem: format!(
                    "{level:?} is not one of unclassified, internal, secret, confidential, top_secret"
                ),
            })?;
            if config.system_level == Level::TopSecret {
                return Err(ConfigError::TopSecretUnsupported);
            }
        }
        if let Some(hash) = file.hash {
            config.hash = hash.parse().map_err(|_| ConfigError::Value {
                key: "hash",
                problem: format!("{hash:?} is not sha256 or sm3"),
            })?;
        }
        config.signing_key = file.signing_key;
        config.checkpoint_dir = file.checkpoint_dir;
        if let Some(d) = positive(
            "checkpoint_interval_seconds",
            file.checkpoint_interval_seconds,
            1,
        )? {
            config.checkpoint_interval = d;
        }
        if let Some(d) = positive("session_idle_minutes", file.session_idle_minutes, 60)? {
            config.session_idle = d;
        }
        if let Some(d) = positive("session_absolute_hours", file.session_absolute_hours, 3600)? {
            config.session_absolute = d;
        }
        if let Some(n) = file.lockout_failures {
            if n == 0 {
                return Err(ConfigError::Value {
                    key: "lockout_failures",
                    problem: "must be at least 1".to_owned(),
                });
            }
            config.lockout_failures = n;
        }
        if let Some(d) = positive("lockout_minutes", file.lockout_minutes, 60)? {
            config.lockout = d;
        }
        if let Some(d) = positive(
            "timed_rules_interval_seconds",
            file.timed_rules_interval_seconds,
            1,
        )? {
            config.timed_rules_interval = d;
        }
        if let Some(s) = file.secure_cookies {
            config.secure_cookies = s;
        }
        if let Some(d) = positive("bearer_lifetime_days", file.bearer_lifetime_days, 86_400)? {
            config.bearer_lifetime = d;
        }
        if let Some(d) = positive("bearer_idle_days", file.bearer_idle_days, 86_400)? {
            config.bearer_idle = d;
        }
        for (code, colours) in file.banner.unwrap_or_default() {
            let Some(slot) = config.banner.iter_mut().find(|b| b.level.code() == code) else {
                return Err(ConfigError::Value {
                    key: "banner",
                    problem: format!(
                        "{code:?} is not one of unclassified, internal, secret, confidential, top_secret"
                    ),
                });
            };
            for (given, into) in [
                (colours.background, &mut slot.background),
                (colours.text, &mut slot.text),
            ] {
                if let Some(colour) = given {
                    if !is_hex_colour(&colour) {
                        return Err(ConfigError::Value {
                            key: "banner",
                            problem: format!("{colour:?} for {code} is not a #rrggbb colour"),
                        });
                    }
                    *into = colour;
                }
            }
        }
        if config.session_idle > config.session_absolute {
            return Err(ConfigError::Value {
                key: "session_idle_minutes",
                problem: "longer than session_absolute_hours".to_owned(),
            });
        }
        Ok(config)
    }

    /// Whether logins need a second factor (TOTP): R4.2 makes a password alone too weak from
    /// Confidential up; practice requires it for the three administrators always (R5.3).
    pub fn second_factor_required(&self) -> bool {
        self.system_level >= Level::Confidential
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_colours_are_configurable_and_checked() {
        let config = Config::from_toml("[banner.secret]\nbackground = \"#112233\"\n");
        let config = config.ok().map(|c| c.banner);
        let secret = config
            .as_ref()
            .and_then(|b| b.iter().find(|c| c.level == Level::Secret).cloned());
        assert_eq!(
            secret.map(|c| (c.background, c.text)),
            Some(("#112233".to_owned(), "#ffffff".to_owned()))
        );
        for bad in [
            "[banner.secret]\nbackground = \"red; } body { display: none\"\n",
            "[banner.secrett]\nbackground = \"#112233\"\n",
            "[banner.secret]\ncolour = \"#112233\"\n",
        ] {
            assert!(Config::from_toml(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn r4_2_top_secret_system_level_is_refused() {
        let refused = Config::from_toml("system_level = \"top_secret\"\n");
        assert!(
            matches!(refused, Err(ConfigError::TopSecretUnsupported)),
            "{refused:?}"
        );
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("R4.2"), "{message}");
        for level in ["unclassified", "internal", "secret", "confidential"] {
            let config = Config::from_toml(&format!("system_level = \"{level}\"\n"));
            assert_eq!(config.ok().map(|c| c.system_level.code()), Some(level));
        }
    }
}
