"""``{% target_pledgers target_id as pledgers %}``: who has pledged to a target, for the
target's page. The page belongs to targets, which sits below pledges and so cannot call
pledges' selectors; the template asks for them through this tag instead."""

from __future__ import annotations

from typing import Any

from django import template

from kolaborasi.pledges.selectors import target_pledgers as _target_pledgers

register = template.Library()


@register.simple_tag
def target_pledgers(target_id: int) -> list[dict[str, Any]]:
    return _target_pledgers(target_id)
