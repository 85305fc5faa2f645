//! Seed 002's toy `printMessage()`: three children, `cancel_all()` called at once.
//!
//! - When no child checks for cancellation, `cancel_all()` changes nothing: all three words
//!   arrive, in completion order (S1, S15).
//! - When the first child checks (`cancelkit::checkpoint()?`, Swift's
//!   `try Task.checkCancellation()`), it fails — if it had not run yet when the group was
//!   cancelled — and its error ends the collecting loop, so some or none of the words arrive.

use cancelkit::{CancellationError, with_throwing_task_group};

/// What `print_message` printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// The words collected before the loop ended, joined with spaces.
    pub message: String,
    /// The error that ended the loop early, if one did.
    pub error: Option<CancellationError>,
}

/// Runs the toy; `first_child_checks` picks the variant.
pub async fn print_message(first_child_checks: bool) -> Printed {
    let result = with_throwing_task_group(async |group| {
        group.spawn(async move {
            if first_child_checks {
                cancelkit::checkpoint()?;
            }
            Ok("Testing")
        });
        group.spawn(async { Ok("Group") });
        group.spawn(async { Ok("Cancellation") });

        group.cancel_all();
        let mut collected = Vec::new();
        let mut error = None;
        loop {
            match group.try_next().await {
                Ok(Some(value)) => collected.push(value),
                Ok(None) => break,
                Err(err) => {
                    println!("{err}");
                    error = Some(err);
                    break;
                }
            }
        }
        Ok::<_, CancellationError>(Printed {
            message: collected.join(" "),
            error,
        })
    })
    .await;
    let printed = result.unwrap_or_else(|err| Printed {
        message: String::new(),
        error: Some(err),
    });
    println!("{}", printed.message);
    printed
}
