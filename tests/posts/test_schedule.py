"""The schedule planner (pure): examples of each rule, then properties over any input."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.posts.schedule import (
    DAY,
    Placement,
    PlatformState,
    Rules,
    Waiting,
    may_be_due,
    plan,
    slot_key,
    slot_times,
)
from tests.posts.schedule_reference import reference_plan

LONDON = ZoneInfo("Europe/London")
# 08:00 in London on the Saturday before the clocks go forward (29 March 2026, 01:00 UTC).
NOW = datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
RULES = Rules(
    slots=(time(9, 0), time(18, 30)),
    zone=LONDON,
    per_slot=2,
    daily_limits={"x": 10, "facebook": 10},
    urgent_share=0.2,
    catch_up=timedelta(minutes=60),
)


def waiting(post_id: int, priority: int = 1, **fields: object) -> Waiting:
    values: dict[str, object] = {
        "id": post_id,
        "platform": "x",
        "target": "",
        "priority": priority,
        "ready_at": NOW,
    }
    values.update(fields)
    return Waiting(**values)  # type: ignore[arg-type]


def local(placement: Placement) -> str:
    assert placement.at is not None, placement.note
    return placement.at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def test_posts_take_the_next_slot_with_room_in_priority_order() -> None:
    posts = [waiting(1, priority=2), waiting(2), waiting(3), waiting(4, priority=2)]
    placed = plan(posts, {}, RULES, NOW)
    assert {i: local(placed[i]) for i in placed} == {
        2: "2026-03-28 09:00",
        3: "2026-03-28 09:00",
        1: "2026-03-28 18:30",
        4: "2026-03-28 18:30",
    }
    assert placed[2].slot == "2026-03-28T09:00" and placed[2].how == "slot"


def test_slots_keep_their_wall_clock_time_across_the_change_to_summer_time() -> None:
    posts = [waiting(i) for i in range(6)]
    placed = sorted(local(p) for p in plan(posts, {}, RULES, NOW).values())
    # Sunday 09:00 is BST, 08:00 UTC: the slot follows the clock on the wall.
    assert placed[4:] == ["2026-03-29 09:00", "2026-03-29 09:00"]
    sunday = [p for p in plan(posts, {}, RULES, NOW).values() if p.slot == "2026-03-29T09:00"]
    assert sunday[0].at == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)


def test_each_page_has_its_own_room_in_a_slot() -> None:
    posts = [waiting(i, platform="facebook", target=t) for i, t in enumerate(["", "", "p", "p"])]
    assert {local(p) for p in plan(posts, {}, RULES, NOW).values()} == {"2026-03-28 09:00"}


def test_urgent_goes_at_once_and_a_pin_at_its_minute() -> None:
    pin = NOW + timedelta(minutes=9)
    placed = plan([waiting(1, priority=0), waiting(2, pinned_at=pin)], {}, RULES, NOW)
    assert (placed[1].at, placed[1].how) == (NOW, "urgent")
    assert (placed[2].at, placed[2].how) == (pin, "pinned")


def test_a_pin_over_the_limit_takes_the_next_slot_and_says_why() -> None:
    full = PlatformState(sent_times=(NOW - timedelta(hours=1),) * 8)  # 8 of 10: normal share used
    pin = NOW + timedelta(minutes=30)
    placed = plan([waiting(1, pinned_at=pin)], {"x": full}, RULES, NOW)[1]
    assert placed.how == "slot" and "not kept" in placed.note and "8 of 10" in placed.note
    assert local(placed) == "2026-03-29 09:00"


def test_drafts_and_paused_platforms_have_no_time_and_say_why() -> None:
    placed = plan(
        [waiting(1, draft=True), waiting(2, platform="facebook")],
        {"facebook": PlatformState(paused="token expired")},
        RULES,
        NOW,
    )
    assert placed[1].at is None and placed[1].note == "waits for approval"
    assert placed[2].at is None and "paused: token expired" in placed[2].note


def test_a_slot_cut_short_is_caught_up_within_the_window_then_the_next_slot() -> None:
    nine = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    state = PlatformState(sent_times=(nine,), slot_used={("2026-03-28T09:00", ""): 1})
    posts = [waiting(1), waiting(2)]
    soon = plan(posts, {"x": state}, RULES, nine + timedelta(minutes=20))
    assert [soon[1].at, soon[1].slot] == [nine + timedelta(minutes=20), "2026-03-28T09:00"]
    assert local(soon[2]) == "2026-03-28 18:30"  # the slot had room for one more only
    late = plan(posts, {"x": state}, RULES, nine + timedelta(minutes=61))
    assert {local(p) for p in late.values()} == {"2026-03-28 18:30"}


def test_a_rate_limit_hold_and_a_retry_time_are_waited_for() -> None:
    nine = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    held = PlatformState(hold_until=nine + timedelta(minutes=10))
    retry = nine + timedelta(minutes=75)  # past the 60-minute catch-up: the evening slot
    placed = plan([waiting(1), waiting(2, retry_at=retry)], {"x": held}, RULES, NOW)
    assert placed[1].at == nine + timedelta(minutes=10) and placed[1].slot == "2026-03-28T09:00"
    assert local(placed[2]) == "2026-03-28 18:30"


def test_an_urgent_appeal_over_the_daily_limit_goes_when_the_day_frees_up() -> None:
    sent = tuple(NOW - timedelta(hours=23, minutes=m) for m in range(10))  # 10 of 10
    placed = plan([waiting(1, priority=0)], {"x": PlatformState(sent_times=sent)}, RULES, NOW)
    # The oldest went out 23 h 09 min ago: the day has room again 51 min (and a second) from now.
    assert placed[1].at == NOW + timedelta(minutes=51, seconds=1) and placed[1].how == "urgent"


def test_slot_times_across_a_dst_change_are_unique_and_in_order() -> None:
    autumn = datetime(2026, 10, 24, tzinfo=UTC)
    rules = Rules((time(1, 30), time(9, 0)), LONDON, 1, {"x": 1}, 0.2, timedelta(minutes=60))
    times = slot_times(rules, autumn, autumn + timedelta(days=3))
    assert times == sorted(set(times)) and len(times) == 6
    assert [slot_key(t, LONDON)[-5:] for t in times] == ["01:30", "09:00"] * 3


# --- properties ------------------------------------------------------------------------------

# Times in minutes from now: a few shared values make posts compete for the same slot.
MINUTES = st.one_of(
    st.sampled_from([-3000, -600, -61, -5, 0, 5, 59, 600, 1500]),
    st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60),
)
RARELY = st.sampled_from([False, False, False, False, True])
posts_strategy = st.lists(
    st.tuples(
        st.sampled_from(["x", "facebook"]),
        st.sampled_from(["", "north"]),
        st.integers(0, 2),
        MINUTES,
        RARELY,  # draft
        st.one_of(st.none(), st.none(), MINUTES),  # retry
        st.one_of(st.none(), st.none(), MINUTES),  # pin
    ),
    max_size=60,
)
rules_strategy = st.builds(
    lambda slots, per_slot, x, fb, share, catch_up: Rules(
        tuple(time(h, m) for h, m in slots),
        LONDON,
        per_slot,
        {"x": x, "facebook": fb},
        share,
        timedelta(minutes=catch_up),
    ),
    st.lists(
        st.tuples(st.integers(0, 23), st.sampled_from([0, 15, 30, 59])), min_size=1, max_size=4
    ),
    st.integers(1, 4),
    st.integers(0, 30),
    st.integers(0, 30),
    st.sampled_from([0.0, 0.2, 0.5, 1.0]),
    st.integers(0, 180),
)
state_strategy = st.builds(
    lambda sent, hold, paused: PlatformState(
        paused="token expired" if paused else None,
        hold_until=None if hold is None else NOW + timedelta(minutes=hold),
        sent_times=tuple(NOW - timedelta(minutes=m) for m in sent),
    ),
    st.lists(st.integers(0, 24 * 60 - 1), max_size=6),
    st.one_of(st.none(), st.integers(-60, 600)),
    RARELY,
)


def build(rows: list[tuple[str, str, int, int, bool, int | None, int | None]]) -> list[Waiting]:
    def at(minutes: int | None) -> datetime | None:
        return None if minutes is None else NOW + timedelta(minutes=minutes)

    return [
        Waiting(
            id=i,
            platform=platform,
            target=target,
            priority=priority,
            ready_at=NOW + timedelta(minutes=ready),
            draft=draft,
            retry_at=at(retry),
            pinned_at=at(pin),
        )
        for i, (platform, target, priority, ready, draft, retry, pin) in enumerate(rows)
    ]


@settings(max_examples=150, deadline=None)
@given(posts_strategy, rules_strategy, state_strategy, state_strategy, st.integers(0, 10**6))
def test_the_plan_respects_every_limit_and_is_deterministic(
    rows: list[tuple[str, str, int, int, bool, int | None, int | None]],
    rules: Rules,
    x_state: PlatformState,
    fb_state: PlatformState,
    seed: int,
) -> None:
    posts = build(rows)
    states = {"x": x_state, "facebook": fb_state}
    placed = plan(posts, states, rules, NOW)
    shuffled = posts[:]
    random.Random(seed).shuffle(shuffled)
    assert plan(shuffled, states, rules, NOW) == placed  # the same answer, whatever the order
    assert set(placed) == {post.id for post in posts}

    by_id = {post.id: post for post in posts}
    slot_count: Counter[tuple[str, str, str]] = Counter()
    for placement in placed.values():
        post, state = by_id[placement.post_id], states[placement.platform]
        if post.draft or state.paused:
            assert placement.at is None and placement.note
            continue
        if placement.at is None:
            continue
        # Never early: not before now, the platform's hold, the post's retry or its pin.
        assert placement.at >= NOW
        assert state.hold_until is None or placement.at >= state.hold_until
        assert post.retry_at is None or placement.at >= post.retry_at
        assert post.pinned_at is None or placement.at >= post.pinned_at
        if placement.how == "slot":
            assert placement.slot is not None
            slot = next(
                t
                for t in slot_times(rules, NOW - 2 * DAY, NOW + 70 * DAY)
                if slot_key(t, LONDON) == placement.slot
            )
            assert slot <= placement.at <= slot + rules.catch_up
            assert slot >= post.ready_at or post.pinned_at is not None
            slot_count[(placement.platform, post.target, placement.slot)] += 1
        elif placement.how == "urgent":
            assert post.priority == 0 and post.pinned_at is None
        else:
            # A pin is kept to the minute, unless a retry or a hold is later still.
            assert placement.how == "pinned" and post.pinned_at is not None
            floor = max(NOW, state.hold_until or NOW, post.retry_at or NOW)
            assert placement.at == max(post.pinned_at, floor)
    assert all(count <= rules.per_slot for count in slot_count.values())

    # Daily limits: each post placed finds fewer than its limit gone out in the 24 hours before.
    for platform, state in states.items():
        ours = sorted(
            (p for p in placed.values() if p.platform == platform and p.at is not None),
            key=lambda p: p.order,
        )
        assert [p.at for p in ours] == sorted(p.at for p in ours)  # type: ignore[type-var]
        history: list[datetime] = list(state.sent_times)
        for placement in ours:
            assert placement.at is not None
            urgent = by_id[placement.post_id].priority == 0
            limit = rules.daily_limit(platform) if urgent else rules.normal_limit(platform)
            window = [t for t in history if placement.at - DAY <= t <= placement.at]
            assert len(window) < limit
            history.append(placement.at)

    # Priority: a slotted post never takes a place a higher-ranked post could have had then.
    slot_at = {slot_key(t, LONDON): t for t in slot_times(rules, NOW - 2 * DAY, NOW + 70 * DAY)}
    for low in placed.values():
        if low.how != "slot" or low.at is None or by_id[low.post_id].pinned_at is not None:
            continue
        a, slot = by_id[low.post_id], slot_at[low.slot or ""]
        for high in placed.values():
            b = by_id[high.post_id]
            if (
                b.platform != a.platform
                or b.target != a.target
                or b.priority >= a.priority
                or b.pinned_at is not None
                or b.draft
                or (high.at is not None and high.at <= low.at)
            ):
                continue
            hold = states[b.platform].hold_until or NOW
            could_go = max(slot, NOW, hold, b.retry_at or NOW)
            assert not (b.ready_at <= slot and could_go == low.at), (low, high)


# Near now, so that a slot's window edge, a pin or a ready time often falls on it exactly.
NEAR = st.sampled_from([-120, -61, -60, -30, -1, 0, 1, 30])
near_posts = st.lists(
    st.tuples(
        st.sampled_from(["x", "facebook"]),
        st.just(""),
        st.integers(0, 2),
        NEAR,
        RARELY,
        st.one_of(st.none(), st.none(), NEAR),
        st.one_of(st.none(), st.none(), NEAR),
    ),
    max_size=5,
)
near_rules = st.builds(
    lambda slots, catch_up, limit: Rules(
        tuple(time(h, m) for h, m in slots),
        LONDON,
        1,
        {"x": limit, "facebook": 5},
        0.2,
        timedelta(minutes=catch_up),
    ),
    st.lists(st.tuples(st.sampled_from([5, 6, 7, 8]), st.sampled_from([0, 30, 59])), max_size=2),
    st.sampled_from([0, 1, 30, 60, 120]),
    st.sampled_from([0, 1, 5]),
)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(posts_strategy, near_posts),
    st.one_of(rules_strategy, near_rules),
    state_strategy,
    state_strategy,
)
def test_nothing_is_due_when_may_be_due_says_so(
    rows: list[tuple[str, str, int, int, bool, int | None, int | None]],
    rules: Rules,
    x_state: PlatformState,
    fb_state: PlatformState,
) -> None:
    posts = build(rows)
    states = {"x": x_state, "facebook": fb_state}
    placed = plan(posts, states, rules, NOW)
    due = [p for p in placed.values() if p.due(NOW)]
    # Given only the urgent and pinned posts, as the urgent check reads them.
    few = [p for p in posts if p.priority == 0 or p.pinned_at is not None]
    for known in (None, states):
        if not may_be_due(few, rules, NOW, platforms=known):
            assert due == []
        for minutes in (1, 30, 61):  # and within a window, as the photo check asks
            within = timedelta(minutes=minutes)
            if not may_be_due(few, rules, NOW, within, known):
                assert not any(p.due(NOW + within) for p in placed.values()), minutes
    assert all(p.at == NOW for p in due)  # nothing is ever placed before now


def test_may_be_due_only_in_a_slot_window_or_for_a_ready_urgent_or_pinned_post() -> None:
    quiet = NOW + timedelta(hours=3)  # 11:00 in London, two hours after the 09:00 slot's window
    assert not may_be_due([waiting(1), waiting(2, pinned_at=quiet + DAY)], RULES, quiet)
    assert may_be_due([waiting(1, priority=0)], RULES, quiet)
    assert not may_be_due([waiting(1, priority=0, draft=True)], RULES, quiet)
    assert not may_be_due([waiting(1, priority=0, ready_at=quiet + DAY)], RULES, quiet)
    assert may_be_due([waiting(1, pinned_at=quiet)], RULES, quiet)
    held = {"x": PlatformState(hold_until=quiet + timedelta(minutes=1))}
    assert not may_be_due([waiting(1, priority=0)], RULES, quiet, platforms=held)
    assert may_be_due([waiting(1, priority=0)], RULES, quiet, timedelta(minutes=1), held)
    assert not may_be_due([waiting(1, priority=0, retry_at=quiet + DAY)], RULES, quiet)
    paused = {"x": PlatformState(paused="token expired")}
    assert not may_be_due([waiting(1, pinned_at=quiet)], RULES, quiet, platforms=paused)
    # X's 10 a day are out, the oldest 23 hours ago: an urgent appeal waits an hour.
    day = tuple(quiet - timedelta(hours=23) + timedelta(minutes=n) for n in range(10))
    full = {"x": PlatformState(sent_times=day)}
    assert not may_be_due([waiting(1, priority=0)], RULES, quiet, platforms=full)
    assert not may_be_due([waiting(1, priority=0)], RULES, quiet, timedelta(minutes=59), full)
    assert may_be_due([waiting(1, priority=0)], RULES, quiet, timedelta(minutes=61), full)
    in_window = datetime(2026, 3, 28, 9, 59, tzinfo=UTC)  # 09:59 GMT, the 09:00 slot still open
    assert may_be_due([], RULES, in_window)
    assert not may_be_due([], RULES, in_window + timedelta(minutes=2))


def test_may_be_due_agrees_with_the_plan_at_every_edge_near_now() -> None:
    """Slots, pins and ready times a minute either side of each window's edges."""
    for catch_up in (0, 1, 60):
        for offset in range(-62, 33):
            moment = NOW + timedelta(minutes=offset)
            slot = moment.astimezone(LONDON).time()
            rules = Rules((slot,), LONDON, 1, {"x": 5}, 0.2, timedelta(minutes=catch_up))
            quiet = Rules((time(20, 0),), LONDON, 1, {"x": 5}, 0.2, timedelta(minutes=catch_up))
            cases = [
                (rules, [waiting(1, ready_at=moment - timedelta(minutes=1))], []),
                (quiet, [waiting(1, priority=0, ready_at=moment)], None),
                (quiet, [waiting(1, pinned_at=moment)], None),
            ]
            for case_rules, posts, few in cases:
                placed = plan(posts, {}, case_rules, NOW)
                given = posts if few is None else few
                for within in (timedelta(0), timedelta(minutes=1), timedelta(minutes=30)):
                    due = any(p.due(NOW + within) for p in placed.values())
                    expected = may_be_due(given, case_rules, NOW, within)
                    assert expected == due, (catch_up, offset, within, posts)


