"""Stored times: :func:`bot.core.clock.to_iso` gives the text it always gave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.clock import from_iso, to_iso

OLD_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

zones = st.one_of(
    st.just(UTC),
    st.builds(
        timezone,
        st.timedeltas(
            min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
        ),
    ),
)


def reference(moment: datetime) -> str:
    """to_iso as it was written first: the stored text is fixed by it."""
    return moment.astimezone(UTC).strftime(OLD_FORMAT)


@given(st.datetimes(timezones=zones))
def test_stored_text_is_what_strftime_gave(moment: datetime) -> None:
    try:
        expected = reference(moment)
    except OverflowError:
        with pytest.raises(OverflowError):
            to_iso.__wrapped__(moment)
        return
    assert to_iso.__wrapped__(moment) == expected


@pytest.mark.parametrize("year", [1, 999, 1000, 2026, 9999])
def test_years_of_every_width_keep_their_text(year: int) -> None:
    moment = datetime(year, 6, 1, 12, 30, 5, tzinfo=UTC)
    assert to_iso(moment) == reference(moment)


def test_a_whole_second_keeps_its_microseconds_and_reads_back() -> None:
    moment = datetime(2026, 11, 30, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    assert to_iso(moment) == "2026-11-30T08:00:00.000000Z"
    assert from_iso(to_iso(moment)) == moment


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_iso(datetime(2026, 11, 30))
