//! Fuel and deadline of one call: wasmi has no interrupt, so a call with a timeout runs in
//! fuel slices and the clock is read between them.

use std::time::Instant;

use wasiport::{CallLimits, Error, Termination};
use wasmi::{Func, ResumableCall, Store, Val};

use crate::termination::classify;
use crate::{internal, State};

/// Fuel granted at a time when a timeout is set: between two grants the deadline is checked.
/// Roughly a millisecond of interpretation.
const FUEL_SLICE: u64 = 1_000_000;

/// The fuel budget of one call (or one run) and what of it the store was given.
pub(crate) struct Meter {
    budget: u64,
    slice: u64,
    /// Fuel handed to the store so far; consumed = granted - what the store has left.
    granted: u64,
    deadline: Option<Instant>,
}

impl Meter {
    /// Arms `store` for a call within `limits`: its first slice of fuel, and the deadline.
    pub(crate) fn start(store: &mut Store<State>, limits: CallLimits) -> Result<Self, Error> {
        let budget = limits.fuel.unwrap_or(u64::MAX);
        let slice = if limits.timeout.is_some() {
            FUEL_SLICE.min(budget)
        } else {
            budget
        };
        store.set_fuel(slice).map_err(internal)?;
        Ok(Meter {
            budget,
            slice,
            granted: slice,
            deadline: limits.timeout.map(|t| Instant::now() + t),
        })
    }

    /// The fuel used since [`Meter::start`].
    pub(crate) fn consumed(&self, store: &Store<State>) -> Result<u64, Error> {
        Ok(self.granted - store.get_fuel().map_err(internal)?)
    }

    /// Calls `func` with `params` into `results`: `None` when it returned, else how the
    /// guest ended (an exit is `Exited`, fuel run out `OutOfFuel`, the deadline `Timeout`).
    pub(crate) fn call(
        &mut self,
        store: &mut Store<State>,
        func: Func,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<Option<Termination>, Error> {
        // Without a deadline the whole budget is granted at once: a plain call, which ends in
        // an out-of-fuel trap when it runs out.
        if self.deadline.is_none() {
            return Ok(func
                .call(&mut *store, params, results)
                .err()
                .map(|e| classify(&e)));
        }
        let mut call = func.call_resumable(&mut *store, params, results);
        loop {
            match call {
                Ok(ResumableCall::Finished) => return Ok(None),
                Ok(ResumableCall::HostTrap(host)) => return Ok(Some(classify(host.host_error()))),
                Ok(ResumableCall::OutOfFuel(paused)) => {
                    let consumed = self.consumed(store)?;
                    let left = self.budget - consumed;
                    if left < paused.required_fuel() {
                        return Ok(Some(Termination::OutOfFuel));
                    }
                    if self.deadline.is_some_and(|d| Instant::now() >= d) {
                        return Ok(Some(Termination::Timeout));
                    }
                    let grant = self.slice.min(left).max(paused.required_fuel());
                    store.set_fuel(grant).map_err(internal)?;
                    self.granted = consumed + grant;
                    call = paused.resume(&mut *store, results);
                }
                Err(error) => return Ok(Some(classify(&error))),
            }
        }
    }
}
