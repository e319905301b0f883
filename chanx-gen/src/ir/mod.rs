//! The intermediate representation: every decision about a document (which channels, which
//! messages go which way, how they are told apart, what each type and item is called) made once
//! and validated. Emitters read it and decide nothing about the spec; they only render.
//!
//! Everything here is ordered (document order, or sorted where noted) so that emitting the same
//! spec always gives the same bytes.

use serde_json::Value;

use crate::location::Location;

mod build;
pub mod lint;
mod schema;
mod untagged;

pub use build::{IrOptions, Role, build};
pub use schema::scalar_const;

/// Index into [`Ir::types`].
pub type TypeId = usize;
/// Index into [`Channel::messages`].
pub type MessageId = usize;

/// A whole document, ready to emit.
#[derive(Debug, Clone, PartialEq)]
pub struct Ir {
    /// `info` of the document.
    pub info: Info,
    /// The spec's file name as given (for headers and docs; never an absolute path).
    pub source_name: String,
    /// Servers, in document order.
    pub servers: Vec<Server>,
    /// Channels, in document order.
    pub channels: Vec<Channel>,
    /// Every named type (component schemas, and inline objects/enums/unions hoisted with a
    /// derived name). `TypeId` indexes this vector. Names are unique.
    pub types: Vec<TypeDef>,
    /// Non-fatal findings (e.g. "no tag found, falling back to an untagged enum").
    pub warnings: Vec<Diagnostic>,
}

impl Ir {
    /// The top-level keys a frame of this payload declares (its struct's properties, through
    /// aliases), or `None` when it takes any key as data (no struct, or `additionalProperties`
    /// with a schema). Untagged decoding prefers the message that declares every key of a frame.
    pub fn declared_keys(&self, payload: Option<&Schema>) -> Option<Vec<&str>> {
        let mut schema = payload?;
        for _ in 0..16 {
            let Schema::Named { id, .. } = schema else { return None };
            match &self.types.get(*id)?.kind {
                TypeKind::Alias(inner) => schema = inner,
                TypeKind::Struct(s) if !matches!(s.additional, Additional::Map(_)) => {
                    return Some(s.fields.iter().map(|f| f.wire.as_str()).collect());
                }
                _ => return None,
            }
        }
        None
    }
}

/// A problem or remark tied to a place in the documents.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Where.
    pub location: Location,
    /// What (lower-case, no trailing period).
    pub message: String,
}

/// The document's `info`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Info {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    pub description: Option<String>,
    /// `asyncapi` version string of the document (`2.0.0` to `2.6.0`, `3.0.0` or `3.1.0`).
    pub asyncapi: String,
}

/// A server entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Server {
    /// Key in `servers`.
    pub key: String,
    /// `host`.
    pub host: String,
    /// `protocol` (`ws`, `wss`, ...).
    pub protocol: String,
    /// `pathname`.
    pub pathname: Option<String>,
    /// `description`.
    pub description: Option<String>,
}

/// One channel: one Rust module, one TypeScript client class.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Key in `channels` (verbatim).
    pub key: String,
    /// Rust module name: `snake_case(key)`, escaped.
    pub module: String,
    /// File of the Rust module, without `.rs`: the module name without `r#` (`r#type` →
    /// `type`).
    pub file: String,
    /// File of the TypeScript module, without `.ts` (see [`names::ts_files`](crate::names::ts_files)).
    pub ts_file: String,
    /// The namespace `index.ts` exports the TypeScript module under.
    pub ts_namespace: String,
    /// The TypeScript client class (`ChatClient`; see [`names::ts_class`](crate::names::ts_class)).
    pub ts_class: String,
    /// PascalCase name of the channel (`Chat`): the Rust marker type, and `<Name>Client`,
    /// `<Name>Handler`, `<Name>Service`, `<Name>Params` are derived from it.
    pub type_name: String,
    /// `address`, with `{param}` placeholders; `None` when absent or null.
    pub address: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// Address parameters, in the order they appear in the address.
    pub params: Vec<Param>,
    /// Every message used on this channel (both directions; reply messages included),
    /// in document order. [`MessageId`] indexes this vector.
    pub messages: Vec<Message>,
    /// What clients send (`receive` operations, after applying `--role`).
    pub client: Direction,
    /// What the server sends (`send` operations and every `reply`).
    pub server: Direction,
    /// Operations on this channel, in document order.
    pub operations: Vec<Operation>,
    /// Where the channel is defined.
    pub origin: Location,
}

