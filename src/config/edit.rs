//! Changing a configuration file the way a technician would by hand: the keys asked for, and
//! nothing else. Comments, order and every other key stay as they were (`toml_edit`); a key set
//! to the value it has is not touched at all, so running `setup` twice changes nothing. The new
//! text is checked as the terminal would read it before it replaces the file, and it replaces
//! it whole (written beside it, then renamed), so a power cut never leaves half a file.
//!
//! The Monime token never goes into this file: `write_token` puts it in the credential file
//! systemd hands the service, readable by its owner alone.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, value};

use super::{Config, ConfigError, Environment, TOKEN_CREDENTIAL};

/// A configuration file being changed. No `Debug`: the text may hold a token written inline.
#[derive(Clone)]
pub struct ConfigEdit {
    path: PathBuf,
    document: DocumentMut,
    /// The text as it was read, to tell whether anything changed.
    original: String,
}

/// A value a key may be set to.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting {
    Text(String),
    Integer(i64),
}

impl ConfigEdit {
    /// The file at `path`, or an empty one when there is none yet.
    pub fn open(path: &Path) -> Result<ConfigEdit, String> {
        let original = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(format!("{} cannot be read ({error})", path.display())),
        };
        let document = original.parse::<DocumentMut>().map_err(|error| {
            format!(
                "{} is not TOML ({}); fix or move it, then run setup again",
                path.display(),
                error.to_string().trim_end()
            )
        })?;
        Ok(ConfigEdit {
            path: path.to_path_buf(),
            document,
            original,
        })
    }

    /// The text of `[section] key`, if the file has one (an integer as its digits).
    pub fn get(&self, section: &str, key: &str) -> Option<String> {
        let item = self.document.get(section)?.get(key)?;
        item.as_str()
            .map(str::to_string)
            .or_else(|| item.as_integer().map(|number| number.to_string()))
    }

    /// Whether the file has a `[section]`.
    pub fn has_section(&self, section: &str) -> bool {
        self.document.get(section).is_some()
    }

    /// Sets `[section] key`, adding the section when it is missing; a key that already has
    /// this value is left exactly as it is written.
    pub fn set(&mut self, section: &str, key: &str, setting: Setting) {
        let same = match (
            &setting,
            self.document.get(section).and_then(|s| s.get(key)),
        ) {
            (Setting::Text(text), Some(item)) => item.as_str() == Some(text.as_str()),
            (Setting::Integer(number), Some(item)) => item.as_integer() == Some(*number),
            (_, None) => false,
        };
        if same {
            return;
        }
        let table = self.section(section);
        table[key] = match setting {
            Setting::Text(text) => value(text),
            Setting::Integer(number) => value(number),
        };
    }

    /// Removes `[section] key`, if it is there.
    pub fn remove(&mut self, section: &str, key: &str) {
        if let Some(table) = self
            .document
            .get_mut(section)
            .and_then(Item::as_table_like_mut)
        {
            table.remove(key);
        }
    }

    /// Removes a whole `[section]`.
    pub fn remove_section(&mut self, section: &str) {
        self.document.remove(section);
    }

    fn section(&mut self, section: &str) -> &mut Table {
        let item = self
            .document
            .entry(section)
            .or_insert_with(|| Item::Table(Table::new()));
        if !item.is_table() {
            *item = Item::Table(Table::new());
        }
        item.as_table_mut().expect("made a table just above")
    }

    /// Whether the text differs from the file as it was read.
    pub fn changed(&self) -> bool {
        self.document.to_string() != self.original
    }

    /// Checks the text as the terminal will read it, with the token `env` (or the credential
    /// file) provides.
    pub fn check(&self, env: &Environment) -> Result<Config, ConfigError> {
        Config::parse(&self.document.to_string(), Some(&self.path), env)
    }

    /// Checks the new text (`check`) and, when it changed, replaces the file with it. Returns
    /// whether it did.
    pub fn save(&self, env: &Environment) -> Result<bool, String> {
        self.check(env).map_err(|error| error.to_string())?;
        let text = self.document.to_string();
        if !self.changed() {
            return Ok(false);
        }
        if let Some(folder) = self.path.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .map_err(|error| format!("cannot create {} ({error})", folder.display()))?;
        }
        // The mode and owners the file has, which a technician may have chosen. A new file
        // holds the admin and cashier PINs: root's to write, the service's group's to read
        // (where root writes it on a machine with the package), no one else's.
        let (mode, owners) = match std::fs::metadata(&self.path) {
            Ok(meta) => (meta.permissions().mode() & 0o7777, Owners::Kept(meta)),
            Err(_) => (NEW_CONFIG_MODE, Owners::ServiceGroup),
        };
        replace_file(&self.path, text.as_bytes(), mode, owners)?;
        Ok(true)
    }
}

