//! Placeholder until the series crate lands.
