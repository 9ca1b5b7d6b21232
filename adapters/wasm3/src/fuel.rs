//! Fuel and a timeout for wasm3, which has neither: the module counts its own fuel
//! ([`wasiport::rewrite::meter`] with [`Metering::Refuel`](wasiport::rewrite::Metering::Refuel))
//! and calls the host's `refuel` whenever its counter is below zero. The host hands the budget
//! out a slice at a time and, between slices, ends the run once the budget is spent or the
//! deadline has passed, on the guest's own thread: nothing touches the running guest from
//! outside.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use wasiport::rewrite::REFUEL_IMPORT;
use wasiport::{HostError, HostFunction, HostValue, Signature, Termination, ValType};

/// The fuel handed out at a time: a tight loop spends it in under a millisecond of wasm3 on
/// this machine (100 M units took 0.96 s in a debug build), so a guest overruns its deadline by
/// about that much; a refuel (a host call, a lock, a clock read) costs far less than the slice.
pub(crate) const SLICE: i64 = 1 << 16;

/// One metered run's account.
#[derive(Debug)]
struct Account {
    /// The run's budget (`i64::MAX` for a run with only a timeout).
    budget: i64,
    deadline: Option<Instant>,
    /// All the fuel handed out so far: the guest's counter counts down from here.
    granted: i64,
    /// Why the host ended the run, once it has.
    ended: Option<Termination>,
}

impl Account {
    fn new(fuel: Option<u64>, deadline: Option<Instant>) -> Self {
        Account {
            budget: fuel.map_or(i64::MAX, |f| f.min(i64::MAX as u64) as i64),
            deadline,
            granted: 0,
            ended: None,
        }
    }
}

/// The fuel account of one run, shared by its `refuel` function and the backend.
#[derive(Debug, Clone)]
pub(crate) struct Meter(Arc<Mutex<Account>>);

impl Meter {
    /// A run with `fuel` units (or no fuel limit) that must end by `deadline` (or whenever).
    pub fn new(fuel: Option<u64>, deadline: Option<Instant>) -> Self {
        Meter(Arc::new(Mutex::new(Account::new(fuel, deadline))))
    }

    /// Starts the account again for a call of an instance: `fuel` units (or no fuel limit) by
    /// `deadline` (or whenever), nothing handed out yet.
    pub fn rearm(&self, fuel: Option<u64>, deadline: Option<Instant>) {
        *self.account() = Account::new(fuel, deadline);
    }

    fn account(&self) -> std::sync::MutexGuard<'_, Account> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The import the metered module calls: given its counter (below zero), the counter to go
    /// on with, or an error that ends the run, with the reason kept for [`Meter::ended`].
    pub fn refuel_function(&self) -> Result<HostFunction, wasiport::Error> {
        let meter = self.clone();
        let (module, name) = REFUEL_IMPORT;
        HostFunction::new(
            module,
            name,
            Signature::new([ValType::I64], [ValType::I64]),
            move |_, args| {
                let counter = args.first().and_then(HostValue::as_i64).unwrap_or(-1);
                meter.refuel(counter).map(|next| vec![HostValue::I64(next)])
            },
        )
    }

    fn refuel(&self, counter: i64) -> Result<i64, HostError> {
        let mut account = self.account();
        let consumed = i128::from(account.granted) - i128::from(counter);
        let left = i128::from(account.budget) - consumed;
        let ended = if left < 0 {
            Termination::OutOfFuel
        } else if account.deadline.is_some_and(|d| Instant::now() >= d) {
            Termination::Timeout
        } else {
            let next = left.min(i128::from(SLICE)) as i64;
            account.granted = (consumed + i128::from(next)) as i64;
            return Ok(next);
        };
        let message = format!("wasiport ended the run: {ended}");
        account.ended = Some(ended);
        Err(HostError::new(message))
    }

    /// Why the host ended the run, if it did.
    pub fn ended(&self) -> Option<Termination> {
        self.account().ended.clone()
    }

    /// The fuel consumed by a run whose counter ended at `counter`: all of the budget for a run
    /// that ran out.
    pub fn consumed(&self, counter: i64) -> u64 {
        let account = self.account();
        if account.ended == Some(Termination::OutOfFuel) {
            return account.budget as u64;
        }
        (i128::from(account.granted) - i128::from(counter)).clamp(0, i128::from(i64::MAX)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_handed_out_in_slices_and_refused_once_spent() {
        let meter = Meter::new(Some(SLICE as u64 + 10), None);
        // The first charge of 3 finds nothing granted.
        assert_eq!(meter.refuel(-3), Ok(SLICE));
        // A slice spent, 5 over: 3 + SLICE + 5 consumed, 2 left.
        assert_eq!(meter.refuel(-5), Ok(2));
        assert_eq!(meter.consumed(1), SLICE as u64 + 9);
        assert!(meter.refuel(-2).is_err());
        assert_eq!(meter.ended(), Some(Termination::OutOfFuel));
        assert_eq!(meter.consumed(-2), SLICE as u64 + 10);
    }

    #[test]
    fn a_passed_deadline_ends_the_run_at_the_next_slice() {
        let meter = Meter::new(None, Some(Instant::now()));
        assert!(meter.refuel(-1).is_err());
        assert_eq!(meter.ended(), Some(Termination::Timeout));
    }
}
