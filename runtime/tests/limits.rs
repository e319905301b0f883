//! Limits and close codes: frame size, UTF-8, idle timeout, slow consumers, write timeouts.

mod support;