/// A new configuration's mode: it holds the admin and cashier PINs, so others may not read it.
pub const NEW_CONFIG_MODE: u32 = 0o640;
/// The group a configuration root writes is given, where it exists: the service's own, so the
/// terminal reads the file and no other user does.
pub const SERVICE_GROUP: &str = "paycode-kiosk";

/// Who owns a file written in place of another, or a new one.
enum Owners {
    /// As this process makes it.
    Mine,
    /// The user and group of the file it replaces.
    Kept(std::fs::Metadata),
    /// Made by root: its group is `SERVICE_GROUP` where that group exists.
    ServiceGroup,
}

/// The id of group `name` in `/etc/group` (where systemd-sysusers writes the service's).
fn group_id(name: &str) -> Option<u32> {
    let groups = std::fs::read_to_string("/etc/group").ok()?;
    groups.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != name {
            return None;
        }
        fields.nth(1)?.parse().ok()
    })
}

/// Gives `file` (just made by this process) the owners `owners` asks for.
fn set_owners(file: &std::fs::File, owners: &Owners) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let made = file.metadata()?;
    let (user, group) = match owners {
        Owners::Mine => return Ok(()),
        Owners::Kept(old) => (old.uid(), old.gid()),
        Owners::ServiceGroup => match group_id(SERVICE_GROUP) {
            Some(group) if made.uid() == 0 => (0, group),
            _ => return Ok(()),
        },
    };
    if (made.uid(), made.gid()) == (user, group) {
        return Ok(());
    }
    std::os::unix::fs::fchown(file, Some(user), Some(group))
}

/// Where the service's Monime token is kept for the configuration at `config`: the file
/// systemd loads the credential from (`credentials/monime-access-token` beside it).
pub fn token_path(config: &Path) -> PathBuf {
    config
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("credentials")
        .join(TOKEN_CREDENTIAL)
}

/// The token kept for the configuration at `config`, if there is one.
pub fn read_token(config: &Path) -> Option<String> {
    std::fs::read_to_string(token_path(config))
        .ok()
        .map(|text| text.trim().to_string())
        .filter(|token| !token.is_empty())
}

/// Keeps `token` for the configuration at `config`, readable and writable by its owner alone
/// (root, from whom systemd loads it); an unchanged token leaves the file as it is. Returns
/// whether it wrote.
pub fn write_token(config: &Path, token: &str) -> Result<bool, String> {
    let path = token_path(config);
    if read_token(config).as_deref() == Some(token) {
        // The same token: only its permissions are made right, if they were not.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|error| format!("cannot restrict {} ({error})", path.display()))?;
        return Ok(false);
    }
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .map_err(|error| format!("cannot create {} ({error})", folder.display()))?;
    }
    replace_file(&path, format!("{token}\n").as_bytes(), 0o600, Owners::Mine)?;
    Ok(true)
}