/// One address parameter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Param {
    /// Name in the address (`roomId`).
    pub name: String,
    /// Rust field name (`room_id`).
    pub field: String,
    /// `description`.
    pub description: Option<String>,
    /// `enum`: allowed values, empty when any value is allowed.
    pub allowed: Vec<String>,
    /// `default`.
    pub default: Option<String>,
    /// `examples`.
    pub examples: Vec<String>,
}

/// The messages that travel one way on a channel and how they are told apart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Direction {
    /// How JSON messages are told apart.
    pub tag: Tagging,
    /// JSON messages, in document order (these become the enum's variants).
    pub messages: Vec<MessageId>,
    /// Binary (non-JSON `contentType`) messages, carried as bytes outside the enum.
    pub binary: Vec<MessageId>,
}

/// How the messages of one direction are told apart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Tagging {
    /// By the value of this top-level property of the frame (`action`, `type`, ...).
    Field(String),
    /// No common tag: an untagged enum, variants tried in [`Direction::messages`] order.
    #[default]
    Untagged,
}

/// One message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Key in the channel's `messages` map (verbatim).
    pub key: String,
    /// `name`, when given.
    pub name: Option<String>,
    /// PascalCase variant name in `ClientMessage` / `ServerMessage` (unique in the channel).
    pub variant: String,
    /// Wire value of the tag (`"chat"`), when the message's direction is tagged: the first of
    /// [`Message::tag_values`].
    pub tag_value: Option<String>,
    /// Every tag value the message owns, in the schema's order: one for a `const`, several for
    /// an `enum` (`typing_start`, `typing_stop`). A message with several keeps the tag property
    /// as a required field of its payload struct, so the decoded value says which one came and
    /// encoding writes the one set. Empty when the direction is untagged.
    pub tag_values: Vec<String>,
    /// Schema of the whole frame. `None` for binary messages and messages without a payload.
    pub payload: Option<Schema>,
    /// `title`.
    pub title: Option<String>,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `deprecated` (on the message).
    pub deprecated: bool,
    /// Effective content type (message `contentType`, else `defaultContentType`, else JSON).
    pub content_type: String,
    /// True when the content type is not JSON: the frame is binary.
    pub binary: bool,
    /// `examples[].payload`, in order.
    pub examples: Vec<Value>,
    /// `correlationId.location` (e.g. `$message.payload#/ref`).
    pub correlation_id: Option<String>,
    /// Where the message is defined (after `$ref` resolution).
    pub origin: Location,
}

/// Who acts, from the server's point of view after applying `--role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The server receives it: client → server; the handler trait gets a method.
    Receive,
    /// The server sends it: server → client; a typed push helper is generated.
    Send,
}

/// One operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Key in `operations` (verbatim).
    pub key: String,
    /// Rust method / function name: `snake_case(key)` (`handleChat` → `handle_chat`).
    pub method: String,
    /// Direction from the server's point of view.
    pub action: Action,
    /// Messages of the operation (all of the channel's when the operation lists none).
    pub messages: Vec<MessageId>,
    /// The reply, for request/reply operations.
    pub reply: Option<Reply>,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `deprecated`.
    pub deprecated: bool,
    /// Where the operation is defined.
    pub origin: Location,
}

/// The reply of a request/reply operation. Replies travel back on the requesting connection,
/// so their messages belong to the operation's channel (server direction).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Reply messages.
    pub messages: Vec<MessageId>,
    /// Name of the generated reply enum when there are several messages
    /// (`<Operation>Reply`, PascalCase), else `None`.
    pub enum_name: Option<String>,
}

/// A named type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// Rust/TypeScript type name (PascalCase, unique, escaped).
    pub name: String,
    /// Where the schema is (for doc comments and error messages).
    pub origin: Location,
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `deprecated`.
    pub deprecated: bool,
    /// `examples`.
    pub examples: Vec<Value>,
    /// The shape.
    pub kind: TypeKind,
}

/// The shape of a named type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// An object with known properties.
    Struct(Struct),
    /// A string `enum` (or a set of string `const`s).
    StringEnum(Vec<EnumValue>),
    /// An integer `enum`.
    IntEnum(Vec<i64>),
    /// `oneOf` / `anyOf` of several schemas.
    Union(Union),
    /// Any other named schema (`type: string, format: uuid`, an array, a map...).
    Alias(Schema),
}

/// One value of a string enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValue {
    /// Value on the wire (verbatim).
    pub wire: String,
    /// PascalCase Rust variant name (unique in the enum).
    pub variant: String,
}

/// An object type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Struct {
    /// Properties, in document order (`allOf` parts merged in order).
    pub fields: Vec<Field>,
    /// What to do with properties not listed.
    pub additional: Additional,
}

