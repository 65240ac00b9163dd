//! Progress bars on stderr for long runs; indicatif hides them when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::limits;

pub fn bar(total_events: u64, verb: &str) -> ProgressBar {
    if total_events < limits::PROGRESS_BAR_EVENTS_MIN {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total_events), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} events ({per_sec}, {eta} left)")
            .expect("static template"),
    );
    bar.set_message(verb.to_owned());
    bar
}

pub fn bytes_bar(total_bytes: u64, verb: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)")
            .expect("static template"),
    );
    bar.set_message(verb.to_owned());
    bar
}
