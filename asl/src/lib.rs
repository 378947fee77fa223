//! Amazon States Language engine: parse, validate and execute Step Functions state machines
//! locally, in virtual time, with AWS's semantics (JSONPath query language).
//!
//! ```
//! use asl::{ExecutionOptions, StateMachine, Status};
//! use serde_json::json;
//!
//! let sm = StateMachine::from_value(&json!({
//!     "StartAt": "Hello",
//!     "States": {"Hello": {"Type": "Pass", "Parameters": {"msg.$": "States.Format('hi {}', $.who)"}, "End": true}}
//! })).unwrap();
//! let result = sm.run_blocking(json!({"who": "there"}), &ExecutionOptions::default());
//! assert_eq!(result.status, Status::Succeeded);
//! assert_eq!(result.output, Some(json!({"msg": "hi there"})));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod catch;
pub mod choice;
pub mod clock;
pub mod codec;
pub mod engine;
pub mod error;
pub mod executor;
pub mod history;
pub mod intrinsics;
pub mod jsonata;
pub mod machine;
pub mod mock;
pub mod model_view;
pub mod path;
pub mod payload;
pub mod retry;
pub mod scope;
pub mod service_shapes;
pub mod states;
pub mod task;
pub mod test_state;
pub mod validate;
pub mod variables;

pub use clock::{Clock, Rng, SeededRng, VirtualClock};
pub use engine::{ExecutionOptions, ExecutionResult, Observer, Status};
pub use error::{DefinitionError, DefinitionErrors, StatesError};
pub use executor::block_on;
pub use history::{EventType, HistoryEvent};
pub use machine::StateMachine;
pub use mock::{MockConfig, MockError, MockHandler};
pub use task::{BoxFuture, Pattern, Resource, Router, TaskError, TaskHandler, TaskRequest};