# Many posts ready at the same few moments, so lines form, move on when a slot fills and when
# a day's limit stops them, and urgent posts pinned in the past fall back into them.
crowd_strategy = st.lists(
    st.tuples(
        st.sampled_from(["x", "facebook"]),
        st.sampled_from(["", "north"]),
        st.sampled_from([0, 1, 1, 1, 2]),
        st.sampled_from([-3000, -600, -61, 0, 0, 0, 5]),
        RARELY,
        st.one_of(st.none(), st.none(), st.none(), st.sampled_from([-5, 0, 30, 700])),
        st.one_of(st.none(), st.none(), st.none(), st.sampled_from([-3000, -61, 0, 45])),
    ),
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(posts_strategy, crowd_strategy, near_posts),
    st.one_of(rules_strategy, near_rules),
    state_strategy,
    state_strategy,
)
def test_the_plan_is_exactly_the_one_post_at_a_time_reference(
    rows: list[tuple[str, str, int, int, bool, int | None, int | None]],
    rules: Rules,
    x_state: PlatformState,
    fb_state: PlatformState,
) -> None:
    """Posts waiting together for a slot move together (for speed): every placement, note and
    order must be what offering each post each slot on its own gives."""
    posts = build(rows)
    states = {"x": x_state, "facebook": fb_state}
    assert plan(posts, states, rules, NOW) == reference_plan(posts, states, rules, NOW)


