"""The dashboard never says "sent." for a post that went out without its photo: "Send now"
warns "sent without photo" with the reason, and the Queue and the appeal's card say so too.
Real X client against the fake X; the photo is a 404 on the charity's site."""

from __future__ import annotations

from bot.posts.manual import ManualPost, add_manual
from bot.web import create_app
from bot.web.users import add_user
from tests.factories import NOW
from tests.live_fakes import Live, image_site
from tests.web.signin import PASSWORD, login


def test_the_dashboard_says_sent_without_photo_not_sent(live: Live) -> None:
    db, settings = live.db, live.settings
    add_user(db, "alice", "comms", PASSWORD, NOW)
    app = create_app(settings, clock=lambda: NOW, testing=True, publishers=live.publishers)
    client = app.test_client()
    token = login(client, "alice")
    with image_site() as site:
        _, ids = add_manual(
            db,
            settings,
            ManualPost(
                kind="appeal",
                title="Sam Jones, 15, missing from Leeds",
                link="https://charity.example/appeals/sam",
                image_url=site + "/gone.png",  # a 404 on the charity's site
                image_alt="Sam smiling",
                platforms=("x",),
            ),
            NOW,
        )
        page = client.post(
            f"/posts/{ids[0]}/send", data={"csrf_token": token}, follow_redirects=True
        ).get_data(as_text=True)

    assert f"Post {ids[0]} sent without photo" in page
    assert "gone.png could not be fetched (404)" in page
    assert f"Post {ids[0]} sent." not in page
    queue = client.get("/queue?show=all").get_data(as_text=True)
    assert "Sent without photo" in queue or "sent without photo" in queue
    appeals = client.get("/appeals").get_data(as_text=True)
    assert "sent without photo" in appeals
    (stored,) = live.x.posts.values()
    assert stored["media_ids"] == []
