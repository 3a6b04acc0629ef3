"""Each fast path of feed parsing against the slower code it stands in for."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.feeds import boilerplate

# Clue words whole, cut and in other cases, beside the non-ASCII characters that case-blind
# matching folds onto ASCII letters (the kelvin sign, the long s, dotted and dotless i).
_CLUE_PIECES = st.lists(
    st.sampled_from(
        [*boilerplate._CLUE_WORDS, "READ", "Share", "PoSt", "rea", "shar", "lik", "\u212a",
         "\u017f", "\u0130", "\u0131", "é", "…", " ", "x", ".", "]"]
    ),
    max_size=12,
).map("".join)  # fmt: skip


@given(_CLUE_PIECES | st.text(max_size=40))
def test_clue_test_answers_as_the_regex(text: str) -> None:
    assert boilerplate._has_clue(text) == (boilerplate._CLUE.search(text) is not None)
