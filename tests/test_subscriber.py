"""The core subscriber values: which end of a subscription outranks which."""

from __future__ import annotations

from itertools import pairwise

from syndication.subscriber import SubscriberStatus, ends_more_strongly


def test_a_stronger_end_replaces_a_weaker_one_never_the_other_way() -> None:
    """Complained > bounced > unsubscribed > active = pending: only a stronger status replaces the current one."""
    order = [SubscriberStatus.ACTIVE, SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED,
             SubscriberStatus.COMPLAINED]
    assert [True, True, True] == [ends_more_strongly(new, old) for old, new in pairwise(order)]
    assert [False, False, False] == [ends_more_strongly(old, new) for old, new in pairwise(order)]
    assert not ends_more_strongly(SubscriberStatus.ACTIVE, SubscriberStatus.PENDING)
