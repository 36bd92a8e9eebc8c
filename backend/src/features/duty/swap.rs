//! The swap transitions (pure): who may take which step from which state, and to which state.

use crate::schema::duty::SwapStatus;

/// One step of a swap; the audit action is `swap.<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapAction {
    /// The person asked takes the shift (then the office approves).
    Accept,
    /// The person asked refuses.
    Decline,
    /// The requester withdraws.
    Cancel,
    /// The office approves an accepted swap: the shift passes to the other person.
    Approve,
    /// The office refuses.
    Reject,
}

impl SwapAction {
    pub fn name(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Decline => "decline",
            Self::Cancel => "cancel",
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }

    /// The states it may start from, and the state it leads to.
    fn edge(self) -> (&'static [SwapStatus], SwapStatus) {
        use SwapStatus::*;
        match self {
            Self::Accept => (&[Requested], Accepted),
            Self::Decline => (&[Requested], Declined),
            Self::Cancel => (&[Requested, Accepted], Cancelled),
            Self::Approve => (&[Accepted], Approved),
            Self::Reject => (&[Requested, Accepted], Rejected),
        }
    }

    /// Whether the step is the other person's answer (stamps `responded_at`) or the office's
    /// decision (stamps `decided_at`, `decided_by` and the comment).
    pub fn is_decision(self) -> bool {
        matches!(self, Self::Approve | Self::Reject)
    }

    pub fn is_response(self) -> bool {
        matches!(self, Self::Accept | Self::Decline)
    }
}

/// How the person acting stands to the swap.
#[derive(Debug, Clone, Copy, Default)]
pub struct Standing {
    pub requester: bool,
    pub target: bool,
    pub office: bool,
    pub principal: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not theirs to see: answered as if it did not exist.
    Hidden,
    /// They see it but may not take this step.
    NotAllowed,
    /// The swap is not in a state this step starts from.
    WrongState,
}

/// The state `action` leads to from `status` when taken by someone of `standing`.
pub fn step(
    action: SwapAction,
    status: SwapStatus,
    standing: Standing,
) -> Result<SwapStatus, Refusal> {
    let involved = standing.requester || standing.target;
    if !standing.office && !involved && !standing.principal {
        return Err(Refusal::Hidden);
    }
    let allowed = match action {
        SwapAction::Accept | SwapAction::Decline => standing.target,
        SwapAction::Cancel => standing.requester,
        SwapAction::Approve | SwapAction::Reject => standing.office,
    };
    if !allowed {
        return Err(Refusal::NotAllowed);
    }
    let (from, to) = action.edge();
    if from.contains(&status) {
        Ok(to)
    } else {
        Err(Refusal::WrongState)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SwapStatus::*;

    const TARGET: Standing = Standing {
        requester: false,
        target: true,
        office: false,
        principal: false,
    };
    const REQUESTER: Standing = Standing {
        requester: true,
        target: false,
        office: false,
        principal: false,
    };
    const OFFICE: Standing = Standing {
        requester: false,
        target: false,
        office: true,
        principal: false,
    };
    const PRINCIPAL: Standing = Standing {
        requester: false,
        target: false,
        office: false,
        principal: true,
    };

    #[test]
    fn the_happy_path_is_request_accept_approve() {
        assert_eq!(step(SwapAction::Accept, Requested, TARGET), Ok(Accepted));
        assert_eq!(step(SwapAction::Approve, Accepted, OFFICE), Ok(Approved));
    }

    #[test]
    fn each_step_belongs_to_one_party() {
        assert_eq!(
            step(SwapAction::Accept, Requested, REQUESTER),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            step(SwapAction::Cancel, Requested, TARGET),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            step(SwapAction::Approve, Accepted, PRINCIPAL),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            step(SwapAction::Approve, Accepted, TARGET),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            step(SwapAction::Accept, Requested, Standing::default()),
            Err(Refusal::Hidden)
        );
    }

    #[test]
    fn finished_swaps_take_no_more_steps() {
        for done in [Declined, Rejected, Cancelled, Approved] {
            assert_eq!(
                step(SwapAction::Cancel, done, REQUESTER),
                Err(Refusal::WrongState)
            );
            assert_eq!(
                step(SwapAction::Reject, done, OFFICE),
                Err(Refusal::WrongState)
            );
        }
        assert_eq!(
            step(SwapAction::Approve, Requested, OFFICE),
            Err(Refusal::WrongState)
        );
        assert_eq!(
            step(SwapAction::Decline, Accepted, TARGET),
            Err(Refusal::WrongState)
        );
        assert_eq!(step(SwapAction::Cancel, Accepted, REQUESTER), Ok(Cancelled));
        assert_eq!(step(SwapAction::Reject, Requested, OFFICE), Ok(Rejected));
    }
}
