"""UTM parameters go on the charity's own links only, and the planner uses them in text and link."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.core.settings import Settings
from bot.posts.planner import plan_posts
from bot.posts.tracking import http_hostname, is_own_link, own_domains, tracked_link
from tests.factories import NOW, make_item, make_settings

FEEDS = {
    "APPEALS_FEED_URL": "https://www.charity.example/appeals/feed.xml",
    "NEWS_FEED_URL": "https://news.charity.example/feed.atom,file:///tmp/local.xml",
}


def settings_for(tmp_path: Path, **env: str) -> Settings:
    return make_settings(tmp_path, **{**FEEDS, **env})


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_own_domains_default_to_the_feed_hosts(tmp_path: Path) -> None:
    assert own_domains(settings_for(tmp_path)) == ("charity.example", "news.charity.example")
    chosen = settings_for(tmp_path, TRACKING_DOMAINS="Appeals.Example.org, https://www.other.org/")
    assert own_domains(chosen) == ("appeals.example.org", "other.org")
    # Remembered for the last settings asked about only: each settings keep their own hosts.
    assert own_domains(settings_for(tmp_path)) == ("charity.example", "news.charity.example")
    assert own_domains(chosen) == ("appeals.example.org", "other.org")


def test_own_link_gets_source_medium_and_campaign(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    url = tracked_link("https://charity.example/appeals/42", "x", "42", settings)
    assert url == (
        "https://charity.example/appeals/42?utm_source=x&utm_medium=social&utm_campaign=appeal-42"
    )
    fb = tracked_link("https://www.charity.example/appeals/42", "facebook", "42", settings)
    assert query(fb)["utm_source"] == ["facebook"]


def test_existing_query_and_fragment_are_kept_as_written(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    url = "https://charity.example/a?id=7&q=a%20b&flag#photo"
    tracked = tracked_link(url, "x", "item-7", settings)
    assert tracked.startswith("https://charity.example/a?id=7&q=a%20b&flag&utm_source=x")
    assert tracked.endswith("&utm_campaign=appeal-item-7#photo")


def test_existing_utm_parameters_are_replaced_not_doubled(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    url = "https://charity.example/a?utm_source=rss&page=2&utm_campaign=feed"
    tracked = tracked_link(url, "facebook", "9", settings)
    assert query(tracked) == {
        "page": ["2"],
        "utm_source": ["facebook"],
        "utm_medium": ["social"],
        "utm_campaign": ["appeal-9"],
    }
    assert tracked_link(tracked, "facebook", "9", settings) == tracked


def test_other_sites_and_lookalikes_are_left_alone(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    for url in (
        "https://www.police.example/appeal/1",
        "https://charity.example.evil.test/appeals/1",
        "https://notcharity.example/appeals/1",
        "mailto:help@charity.example",
        "ftp://charity.example/file",
    ):
        assert tracked_link(url, "x", "1", settings) == url


def test_subdomain_of_an_own_domain_is_tracked(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    url = tracked_link("https://shop.charity.example/give", "x", "1", settings)
    assert query(url)["utm_source"] == ["x"]


def test_tracking_off_and_template_settings(tmp_path: Path) -> None:
    off = settings_for(tmp_path, TRACKING="0")
    assert tracked_link("https://charity.example/a", "x", "1", off) == "https://charity.example/a"
    custom = settings_for(tmp_path, UTM_MEDIUM="organic", UTM_CAMPAIGN="missing {id} 2026")
    url = tracked_link("https://charity.example/a", "x", "sha256:ab/c", custom)
    assert query(url)["utm_medium"] == ["organic"]
    assert query(url)["utm_campaign"] == ["missing sha256:ab/c 2026"]
    assert " " not in url


def test_no_feed_and_no_domains_tracks_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    url = "https://charity.example/a"
    assert tracked_link(url, "x", "1", settings) == url


def test_planner_puts_the_tracked_link_in_the_text_and_the_post(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, TRACKING_DOMAINS="charity.example")
    own = make_item(3, link="https://charity.example/appeals/3")
    by_platform = {p.platform: p for p in plan_posts(own, settings, NOW)}
    for platform, post in by_platform.items():
        expected = tracked_link("https://charity.example/appeals/3", platform, "item-3", settings)
        assert post.link == expected
        assert expected in post.text
        assert f"utm_source={platform}" in post.text
    other = make_item(4, link="https://www.police.example/appeal/4")
    for post in plan_posts(other, settings, NOW):
        assert post.link == "https://www.police.example/appeal/4"
        assert "utm_" not in post.text


@given(
    path=st.text(alphabet="abcxyz/-_", max_size=20),
    params=st.lists(
        st.tuples(
            st.sampled_from(["a", "id", "utm_source", "utm_term"]), st.text("xyz09", max_size=4)
        ),
        max_size=4,
    ),
)
def test_tracking_keeps_other_params_and_is_idempotent(
    path: str, params: list[tuple[str, str]]
) -> None:
    settings = make_settings(Path("/tmp"), TRACKING_DOMAINS="charity.example")
    query_text = "&".join(f"{k}={v}" for k, v in params)
    url = f"https://charity.example/{path}" + (f"?{query_text}" if query_text else "")
    once = tracked_link(url, "x", "5", settings)
    assert tracked_link(once, "x", "5", settings) == once
    kept = [f"{k}={v}" for k, v in params if k != "utm_source"]
    assert urlsplit(once).query.split("&")[: len(kept)] == kept
    assert query(once)["utm_source"] == ["x"]


def test_a_very_long_feed_id_never_leaves_a_post_empty(tmp_path: Path) -> None:
    # A 5,000-character guid went into utm_campaign, the link passed X's 4,096-character URL
    # limit, and the X post was queued with no text at all (X refused it).
    settings = settings_for(tmp_path, TRACKING_DOMAINS="charity.org.uk")
    item = make_item(7, id="g" * 5000, link="https://charity.org.uk/appeals/7")
    for post in plan_posts(item, settings, NOW):
        assert post.text.strip(), post.platform
        assert "Person 7" in post.text
        campaign = parse_qs(urlsplit(post.link or "").query).get("utm_campaign", [""])[0]
        assert len(campaign) <= len(settings.utm_campaign) + 64


def test_two_long_ids_keep_different_campaigns(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, TRACKING_DOMAINS="charity.org.uk")
    links = {
        tracked_link("https://charity.org.uk/a", "x", "a" * 100 + suffix, settings)
        for suffix in ("1", "2")
    }
    assert len(links) == 2


def test_a_link_too_long_for_x_sends_the_words_without_it(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    item = make_item(8, link="https://charity.org.uk/a?" + "q" * 5000)
    (x_post,) = [p for p in plan_posts(item, settings, NOW) if p.platform == "x"]
    assert "Person 8" in x_post.text and x_post.link is None


def _hostname_by_urlsplit(url: str) -> str | None:
    """What is_own_link read before the plain-URL shortcut: urlsplit for every link."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return parts.hostname or None


