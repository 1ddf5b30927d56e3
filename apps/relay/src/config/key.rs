//! What a key is: its [`Kind`], the [`Slot`] that stores and merges its value, the [`Key`]
//! record the file parser, the command line, `--print-config` and the README read, and the
//! [`declare_keys!`] macro that writes all of that from one declaration per key
//! (`keys.rs`).

use std::fmt;

use super::error::ValueError;
use super::keys::Values;
use super::readme::Row;
use super::value::Value;

/// How a key takes its value, in the file and on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Bare means on; in the file it may carry a boolean (`on`/`off`, `yes`/`no`, ...).
    Flag,
    /// One value; given again, the last one counts.
    Scalar,
    /// One value, or none for a default (coturn's `stale-nonce[=<value>]`); on the command
    /// line the value needs `=`.
    OptionalScalar,
    /// Repeatable: each occurrence adds to the list.
    List,
}

/// How a key's value is stored in [`Values`], read, merged and printed: [`Flag`],
/// [`One<V>`] or [`List<V>`].
pub(crate) trait Slot {
    /// What [`Values`] holds for the key: `bool`, `Option<V::Out>` or `Vec<V::Out>`; the
    /// default means "not given".
    type Stored: Clone + fmt::Debug + Default + PartialEq + Eq;
    /// How the key takes its value.
    const KIND: Kind;
    /// The placeholder in `--help` (`PORT`, `IP`, ...), `None` for a flag.
    const VALUE_NAME: Option<&'static str>;
    /// Take one occurrence of the key from the file: `value` is unquoted and trimmed, empty
    /// when absent, which only a flag or an optional value accepts.
    fn apply(stored: &mut Self::Stored, value: &str) -> Result<(), ValueError> {
        if value.is_empty() && matches!(Self::KIND, Kind::Scalar | Kind::List) {
            return Err(ValueError::Missing);
        }
        Self::put(stored, value)
    }
    /// Take one value as it is, empty or not (the command line, where clap has already
    /// decided whether a value is there).
    fn put(stored: &mut Self::Stored, value: &str) -> Result<(), ValueError>;
    /// Combine two sources: what `cli` gives wins over `file`; a list replaces, not appends.
    fn over(cli: Self::Stored, file: Self::Stored) -> Self::Stored;
    /// Write the key's lines in turnserver.conf syntax (none when not given).
    fn write(stored: &Self::Stored, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result;
    /// Whether the key is given, with something wren-relay does not already do (a flag on,
    /// a value that is not [`Value::honoured`]).
    fn set(stored: &Self::Stored) -> bool;
}

/// A flag: `bool`, on when given bare or with a true boolean.
#[derive(Debug)]
pub(crate) enum Flag {}

/// One value of type `V`: `Option<V::Out>`.
#[derive(Debug)]
pub(crate) struct One<V>(std::marker::PhantomData<V>);

/// A repeatable value of type `V`: `Vec<V::Out>`.
#[derive(Debug)]
pub(crate) struct List<V>(std::marker::PhantomData<V>);

/// coturn's `get_bool_value`: a missing value means true.
fn parse_bool(value: &str) -> Result<bool, ValueError> {
    match value.to_ascii_lowercase().as_str() {
        "" | "1" | "yes" | "y" | "true" | "t" | "on" => Ok(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Ok(false),
        _ => Err(ValueError::OnFlag),
    }
}

impl Slot for Flag {
    type Stored = bool;
    const KIND: Kind = Kind::Flag;
    const VALUE_NAME: Option<&'static str> = None;

    fn put(stored: &mut bool, value: &str) -> Result<(), ValueError> {
        *stored = parse_bool(value)?;
        Ok(())
    }

    /// The command line can only turn a flag on, so "the command line wins" is an `or`.
    fn over(cli: bool, file: bool) -> bool {
        cli || file
    }

    fn write(stored: &bool, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *stored {
            writeln!(f, "{name}")?;
        }
        Ok(())
    }

    fn set(stored: &bool) -> bool {
        *stored
    }
}

impl<V: Value> Slot for One<V> {
    type Stored = Option<V::Out>;
    const KIND: Kind = if V::OPTIONAL {
        Kind::OptionalScalar
    } else {
        Kind::Scalar
    };
    const VALUE_NAME: Option<&'static str> = Some(V::VALUE_NAME);

    fn put(stored: &mut Option<V::Out>, value: &str) -> Result<(), ValueError> {
        *stored = Some(V::parse(value).map_err(ValueError::Invalid)?);
        Ok(())
    }

    fn over(cli: Option<V::Out>, file: Option<V::Out>) -> Option<V::Out> {
        cli.or(file)
    }

    fn write(stored: &Option<V::Out>, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(value) = stored {
            write!(f, "{name}=")?;
            V::write(value, f)?;
            writeln!(f)?;
        }
        Ok(())
    }

    fn set(stored: &Option<V::Out>) -> bool {
        stored.as_ref().is_some_and(|v| !V::honoured(v))
    }
}

impl<V: Value> Slot for List<V> {
    type Stored = Vec<V::Out>;
    const KIND: Kind = Kind::List;
    const VALUE_NAME: Option<&'static str> = Some(V::VALUE_NAME);

    fn put(stored: &mut Vec<V::Out>, value: &str) -> Result<(), ValueError> {
        stored.push(V::parse(value).map_err(ValueError::Invalid)?);
        Ok(())
    }

    /// A list on the command line replaces the file's (coturn appends; wren-relay lets
    /// `-L 127.0.0.1` mean "only loopback").
    fn over(cli: Vec<V::Out>, file: Vec<V::Out>) -> Vec<V::Out> {
        if cli.is_empty() { file } else { cli }
    }

    fn write(stored: &Vec<V::Out>, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for value in stored {
            write!(f, "{name}=")?;
            V::write(value, f)?;
            writeln!(f)?;
        }
        Ok(())
    }

    fn set(stored: &Vec<V::Out>) -> bool {
        stored.iter().any(|v| !V::honoured(v))
    }
}

/// Where a key appears in the README's table of coturn keys, and what it adds there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Readme {
    /// The row.
    pub(crate) row: Row,
    /// Said in parentheses after the key, beside its short flag (may be empty).
    pub(crate) note: &'static str,
}

/// One key wren-relay understands, in the file and (as `--name`) on the command line; made
/// by [`declare_keys!`], listed in [`super::keys::KEYS`].
#[derive(Debug)]
pub(crate) struct Key {
    /// The name, as in turnserver.conf and after `--`.
    pub(crate) name: &'static str,
    /// The one-letter command-line form, if coturn has one.
    pub(crate) short: Option<char>,
    /// Flag, scalar or list.
    pub(crate) kind: Kind,
    /// The placeholder in `--help`; `None` for a flag.
    pub(crate) value_name: Option<&'static str>,
    /// The `--help` text, as the lines of the declaration's doc comment.
    pub(crate) help: &'static [&'static str],
    /// Its place in the README table; `None` leaves it out.
    pub(crate) readme: Option<Readme>,
    /// `None`: acted on (or honoured trivially, e.g. `no-cli` when there is no CLI).
    /// `Some(why)`: parsed and stored, not acted on yet; the binary warns with `why`.
    pub(crate) not_yet: Option<&'static str>,
    /// Takes one occurrence of the key from the file into [`Values`] ([`Slot::apply`]).
    pub(crate) apply: fn(&mut Values, &str) -> Result<(), ValueError>,
    /// Takes one value from the command line into [`Values`] ([`Slot::put`]).
    pub(crate) put: fn(&mut Values, &str) -> Result<(), ValueError>,
    /// Writes the key's lines in turnserver.conf syntax.
    pub(crate) write: fn(&Values, &mut fmt::Formatter<'_>) -> fmt::Result,
    /// Whether the key is set to something wren-relay does not already do ([`Slot::set`]).
    pub(crate) set: fn(&Values) -> bool,
}

impl Key {
    /// The `--help` text: the doc comment's lines joined.
    pub(crate) fn help(&self) -> String {
        let lines: Vec<&str> = self.help.iter().map(|l| l.trim()).collect();
        lines.join(" ")
    }
}

/// `Some(x)` for `opt!(x)`, `None` for `opt!()`: an optional part of a declaration.
macro_rules! opt {
    () => {
        None
    };
    ($x:expr) => {
        Some($x)
    };
}
pub(super) use opt;

/// Declares every key once and writes from that: the [`Values`] struct (one field per key,
/// typed by its [`Slot`]), `KEYS` (one [`Key`] per key, in declaration order) and
/// `Values::over` (the command line over the file).
///
/// ```text
/// /// Help text for --help (and the field's doc).
/// field: One<Port> = "key-name" { short: 'p', readme: Row "note", not_yet: "why", },
/// ```
///
/// `short`, `readme` (with or without a note) and `not_yet` are optional, in that order.
macro_rules! declare_keys {
    ($(
        $(#[doc = $help:literal])+
        $field:ident: $slot:ty = $name:literal {
            $(short: $short:literal,)?
            $(readme: $row:ident $($note:literal)?,)?
            $(not_yet: $why:literal,)?
        }
    ),* $(,)?) => {
        /// What one source said (the file or the command line), or all of them merged: one
        /// field per key, `bool` for a flag, `Option` for a value, `Vec` for a list; the
        /// default means "not given".
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub(crate) struct Values {
            $(
                $(#[doc = $help])+
                pub(crate) $field: <$slot as $crate::config::key::Slot>::Stored,
            )*
        }

        impl Values {
            /// Combine: what the command line (`self`) gives wins over the file.
            pub(crate) fn over(self, file: Values) -> Values {
                Values {
                    $(
                        $field: <$slot as $crate::config::key::Slot>::over(
                            self.$field,
                            file.$field,
                        ),
                    )*
                }
            }
        }

        /// Every key wren-relay accepts, in declaration order (the order of `--help`,
        /// `--print-config`, the warnings and the README table).
        pub(crate) const KEYS: &[$crate::config::key::Key] = &[$(
            $crate::config::key::Key {
                name: $name,
                short: $crate::config::key::opt!($($short)?),
                kind: <$slot as $crate::config::key::Slot>::KIND,
                value_name: <$slot as $crate::config::key::Slot>::VALUE_NAME,
                help: &[$($help),+],
                readme: $crate::config::key::opt!($($crate::config::key::Readme {
                    row: $crate::config::readme::Row::$row,
                    note: concat!("" $(, $note)?),
                })?),
                not_yet: $crate::config::key::opt!($($why)?),
                apply: |values, value| {
                    <$slot as $crate::config::key::Slot>::apply(&mut values.$field, value)
                },
                put: |values, value| {
                    <$slot as $crate::config::key::Slot>::put(&mut values.$field, value)
                },
                write: |values, f| {
                    <$slot as $crate::config::key::Slot>::write(&values.$field, $name, f)
                },
                set: |values| <$slot as $crate::config::key::Slot>::set(&values.$field),
            },
        )*];
    };
}
pub(super) use declare_keys;