def test_a_long_queue_behind_full_slots_and_a_daily_limit_matches_the_reference() -> None:
    rules = Rules(
        (time(9, 0), time(12, 30), time(18, 30)),
        LONDON,
        2,
        {"x": 17, "facebook": 5},
        0.3,
        timedelta(minutes=60),
    )
    posts = [
        waiting(
            n,
            priority=1 + n % 2,
            platform="x" if n % 3 else "facebook",
            target="" if n % 5 else "north",
            ready_at=NOW - timedelta(hours=n % 7),
        )
        for n in range(600)
    ] + [
        waiting(1000 + n, priority=0, pinned_at=NOW - DAY - timedelta(minutes=n)) for n in range(5)
    ]
    sent = tuple(NOW - timedelta(hours=h) for h in range(0, 24, 2))
    states = {"x": PlatformState(sent_times=sent), "facebook": PlatformState(sent_times=sent[:3])}
    placed = plan(posts, states, rules, NOW)
    assert placed == reference_plan(posts, states, rules, NOW)
    assert sum(p.at is not None for p in placed.values()) > 300  # most find a slot in 60 days


def test_two_slots_caught_up_at_once_send_now_not_in_the_past() -> None:
    """07:30 and 07:59 both still open at 08:00: a queue fills both, all at 08:00, none before."""
    rules = Rules((time(7, 30), time(7, 59)), LONDON, 1, {"x": 10}, 0.0, timedelta(minutes=60))
    posts = [waiting(n, ready_at=NOW - DAY) for n in range(4)]
    placed = plan(posts, {}, rules, NOW)
    assert placed == reference_plan(posts, {}, rules, NOW)
    going = sorted((p.slot, p.at) for p in placed.values() if p.at is not None and p.at <= NOW)
    assert going == [("2026-03-28T07:30", NOW), ("2026-03-28T07:59", NOW)]


