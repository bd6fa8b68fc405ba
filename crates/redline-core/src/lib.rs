//! Redline's domain, with no Tauri and no UI: the desktop shell and the `redline` CLI are thin
//! drivers over this crate.
//!
//! A [`Settlement`](model::Settlement) is one pair of texts — what an AI agent drafted and what a
//! person finally used — with the agent, the intent and where the record came from. Settlements
//! live in a [`Store`](store::Store), an embedded redb file that works fully offline; they arrive
//! through [`import`] (JSONL or CSV in the documented interchange format) or from the
//! [`sample`] generator, and [`diff`] shows what a person changed.
//!
//! The modules are fenced into layers — foundation, domain, storage, domain over the store,
//! adapters (the only network code: `http`, [`notion`], [`llm`], [`delivery`]) and the
//! [`service`] layer of use cases — that point one way; ARCHITECTURE.md lists them and
//! `tests/tidy.rs` enforces them. Long jobs take a [`job::Progress`] callback and a
//! [`job::Cancel`] token.
//!
//! ```
//! use redline_core::{sample, store::Store};
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(&dir.path().join("redline.redb")).unwrap();
//! let settlements = sample::generate(&sample::SampleSpec { count: 50, seed: 7, ..Default::default() });
//! store.upsert_batch(&settlements).unwrap();
//! assert_eq!(store.count().unwrap(), 50);
//! ```

pub mod analytics;
pub mod audit;
pub mod curation;
pub(crate) mod dedupe;
pub mod delivery;
pub mod diff;
pub mod experiments;
pub mod export;
pub mod fsutil;
pub(crate) mod hash;
mod http;
pub mod import;
pub mod job;
pub mod learning;
pub mod llm;
pub mod mining;
pub mod model;
pub mod notion;
pub mod parallel;
pub mod patterns;
pub mod prompts;
pub mod redact;
pub(crate) mod rng;
pub mod sample;
pub mod secret;
pub mod service;
pub mod settings;
pub mod stats;
pub mod store;
pub mod text;
pub mod validate;

pub use model::{Acceptance, AgentName, IntentType, Settlement, SettlementId, Source, SourceKind};