/// Writes `bytes` beside `path` with `mode` and `owners` from its first byte, then renames it
/// over `path`.
fn replace_file(path: &Path, bytes: &[u8], mode: u32, owners: Owners) -> Result<(), String> {
    let failed = |error: std::io::Error| format!("{} cannot be written ({error})", path.display());
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&partial)
        .and_then(|mut file| {
            // The mode given at creation is narrowed by the umask, and an old partial file
            // keeps its own: set it outright, after the owners (a chown may clear set-id bits).
            set_owners(&file, &owners)?;
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&partial, path));
    written.map_err(|error| {
        let _ = std::fs::remove_file(&partial);
        failed(error)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# The shop's terminal.\n[monime]\nspace_id = \"spc-1\" # from the dashboard\n\n[kiosk]\nmerchant_name = \"Corner shop\"\nterminal_id = \"T1\"\nadmin_pin = \"4821\"\n";

    fn edit(text: &str) -> (tempfile::TempDir, ConfigEdit) {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).expect("write");
        let edit = ConfigEdit::open(&path).expect("open");
        (dir, edit)
    }

    #[test]
    fn setting_a_key_to_its_value_changes_nothing() {
        let (_dir, mut edit) = edit(FILE);
        edit.set("monime", "space_id", Setting::Text("spc-1".into()));
        edit.set("kiosk", "terminal_id", Setting::Text("T1".into()));
        assert!(!edit.changed());
        assert_eq!(
            edit.get("kiosk", "merchant_name").as_deref(),
            Some("Corner shop")
        );
    }

    #[test]
    fn a_changed_key_keeps_the_rest_of_the_file_as_written() {
        let (_dir, mut edit) = edit(FILE);
        edit.set("kiosk", "terminal_id", Setting::Text("T2".into()));
        edit.set("printer", "baud", Setting::Integer(9600));
        let text = edit.document.to_string();
        assert!(
            text.starts_with(
                "# The shop's terminal.\n[monime]\nspace_id = \"spc-1\" # from the dashboard\n"
            ),
            "{text}"
        );
        assert!(text.contains("terminal_id = \"T2\""), "{text}");
        assert!(text.contains("[printer]\nbaud = 9600"), "{text}");
        assert_eq!(edit.get("printer", "baud").as_deref(), Some("9600"));
    }

    #[test]
    fn a_file_that_is_not_toml_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[monime\n").expect("write");
        let Err(refused) = ConfigEdit::open(&path) else {
            panic!("a file that is not TOML was opened");
        };
        assert!(refused.contains("run setup again"), "{refused}");
    }

    #[test]
    fn a_new_configuration_is_not_for_every_user() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("config.toml");
        let mut edit = ConfigEdit::open(&path).expect("open");
        edit.set("monime", "space_id", Setting::Text("spc-1".into()));
        edit.set(
            "kiosk",
            "merchant_name",
            Setting::Text("Corner shop".into()),
        );
        edit.set("kiosk", "terminal_id", Setting::Text("T1".into()));
        edit.set("kiosk", "admin_pin", Setting::Text("4821".into()));
        let env = Environment {
            access_token: Some(crate::secret::AccessToken::new("mon_test_abc")),
            ..Environment::default()
        };
        assert!(edit.save(&env).expect("saved"));
        let mode = std::fs::metadata(&path).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, NEW_CONFIG_MODE);
    }

    #[test]
    fn a_changed_configuration_keeps_its_mode_and_group() {
        use std::os::unix::fs::MetadataExt;
        let (dir, mut edit) = edit(FILE);
        let path = dir.path().join("config.toml");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).expect("chmod");
        // Root (as `sudo paycode-kiosk setup` runs) gives the file another group first, as
        // the package's user has; anyone else keeps the group it has.
        let before = std::fs::metadata(&path).expect("file");
        if before.uid() == 0 {
            std::os::unix::fs::chown(&path, None, Some(1)).expect("chgrp");
        }
        let before = std::fs::metadata(&path).expect("file");
        edit.set("kiosk", "terminal_id", Setting::Text("T2".into()));
        let env = Environment {
            access_token: Some(crate::secret::AccessToken::new("mon_test_abc")),
            ..Environment::default()
        };
        assert!(edit.save(&env).expect("saved"));
        let after = std::fs::metadata(&path).expect("file");
        assert_eq!(after.permissions().mode() & 0o7777, 0o604);
        assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
        assert!(
            std::fs::read_to_string(&path)
                .expect("text")
                .contains("\"T2\"")
        );
    }

    #[test]
    fn the_token_is_kept_for_its_owner_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let config = dir.path().join("config.toml");
        assert!(write_token(&config, "mon_test_abc").expect("write"));
        let path = token_path(&config);
        let mode = std::fs::metadata(&path).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(read_token(&config).as_deref(), Some("mon_test_abc"));
        assert!(!write_token(&config, "mon_test_abc").expect("again"));
    }
}
