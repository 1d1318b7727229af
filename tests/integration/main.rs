//! Integration tests: the `neardup` binary on the bundled data and on small
//! fixtures made in temporary folders. One test binary, to save link time.

mod atomic;
mod boilerplate;
mod cli;
mod clustering;
mod defects;
mod determinism;
mod hostile;
mod html;
mod inputs;
mod outputs;
mod passage_scale;
mod passages;
mod regressions;
mod scale;
mod seams;
mod stages;
#[allow(dead_code)] // the generator is shared with the CLI and the benches
#[path = "../../src/cli/synth.rs"]
mod synth;
mod truth;
mod util;