_URL_PIECES = st.lists(
    st.sampled_from(["http", "HTTPS", "ftp", "://", ":", "//", "/", "Charity.Example", "www.",
                     "a-b.org.uk", "host.", ":8080", ":", "@", "user:pw@", "[::1]", "[bad", "?q=1",
                     "#f", " ", "\t", "\n", "é", "%41", "..", "x"]),
    max_size=8,
).map("".join)  # fmt: skip


_SHAPED_URLS = st.tuples(
    st.sampled_from(["http", "https", "HTTP", "hTTps", "ftp", "http "]),
    st.text(st.sampled_from("aB.-0é_@[]:"), max_size=6),
    st.sampled_from(["", ":", ":80", ":x", ":8 0"]),
    st.sampled_from(["", "/", "?", "#", "/p", " ", "\t", "\\", ";"]),
).map(lambda parts: f"{parts[0]}://{''.join(parts[1:])}")


@settings(max_examples=500)
@given(_URL_PIECES | _SHAPED_URLS | st.text(max_size=40))
def test_plain_url_host_is_what_urlsplit_reads(url: str) -> None:
    assert http_hostname(url) == _hostname_by_urlsplit(url)


_HOSTS = st.lists(st.sampled_from(["charity", "org", "uk", "www", "a", "xcharity", "-", "."]),
                  max_size=4).map(".".join)  # fmt: skip


# A host with a tab, line break or space put in somewhere (urllib reads past some of them).
_BROKEN_HOSTS = st.builds(
    lambda host, at, char: host[:at] + char + host[at:],
    st.sampled_from(["charity.org", "www.Charity.org", "a.charity.org", "charity.org."]),
    st.integers(0, 14),
    st.sampled_from(["\t", "\n", "\r", " ", "\x00", "\x7f"]),
)


@settings(max_examples=500)
@given(
    host=_HOSTS | _URL_PIECES | _BROKEN_HOSTS,
    scheme=st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", " https://", ""]),
    domains=st.lists(
        _HOSTS | st.sampled_from(["charity.org", "bücher.de", "a-b.org.uk"]), max_size=3
    ).map(tuple),
)
@example(host="char\tity.org", scheme="https://", domains=("charity.org",))
def test_own_links_are_the_domains_and_their_subdomains(
    host: str, scheme: str, domains: tuple[str, ...]
) -> None:
    # Hosts as written, cased, with tabs, line breaks and spaces (urllib drops some of them).
    url = f"{scheme}{host}/appeal"
    hostname = _hostname_by_urlsplit(url)
    bare = hostname.lower().rstrip(".") if hostname else ""
    bare = bare[4:] if bare.startswith("www.") else bare
    # As the check read before it took the domains' suffixes at once.
    expected = bool(hostname) and any(bare == d or bare.endswith("." + d) for d in domains)
    assert is_own_link(url, domains) == expected