# What the strategies above never make: slots already partly used (a slot cut short, then
# caught up), four pages, zones with other summer-time rules (a half-hour one too), a
# catch-up window as long as a day, and holds that end inside a slot's window.
ZONES = [ZoneInfo(name) for name in ("Europe/London", "America/New_York", "Australia/Lord_Howe")]
MOMENTS = [
    NOW,
    datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
    datetime(2026, 4, 4, 14, 59, 30, tzinfo=UTC),
]


@st.composite
def used_slots_case(
    draw: st.DrawFn,
) -> tuple[list[Waiting], dict[str, PlatformState], Rules, datetime]:
    zone, now = draw(st.sampled_from(ZONES)), draw(st.sampled_from(MOMENTS))
    # Slots a few minutes to an hour ago, so their windows are open now and partly used.
    recent = [
        (now - timedelta(minutes=ago)).astimezone(zone).time().replace(second=0)
        for ago in (0, 5, 29, 59, 61)
    ] * 3
    slots = draw(
        st.lists(
            st.sampled_from([time(h, m) for h in (1, 2, 9, 14, 23) for m in (0, 30)] + recent),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    rules = Rules(
        tuple(slots),
        zone,
        draw(st.sampled_from([1, 1, 2, 3])),
        {
            "x": draw(st.sampled_from([0, 1, 2, 10, 30])),
            "facebook": draw(st.sampled_from([1, 5, 30])),
        },
        draw(st.sampled_from([0.0, 0.34, 0.5])),
        timedelta(minutes=draw(st.sampled_from([1, 30, 60, 1440]))),
    )
    pages = ["", "north", "south", "east"]
    # Mostly ready already, so they compete for the slots open now.
    shared = draw(st.lists(st.integers(-3000, 300), min_size=1, max_size=4))
    minutes = st.one_of(st.sampled_from(shared), st.integers(-3000, 3000))

    def at(minutes: int) -> datetime:
        return now + timedelta(minutes=minutes)

    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["x", "facebook"]),
                st.sampled_from(pages),
                st.sampled_from([0, 1, 1, 2]),
                minutes,
                RARELY,
                st.one_of(st.none(), st.none(), minutes),
                st.one_of(st.none(), st.none(), st.none(), minutes),
            ),
            max_size=80,
        )
    )
    posts = [
        Waiting(
            i,
            platform,
            page,
            priority,
            at(ready),
            draft,
            None if retry is None else at(retry),
            None if pin is None else at(pin),
        )
        for i, (platform, page, priority, ready, draft, retry, pin) in enumerate(rows)
    ]
    open_keys = [slot_key(t, zone) for t in slot_times(rules, now - rules.catch_up, now)]
    states = {}
    for name in ("x", "facebook"):
        used = draw(
            st.dictionaries(
                st.tuples(st.sampled_from(open_keys or ["none"]), st.sampled_from(pages)),
                st.integers(1, 3),
                max_size=6,
            )
        )
        sent = draw(st.lists(st.integers(0, 24 * 60 - 1), max_size=3))
        hold = draw(st.one_of(st.none(), st.none(), st.none(), st.integers(-60, 120)))
        states[name] = PlatformState(
            hold_until=None if hold is None else at(hold),
            sent_times=tuple(now - timedelta(minutes=m) for m in sent),
            slot_used=used,
        )
    return posts, states, rules, now


@settings(max_examples=60, deadline=None)
@given(used_slots_case())
def test_slots_partly_used_many_pages_and_other_zones_match_the_reference_and_may_be_due(
    case: tuple[list[Waiting], dict[str, PlatformState], Rules, datetime],
) -> None:
    posts, states, rules, now = case
    placed = plan(posts, states, rules, now)
    assert placed == reference_plan(posts, states, rules, now)
    few = [p for p in posts if p.priority == 0 or p.pinned_at is not None]
    for within in (timedelta(0), timedelta(minutes=30)):
        if not may_be_due(few, rules, now, within, states):
            assert not any(p.due(now + within) for p in placed.values())
