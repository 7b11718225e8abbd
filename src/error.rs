//! Error classes and their exit codes. Every error hutch prints goes through here, once.

use std::fmt;

/// What kind of failure this is; decides the exit code (Podman's convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// hutch itself failed or the input was wrong: 125.
    Tool,
    /// The container's command exists but cannot be invoked: 126.
    CannotInvoke,
    /// The container's command was not found: 127.
    NotFound,
    /// The container or image named does not exist: 125, except where a verb's exit status
    /// says otherwise (`rm`, `rmi`: 1).
    NoSuchObject,
    /// The container is running, or the image is used by a container: 125, except where a
    /// verb's exit status says otherwise (`rm`, `rmi`: 2).
    InUse,
}

/// An error with a one-line message that names the failing object.
#[derive(Debug)]
pub struct Error {
    pub class: Class,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            class: Class::Tool,
            message: message.into(),
        }
    }

    /// An error with Podman's exit code `code` (126 or 127; anything else is 125).
    pub fn with_code(code: i32, message: impl Into<String>) -> Self {
        let class = match code {
            126 => Class::CannotInvoke,
            127 => Class::NotFound,
            _ => Class::Tool,
        };
        Error {
            class,
            message: message.into(),
        }
    }

    /// The same error, of class `class`.
    pub fn classed(self, class: Class) -> Self {
        Error { class, ..self }
    }

    pub fn exit_code(&self) -> i32 {
        match self.class {
            Class::Tool | Class::NoSuchObject | Class::InUse => 125,
            Class::CannotInvoke => 126,
            Class::NotFound => 127,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Build an error from a format string: `bail!("no such image: {name}")`.
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => { $crate::error::Error::new(format!($($arg)*)) };
}

/// Return early with an error: `bail!("no such image: {name}")`.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::err!($($arg)*)) };
}

/// Attach context to any displayable error: `fs::read(p).ctx(|| format!("reading {}", p.display()))?`.
pub trait Context<T> {
    fn ctx<S: Into<String>>(self, what: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn ctx<S: Into<String>>(self, what: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| Error::new(format!("{}: {}", what().into(), e)))
    }
}

impl<T> Context<T> for Option<T> {
    fn ctx<S: Into<String>>(self, what: impl FnOnce() -> S) -> Result<T> {
        self.ok_or_else(|| Error::new(what().into()))
    }
}
