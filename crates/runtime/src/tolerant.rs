/// Declares a forward-compatible string enum.
///
/// Marketplaces add statuses, event names and message types without notice. A
/// closed Rust enum would turn every new value into a decoding failure of the whole
/// response, so every string enum in our specs becomes a *tolerant* enum: the
/// documented values are variants, anything else decodes into `Other(String)` and
/// round-trips unchanged. The house code generator emits one invocation per enum
/// schema; it is not meant to be called by hand.
///
/// ```
/// marketplace_runtime::tolerant_enum! {
///     /// Chat status.
///     pub enum Status {
///         Open = "OPEN",
///         Closed = "CLOSED",
///     }
/// }
/// let known: Status = serde_json::from_str("\"OPEN\"").unwrap();
/// assert_eq!(known, Status::Open);
/// let new: Status = serde_json::from_str("\"ESCALATED\"").unwrap();
/// assert_eq!(new, Status::Other("ESCALATED".into()));
/// assert!(new.is_other());
/// assert_eq!(serde_json::to_string(&new).unwrap(), "\"ESCALATED\"");
/// ```
#[macro_export]
macro_rules! tolerant_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$variant_meta])* #[doc = concat!("`", $wire, "`")] $variant, )*
            /// A value this version of the SDK does not know yet, kept verbatim.
            Other(::std::string::String),
        }

        impl $name {
            /// Every documented value, in spec order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The value exactly as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::Other(value) => value.as_str(),
                }
            }

            /// True for a value the spec does not document.
            pub fn is_other(&self) -> bool {
                matches!(self, $name::Other(_))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire => $name::$variant, )*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok($name::from(value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                // A visitor, so known values decode from the borrowed text without
                // allocating; only `Other` values own a copy.
                struct Visitor;
                impl<'de> $crate::__serde::de::Visitor<'de> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: $crate::__serde::de::Error>(
                        self,
                        value: &str,
                    ) -> ::std::result::Result<$name, E> {
                        let decoded = $name::from(value);
                        if decoded.is_other() {
                            // Forward-compatibility drift: counted per operation by
                            // applications that watch `marketplace.drift` (the value
                            // is the vendor's code, never a secret).
                            $crate::__tracing::info!(
                                target: $crate::decode::DRIFT_TARGET,
                                drift = "enum_value",
                                r#enum = stringify!($name),
                                value,
                                "a value this SDK does not know"
                            );
                        }
                        Ok(decoded)
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}
