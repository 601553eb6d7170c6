//! Exit codes and the one error type every command returns.

/// `mkt`'s exit codes (also listed in `mkt --help` and the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: everything asked for was done.
    Success = 0,
    /// 1: it failed (a marketplace error, the store, the network, a failed check).
    Failure = 1,
    /// 2: bad arguments or configuration (clap uses 2 for its own usage errors).
    Usage = 2,
    /// 3: partial failure: some accounts or marketplaces failed, the others succeeded.
    Partial = 3,
    /// 4: a marketplace refused the credentials (401/403).
    Auth = 4,
}

/// The exit-code table of `mkt --help` (a macro so that `concat!` can take it).
macro_rules! exit_codes_help {
    () => {
        "Exit codes:
  0  success
  1  failure (a marketplace error, the store, the network, a failed check)
  2  usage error (bad arguments or configuration)
  3  partial failure (some accounts failed, the others succeeded)
  4  authentication failure (a marketplace refused the credentials)"
    };
}
pub(crate) use exit_codes_help;

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// A command's failure: what to print on stderr, a hint how to fix it, and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// What went wrong (never a secret).
    pub message: String,
    /// How to fix it, if known.
    pub hint: Option<String>,
}

impl CliError {
    /// A failure (exit 1).
    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Failure,
            message: message.into(),
            hint: None,
        }
    }

    /// A usage or configuration error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Usage,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds how to fix it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A marketplace call of `account` failed: the marketplace's status, code and
    /// message (the runtime error's `Display`, which never carries a credential or a
    /// query string); exit 4 when the credentials were refused.
    pub fn api(account: &str, error: &marketplace_runtime::Error) -> Self {
        let exit = if error.is_auth() {
            Exit::Auth
        } else {
            Exit::Failure
        };
        let hint = error.is_auth().then(|| {
            "check the account's credentials (`mkt config show`, `mkt doctor`)".to_owned()
        });
        CliError {
            exit,
            message: format!("{account}: {error}"),
            hint,
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::failure(e.to_string())
    }
}

impl From<marketplace_inbox_store::StoreError> for CliError {
    fn from(e: marketplace_inbox_store::StoreError) -> Self {
        CliError::failure(format!("inbox store: {e}"))
    }
}

/// A command's result.
pub type CliResult<T = Exit> = Result<T, CliError>;
