//! Finding the Monime access token: `$MONIME_ACCESS_TOKEN`, else `access_token` in the file,
//! else the file `access_token_file` names, else the systemd credential (outside the service:
//! the file systemd loads it from, `credentials/` beside the configuration). The token itself is
//! never shown; where it came from is, so a technician knows which one to fix.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Environment;
use crate::secret::AccessToken;

/// Environment variable whose value replaces the token from the file.
pub const TOKEN_ENV: &str = "MONIME_ACCESS_TOKEN";
/// Name of the systemd credential (`LoadCredential=`) read when the file names no token.
pub const TOKEN_CREDENTIAL: &str = "monime-access-token";

/// Where the access token was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOrigin {
    Environment,
    ConfigKey,
    File(PathBuf),
    Credential,
}

impl fmt::Display for TokenOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenOrigin::Environment => write!(f, "${TOKEN_ENV}"),
            TokenOrigin::ConfigKey => f.write_str("[monime] access_token"),
            TokenOrigin::File(path) => write!(f, "the token file {}", path.display()),
            // What systemd hands over; the technician edits the file it came from.
            TokenOrigin::Credential => write!(
                f,
                "the credential {TOKEN_CREDENTIAL} (on a terminal: /etc/paycode-kiosk/credentials/{TOKEN_CREDENTIAL})"
            ),
        }
    }
}

/// The file the token was read from, when every user of the machine may read it: the token
/// file, or the configuration holding the token itself (`source`). Said at start and by
/// `check-config`, with what to do.
pub fn token_exposed(origin: &TokenOrigin, source: Option<&Path>) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let (file, fix) = match origin {
        TokenOrigin::File(path) => (path.as_path(), format!("sudo chmod 600 {}", path.display())),
        TokenOrigin::ConfigKey => {
            let file = source?;
            let fix = format!(
                "move the token to the service's credential file with sudo paycode-kiosk setup, or sudo chmod 640 {}",
                file.display()
            );
            (file, fix)
        }
        TokenOrigin::Environment | TokenOrigin::Credential => return None,
    };
    let mode = std::fs::metadata(file).ok()?.permissions().mode();
    (mode & 0o004 != 0).then(|| {
        format!(
            "the Monime token in {} can be read by every user of this machine: {fix}",
            file.display()
        )
    })
}

/// The token, from the first place that has one.
pub(super) fn find_token(
    in_file: Option<&str>,
    token_file: Option<&Path>,
    base_dir: &Path,
    env: &Environment,
) -> Result<(AccessToken, TokenOrigin), String> {
    let (token, origin) = if let Some(token) = &env.access_token {
        (token.expose().to_string(), TokenOrigin::Environment)
    } else if let Some(token) = in_file {
        (token.to_string(), TokenOrigin::ConfigKey)
    } else {
        // Outside the service (a technician's `sudo paycode-kiosk history`), systemd hands over
        // no credential: read the file it is loaded from, beside the configuration.
        let beside_config = base_dir.join("credentials").join(TOKEN_CREDENTIAL);
        let credential = env
            .credentials_directory
            .as_ref()
            .map(|dir| dir.join(TOKEN_CREDENTIAL))
            .or_else(|| beside_config.is_file().then_some(beside_config));
        let (path, origin) = match (token_file, credential) {
            (Some(path), _) => {
                let path = base_dir.join(path);
                (path.clone(), TokenOrigin::File(path))
            }
            (None, Some(path)) => (path, TokenOrigin::Credential),
            (None, None) => {
                return Err(format!(
                    "no Monime access token: set [monime] access_token_file (or access_token), or ${TOKEN_ENV}"
                ));
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|error| {
            if error.kind() == std::io::ErrorKind::PermissionDenied {
                format!(
                    "the Monime token in {} {}",
                    path.display(),
                    super::not_for_this_user(&error, "only root reads it")
                )
            } else {
                format!(
                    "[monime] access_token_file: cannot read {} ({error}); the file should hold the token on one line",
                    path.display()
                )
            }
        })?;
        (text, origin)
    };
    let token = token.trim();
    if token.is_empty() {
        return Err(format!(
            "{origin} is empty: paste the access token from the Monime dashboard"
        ));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{origin} has spaces or line breaks inside the token: it must be the token alone"
        ));
    }
    Ok((AccessToken::new(token), origin))
}
