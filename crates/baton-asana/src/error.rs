//! The binary's errors: one line for the operator and an exit code
//! (1 runtime failure, 2 usage).

use std::fmt;

#[derive(Debug)]
pub struct AppError {
    pub exit_code: u8,
    pub message: String,
}

impl AppError {
    /// The command line or configuration is wrong (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit_code: 2,
            message: message.into(),
        }
    }

    /// Something failed at run time (exit 1).
    pub fn runtime(message: impl Into<String>) -> Self {
        Self {
            exit_code: 1,
            message: message.into(),
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Errors are printed on one line: fold any newline a cause carried.
        f.write_str(&self.message.replace(['\n', '\r'], " "))
    }
}

pub type AppResult<T> = Result<T, AppError>;
