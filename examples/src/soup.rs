//! The soup kitchen of seed 003: cancellation is a race with the `guard`.
//!
//! `make_soup` boils the broth (which does not look at cancellation), then checks once —
//! Swift's `guard !Task.isCancelled else { throw SoupCancellationError() }` — and chops the
//! ingredients one by one while the task is not cancelled, cooking whatever got chopped.
//!
//! - cancelled **before** the guard: the order fails with [`SoupError::Cancelled`];
//! - cancelled **after** the guard: the kitchen carries on and serves a *partial* soup with
//!   the ingredients chopped so far;
//! - [`Kitchen::make_soup_or_fail`] uses `checkpoint()?` instead, so a late cancel is an error too.

use std::time::Duration;

use cancelkit::CancellationError;

/// One minute of kitchen time; the demo scales it down, the tests run on a paused clock.
#[derive(Debug, Clone, Copy)]
pub struct Kitchen {
    /// How long one step (boiling, chopping one ingredient, cooking) takes.
    pub step: Duration,
}

/// A served soup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Soup {
    /// The ingredients that made it into the pot, in order.
    pub ingredients: Vec<&'static str>,
}

/// Why an order was not served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoupError {
    /// The order was cancelled before the kitchen committed to it.
    Cancelled,
    /// The order was cancelled while chopping (the `checkpoint()?` variant).
    Interrupted(CancellationError),
}

impl From<CancellationError> for SoupError {
    fn from(err: CancellationError) -> Self {
        SoupError::Interrupted(err)
    }
}

/// What the customer ordered.
pub const ORDER: [&str; 5] = ["onion", "carrot", "celery", "potato", "chicken"];

impl Kitchen {
    async fn work(&self) {
        // Kitchen work does not look at cancellation (S1): it finishes once started.
        tokio::time::sleep(self.step).await;
    }

    /// The soup of seed 003: fails if cancelled before the guard, serves a partial soup if
    /// cancelled after it.
    ///
    /// # Errors
    ///
    /// [`SoupError::Cancelled`] if the order was cancelled before the guard.
    pub async fn make_soup(&self) -> Result<Soup, SoupError> {
        self.work().await; // boil the broth
        if cancelkit::is_cancelled() {
            return Err(SoupError::Cancelled);
        }
        let mut ingredients = Vec::new();
        for ingredient in ORDER {
            if cancelkit::is_cancelled() {
                break; // partial result: cook what we have
            }
            self.work().await; // chop
            ingredients.push(ingredient);
        }
        self.work().await; // cook
        Ok(Soup { ingredients })
    }

    /// The same recipe with `checkpoint()?` in the chopping loop: a cancel after the guard
    /// is an error instead of a partial soup.
    ///
    /// # Errors
    ///
    /// [`SoupError::Cancelled`] before the guard, [`SoupError::Interrupted`] after it.
    pub async fn make_soup_or_fail(&self) -> Result<Soup, SoupError> {
        self.work().await;
        if cancelkit::is_cancelled() {
            return Err(SoupError::Cancelled);
        }
        let mut ingredients = Vec::new();
        for ingredient in ORDER {
            cancelkit::checkpoint()?;
            self.work().await;
            ingredients.push(ingredient);
        }
        self.work().await;
        Ok(Soup { ingredients })
    }
}

/// Places an order as its own task, cancels it after `cancel_after` (if given), and waits for
/// the kitchen to finish — cancellation is cooperative, so it always does.
pub async fn order_and_cancel_after(
    kitchen: Kitchen,
    cancel_after: Option<Duration>,
    strict: bool,
) -> Result<Soup, SoupError> {
    let order = cancelkit::Task::spawn(async move {
        if strict {
            kitchen.make_soup_or_fail().await
        } else {
            kitchen.make_soup().await
        }
    });
    if let Some(delay) = cancel_after {
        tokio::time::sleep(delay).await;
        order.cancel();
    }
    order.await
}