/// `additionalProperties` (and `patternProperties`).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Additional {
    /// Absent: unknown keys are ignored.
    #[default]
    Ignore,
    /// `false`: unknown keys are rejected (`extra_forbidden`).
    Forbid,
    /// A schema: unknown keys are kept in a map of that schema.
    Map(Box<Schema>),
}

/// One property of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Property name on the wire (verbatim).
    pub wire: String,
    /// Rust field name (snake_case, escaped, unique in the struct).
    pub rust: String,
    /// The property's schema.
    pub schema: Schema,
    /// Listed in `required`.
    pub required: bool,
    /// For a `const` (or one-value `enum`) property whose value is a string, a number or a
    /// boolean: the name of the Rust type that holds only that value (a unit struct that
    /// always encodes to it and refuses anything else on decode). Unique among type names.
    pub constant: Option<String>,
    /// `default`.
    pub default: Option<Value>,
    /// `description` (or `title` when there is no description).
    pub description: Option<String>,
    /// `deprecated`.
    pub deprecated: bool,
}

/// `oneOf` / `anyOf`.
#[derive(Debug, Clone, PartialEq)]
pub struct Union {
    /// `oneOf` (exactly one must match) or `anyOf`.
    pub exclusive: bool,
    /// The property that tells variants apart (from `discriminator`, or a `const` property
    /// every variant has), if any.
    pub discriminator: Option<String>,
    /// Variants, in document order.
    pub variants: Vec<UnionVariant>,
}

/// One variant of a union.
#[derive(Debug, Clone, PartialEq)]
pub struct UnionVariant {
    /// PascalCase variant name (unique in the union).
    pub name: String,
    /// Value of the discriminator for this variant, when the union has one.
    pub tag_value: Option<String>,
    /// The variant's schema.
    pub schema: Schema,
}

/// An anonymous schema expression; anything that needs a name is a [`Schema::Named`] type.
#[derive(Debug, Clone, PartialEq)]
pub enum Schema {
    /// No constraints (`{}`, `true`, or a type we carry as JSON).
    Any,
    /// `type: null`.
    Null,
    /// `type: boolean`.
    Bool,
    /// `type: integer` (kept within i64).
    Integer(NumberRules),
    /// `type: number` (f64).
    Number(NumberRules),
    /// `type: string`.
    String(StringRules),
    /// `const` (a value that is not an object).
    Const(Value),
    /// `type: array` with `items`.
    Array {
        /// Element schema.
        items: Box<Schema>,
        /// Size and uniqueness rules.
        rules: ArrayRules,
    },
    /// `prefixItems` (or `items: [..]`): a fixed-length tuple.
    Tuple {
        /// Element schemas.
        items: Vec<Schema>,
        /// Size rules.
        rules: ArrayRules,
    },
    /// An object used as a map: `additionalProperties: <schema>` and/or `patternProperties`.
    Map {
        /// Value schema.
        values: Box<Schema>,
        /// `patternProperties` key pattern, when the map came from one.
        key_pattern: Option<String>,
    },
    /// `type: [T, "null"]`, `anyOf: [T, {type: null}]`, `nullable: true`.
    Nullable(Box<Schema>),
    /// A named type.
    Named {
        /// Index into [`Ir::types`].
        id: TypeId,
        /// The reference closes a cycle and must be boxed in Rust.
        boxed: bool,
    },
}

/// Numeric constraints.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NumberRules {
    /// `format` (`int32`, `int64`, `float`, `double`).
    pub format: Option<String>,
    /// `minimum`.
    pub minimum: Option<f64>,
    /// `maximum`.
    pub maximum: Option<f64>,
    /// `exclusiveMinimum` (as a number, JSON Schema 2019+ / draft-07 style).
    pub exclusive_minimum: Option<f64>,
    /// `exclusiveMaximum`.
    pub exclusive_maximum: Option<f64>,
    /// `multipleOf`.
    pub multiple_of: Option<f64>,
}

/// String constraints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StringRules {
    /// `format` (`date-time`, `uuid`, `uri`, `email`, ...).
    pub format: Option<String>,
    /// `minLength` (in characters).
    pub min_length: Option<u64>,
    /// `maxLength` (in characters).
    pub max_length: Option<u64>,
    /// `pattern` (checked to compile as a Rust regex when the IR is built).
    pub pattern: Option<String>,
}

/// Array constraints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArrayRules {
    /// `minItems`.
    pub min_items: Option<u64>,
    /// `maxItems`.
    pub max_items: Option<u64>,
    /// `uniqueItems`.
    pub unique_items: bool,
}
