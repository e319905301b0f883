//! Escaping of spec text, one function per place it lands. A spec is untrusted input: every
//! string from it reaches generated output through exactly one of these functions, chosen by
//! the context it is written into, never by ad-hoc replacements at the call site.
//!
//! - [`html`]: HTML element text, double-quoted attribute values, fragment ids, JSON inside
//!   `<script>` (the docs page).

pub mod html;
