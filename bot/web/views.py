"""The dashboard's pages. Each view reads the request, calls the library, renders a template.

Access rules (sign-in, CSRF, roles) are enforced before any view runs, in :mod:`bot.web.app`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from bot.appeals.lifecycle import close_appeal
from bot.appeals.overview import (
    STATES,
    AppealQuery,
    find_appeals,
    get_card,
    known_regions,
)
from bot.appeals.withdrawal import process_deletions
from bot.core import events
from bot.core.clock import parse_since
from bot.core.display import plural
from bot.core.errors import AppealBotError, NotFound
from bot.core.settings import KNOWN_PLATFORMS, Settings
from bot.posts.facts import FACT_KEYS
from bot.posts.manual import ManualPost, add_manual, add_warnings
from bot.posts.queue import get_item, get_post, transition
from bot.posts.regions import configured_regions
from bot.posts.schedule import iso_local
from bot.posts.search import OPEN_STATUSES, PostQuery, find_posts
from bot.posts.states import PostStatus
from bot.sending.plan import current_plan, goes_out, planned_lines
from bot.sending.publishing import SENT_WITHOUT_PHOTO
from bot.sending.week import week
from bot.shares.totals import ranked_appeals, shares_of, shares_per_appeal
from bot.status import gather_status
from bot.web import actions
from bot.web.charts import bar_chart
from bot.web.context import current_user, get_db
from bot.web.preview import preview
from bot.web.sessions import purge_expired
from bot.web.throttle import LoginThrottle
from bot.web.users import authenticate
from bot.web.words import platform_name

auth = Blueprint("auth", __name__)
pages = Blueprint("pages", __name__)

POST_STATUSES = tuple(str(s) for s in PostStatus)
LOG_PAGE_SIZE = 50
SHARES_PAGE_SIZE = 30  # the bar chart shows the page: 30 bars still read at a glance


@dataclass(frozen=True)
class Paged:
    """Where a paged list is: its rows' count, this page (from 1) and how many pages."""

    total: int
    page: int
    pages: int


LOG_OUTCOMES = (
    "sent", "failed", "retry", "paused", "cancelled", "deleted", "duplicate", "queued",
    "edited", "missed", "error", "pending", "resumed",
)  # fmt: skip


def _ctx() -> dict[str, Any]:
    ctx: dict[str, Any] = current_app.extensions["appeal_bot"]
    return ctx


def _settings() -> Settings:
    settings: Settings = _ctx()["settings"]
    return settings


def _now() -> datetime:
    now: datetime = _ctx()["clock"]()
    return now


def _user_name() -> str:
    user = current_user()
    return user.name if user else "?"


def _parse_local(text: str) -> datetime:
    """A ``datetime-local`` field's value, read in TIMEZONE."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise AppealBotError(f"{text!r} is not a date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=_settings().timezone)


def _local_path(target: str) -> bool:
    """A path on this site. Browsers drop tabs and newlines from a redirect and read '\\' as
    '/', so '/<TAB>/evil.example' would become '//evil.example': such targets are refused."""
    return (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ch.isspace() or ord(ch) < 32 for ch in target)
    )


def _back(default: str = "pages.queue") -> Response:
    target = request.form.get("next", "")
    if _local_path(target):
        return redirect(target)
    return redirect(url_for(default))


# --- signing in and out ----------------------------------------------------------------------
@auth.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    status = 200
    if request.method == "POST":
        name = request.form.get("username", "").strip()
        address = request.remote_addr or "?"
        throttle: LoginThrottle = _ctx()["login_throttle"]
        wait = throttle.wait(get_db(), name, address, _now())
        if wait is not None:
            minutes = max(1, -(-int(wait.total_seconds()) // 60))
            error = f"Too many failed sign-ins: try again in {minutes} minute{'s' * (minutes > 1)}."
            status = 429
        elif (
            user := authenticate(get_db(), name, request.form.get("password", ""), _now())
        ) is None:
            throttle.failed(get_db(), name, address, _now())
            error = "That user name and password do not match."
            status = 401
        else:
            throttle.succeeded(get_db(), name)
            purge_expired(get_db(), _now())
            session.clear()
            session.rotate()  # type: ignore[attr-defined]
            session["user"] = user.name
            target = request.form.get("next", "")
            if _local_path(target):
                return redirect(target)
            return redirect(url_for("pages.queue"))
    return (
        render_template("login.html", error=error, next=request.values.get("next", "")),
        status,
    )


@auth.route("/logout", methods=["POST"])
def logout() -> Response:
    session.clear()
    return redirect(url_for("auth.login"))


# --- queue ------------------------------------------------------------------------------------
@pages.route("/")
def home() -> Response:
    return redirect(url_for("pages.queue"))


@pages.route("/queue")
def queue() -> Any:
    settings = _settings()
    status = request.args.get("status") or ("all" if request.args.get("show") == "all" else "")
    statuses: tuple[str, ...] = OPEN_STATUSES
    if status == "all":
        statuses = ()
    elif status in POST_STATUSES:
        statuses = (status,)
    error = None
    try:
        query = PostQuery(
            text=request.args.get("q", "").strip()[:200],
            statuses=statuses,
            platform=_choice(request.args.get("platform"), tuple(settings.platforms)),
            region=request.args.get("region", "").strip() or None,
            since=_date_arg("since"),
            until=_date_arg("until"),
            page=_page_arg(),
        )
    except AppealBotError as problem:
        error = str(problem)
        query = PostQuery()
    found = find_posts(get_db(), query, settings.timezone)
    filtered = any(
        request.args.get(k) for k in ("q", "status", "show", "platform", "region", "since", "until")
    )
    now = _now()
    placements = current_plan(get_db(), settings, now)
    for row in found.rows:
        row.update(goes_out(row, placements, settings.timezone, now))
    return render_template(
        "queue.html",
        found=found,
        rows=found.rows,
        query=query,
        status=status,
        statuses=POST_STATUSES,
        platforms=settings.platforms,
        regions=known_regions(get_db(), [r.name for r in configured_regions(settings)]),
        filtered=filtered,
        error=error,
        page_url=_page_url,
        can_send=bool(_ctx()["publishers"]),
        zone=settings.timezone.key,
    ), (400 if error else 200)


@pages.post("/preview")
def preview_post() -> Response:
    """The post as its platform shows it and counts it, for the edit page's script."""
    platform = request.form.get("platform", "")
    if platform not in KNOWN_PLATFORMS:
        abort(400, "unknown platform")
    return jsonify(preview(request.form.get("text", ""), platform).as_dict())


class SentWithoutPhoto(AppealBotError):
    """The post went out, but without its photo: shown as a warning, not as success."""


def _post_action(post_id: int, action: Any, done: str) -> Response:
    try:
        action()
    except NotFound as error:
        flash(str(error), "error")
    except SentWithoutPhoto as warning:
        flash(str(warning), "warn")
    except AppealBotError as error:
        flash(str(error), "error")
    else:
        flash(done.format(id=post_id), "ok")
    return _back()


@pages.post("/posts/<int:post_id>/approve")
def approve(post_id: int) -> Response:
    response = _post_action(
        post_id,
        lambda: actions.approve(get_db(), post_id, _user_name(), _now()),
        "Post {id} approved.",
    )
    if get_post(get_db(), post_id).status == PostStatus.QUEUED:
        _flash_planned([post_id])
    return response


@pages.post("/posts/<int:post_id>/cancel")
def cancel(post_id: int) -> Response:
    return _post_action(
        post_id,
        lambda: actions.cancel(get_db(), post_id, _user_name(), _now()),
        "Post {id} cancelled.",
    )


@pages.post("/posts/<int:post_id>/reschedule")
def reschedule(post_id: int) -> Response:
    done: list[bool] = []

    def go() -> None:
        when = _parse_local(request.form.get("when", ""))
        actions.reschedule(get_db(), post_id, when, _user_name(), _now())
        done.append(True)

    response = _post_action(post_id, go, "Post {id} rescheduled.")
    if done:
        _flash_planned([post_id])  # the time it got, or why it cannot keep it
    return response


@pages.post("/posts/<int:post_id>/send")
def send(post_id: int) -> Response:
    def go() -> None:
        report = actions.send_now(
            get_db(), post_id, _ctx()["publishers"], _settings(), _user_name(), _now()
        )
        [outcome] = report.outcomes
        if not outcome.sent:
            raise AppealBotError(
                f"Post {post_id} not sent: {outcome.detail}. Nothing else was sent."
            )
        degraded = get_post(get_db(), post_id).degraded
        if degraded:
            # Not "sent." alone: the comms team must see the photo did not go with it.
            raise SentWithoutPhoto(f"Post {post_id} {SENT_WITHOUT_PHOTO}: {degraded}")

    return _post_action(post_id, go, "Post {id} sent; nothing else was sent.")


def _comms_only() -> None:
    """A page that is only a form for a change: a viewer gets 403 for the page itself too."""
    user = current_user()
    if not (user and user.can_edit):
        abort(403, "Your account can look but not change anything (viewer role).")


@pages.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit(post_id: int) -> Any:
    _comms_only()
    try:
        post = get_post(get_db(), post_id)
        item = get_item(get_db(), post.item_id)
    except NotFound:
        return render_template("error.html", code=404, title="Not found",
                               message=f"No queue entry {post_id}."), 404  # fmt: skip
    text = post.text
    error = None
    if request.method == "POST":
        text = request.form.get("text", "")
        try:
            actions.edit_text(get_db(), post_id, text, _user_name(), _now())
        except AppealBotError as problem:
            error = str(problem)
        else:
            flash(f"Post {post_id} saved.", "ok")
            _flash_planned([post_id])
            return redirect(url_for("pages.queue"))
    return (
        render_template(
            "edit.html",
            post=post,
            item=item,
            text=text,
            error=error,
            pv=preview(text, post.platform),
            editable=post.status in actions.EDITABLE,
        ),
        400 if error else 200,
    )


# --- adding -----------------------------------------------------------------------------------
@pages.route("/add", methods=["GET", "POST"])
def add() -> Any:
    _comms_only()
    settings = _settings()
    form: dict[str, Any] = {
        "kind": "appeal",
        "platforms": list(settings.platforms),
        "draft": settings.require_approval,
    }
    error = None
    warnings: list[str] = []
    added: list[int] = []
    if request.method == "POST":
        form = {
            "kind": request.form.get("kind", "appeal"),
            "title": request.form.get("title", ""),
            "text": request.form.get("text", ""),
            "link": request.form.get("link", "").strip(),
            "image_url": request.form.get("image_url", "").strip(),
            "image_alt": request.form.get("image_alt", "").strip(),
            "region": request.form.get("region", "").strip(),
            "urgent": bool(request.form.get("urgent")),
            "draft": bool(request.form.get("draft")),
            "platforms": request.form.getlist("platforms"),
            "when": request.form.get("when", "").strip(),
            "facts": {key: request.form.get(f"fact_{key}", "").strip() for key in FACT_KEYS},
        }
        try:
            post = _manual_post(settings, form)
            if not request.form.get("confirm"):
                warnings = add_warnings(post, _now(), _ctx()["photo_check"])
            if not warnings:
                added = _add(settings, post, form["draft"])
        except (AppealBotError, ValueError) as problem:
            error = str(problem)
        else:
            if not warnings:
                held = "held as drafts for approval" if form["draft"] else "queued"
                flash(f"Added {form['title'].strip()!r}: {held}.", "ok")
                if not form["draft"]:
                    _flash_planned(added)
                return redirect(url_for("pages.queue"))
    return render_template(
        "add.html",
        form=form,
        error=error,
        warnings=warnings,
        platforms=settings.platforms,
        regions=configured_regions(settings),
    ), (400 if error else 200)


def _manual_post(settings: Settings, form: dict[str, Any]) -> ManualPost:
    if form["kind"] not in ("appeal", "news"):
        raise AppealBotError("choose appeal or news")
    platforms = tuple(form["platforms"])
    if not platforms:
        raise AppealBotError("choose at least one platform")
    for platform in platforms:
        if platform not in settings.platforms:
            raise AppealBotError(f"{platform_name(platform)} is not turned on for this charity")
    for field in ("link", "image_url"):
        if form[field] and not form[field].startswith(("https://", "http://")):
            raise AppealBotError(f"the {field.replace('_', ' ')} must start with https://")
    if not form["title"].strip():
        raise AppealBotError("a title is needed")
    return ManualPost(
        kind=form["kind"],
        title=form["title"],
        text=form["text"],
        link=form["link"] or None,
        image_url=form["image_url"] or None,
        image_alt=form["image_alt"] or None,
        platforms=platforms,
        at=_parse_local(form["when"]) if form["when"] else None,
        urgent=form["urgent"],
        region=form["region"] or None,
        facts=dict(form.get("facts") or {}),
    )


def _add(settings: Settings, post: ManualPost, draft: bool) -> list[int]:
    db = get_db()
    now = _now()
    item_id, ids = add_manual(db, settings, post, now)
    if draft:
        # add_manual queues at once; holding for approval is the queued → draft transition.
        for post_id in ids:
            transition(db, post_id, PostStatus.DRAFT)
    outcome = "draft" if draft else "queued"
    events.record(db, "add", outcome, f"added by {_user_name()}", item_id=item_id, now=now)
    return ids


def _flash_planned(ids: list[int]) -> None:
    """Say when each post goes out by the plan, as the CLI's add/approve/edit do."""
    for line in planned_lines(get_db(), _settings(), ids, _now()):
        flash(line[:1].upper() + line[1:] + ".", "ok")


# --- appeals and withdrawal -------------------------------------------------------------------
@pages.route("/appeals")
def appeals() -> Any:
    settings = _settings()
    error = None
    try:
        query = AppealQuery(
            text=request.args.get("q", "").strip()[:200],
            state=_choice(request.args.get("state"), STATES),
            region=request.args.get("region", "").strip() or None,
            since=_date_arg("since"),
            until=_date_arg("until"),
            page=_page_arg(),
        )
    except AppealBotError as problem:
        error = str(problem)
        query = AppealQuery()
    found = find_appeals(get_db(), query, settings.timezone)
    share_by_item = shares_of(get_db(), [card.id for card in found.cards])
    filtered = any(request.args.get(k) for k in ("q", "state", "region", "since", "until"))
    return render_template(
        "appeals.html",
        found=found,
        query=query,
        filtered=filtered,
        error=error,
        states=STATES,
        regions=known_regions(get_db(), [r.name for r in configured_regions(settings)]),
        shares=share_by_item,
        page_url=_page_url,
    ), (400 if error else 200)


def _choice(value: str | None, allowed: tuple[Any, ...]) -> Any:
    return value if value in allowed else None


def _date_arg(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AppealBotError(f"{text!r} is not a date like 2026-11-20") from None


def _page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _page_url(page: int) -> str:
    """This page's address with another page number: filters stay in the link."""
    args: dict[str, Any] = request.args.to_dict()
    args["page"] = str(page)
    return url_for(str(request.endpoint), **args)


@pages.route("/appeals/<path:item_id>/withdraw", methods=["GET", "POST"])
def withdraw(item_id: str) -> Any:
    _comms_only()
    card = get_card(get_db(), item_id)
    if card is None:
        return render_template("error.html", code=404, title="Not found",
                               message=f"No appeal {item_id}."), 404  # fmt: skip
    error = None
    if request.method == "POST":
        reason = request.form.get("reason", "").strip()
        outcome = request.form.get("outcome")
        if outcome not in ("found", "withdrawn"):
            error = "Say whether the person was found."
        elif not reason:
            error = "Say why the appeal is withdrawn (e.g. found safe and well)."
        else:
            _withdraw(item_id, reason, outcome == "found")
            return redirect(url_for("pages.appeals", q=item_id))
    return render_template(
        "withdraw.html",
        card=card,
        error=error,
        form=request.form,
        can_delete_now=bool(_ctx()["publishers"]),
        thanks_on=_settings().found_thanks,
    ), (400 if error else 200)


def _withdraw(item_id: str, reason: str, found: bool) -> None:
    db = get_db()
    now = _now()
    try:
        closure = close_appeal(
            db, _settings(), item_id, f"{reason} (by {_user_name()})", now, found=found
        )
    except NotFound as error:
        flash(str(error), "error")
        return
    deleted = 0
    publishers = _ctx()["publishers"]
    if publishers and request.form.get("delete_now"):
        deleted = process_deletions(db, publishers, now)
    pending = db.execute(
        "SELECT COUNT(*) FROM posts WHERE item_id = ? AND status = 'deleting'", [item_id]
    ).fetchone()[0]
    message = (
        f"Withdrawn: {plural(closure.affected, 'post')} cancelled or taken down,"
        f" {deleted} deleted now."
    )
    if pending:
        message += f" {plural(pending, 'deletion')} pending: the bot retries until they are gone."
    if closure.thanks:
        message += " A thank-you update is queued (see the queue)."
    flash(message, "ok")


# --- log, status, shares ----------------------------------------------------------------------
@pages.route("/schedule")
def schedule() -> str:
    """The week by the plan: slots as rows, each post movable to another slot or a pinned time."""
    now, settings = _now(), _settings()
    plan = week(get_db(), settings, now, days=7)
    moves = [
        (slot["at"][:16], f"{day['label']} {slot['label']}")
        for day in plan["days"]
        for slot in day["slots"]
        if slot["at"] > (iso_local(now, settings.timezone) or "")
    ]
    return render_template("schedule.html", plan=plan, moves=moves)


@pages.route("/log")
def log() -> Any:
    platform = request.args.get("platform") or None
    outcome = request.args.get("outcome") or None
    since_text = request.args.get("since", "").strip()
    error = None
    since = None
    if since_text:
        try:
            since = parse_since(since_text, _now(), _settings().timezone)
        except AppealBotError as problem:
            error = str(problem).replace("--since ", "")
    filters: dict[str, Any] = {
        "platform": platform if platform in KNOWN_PLATFORMS else None,
        "outcome": outcome,
        "since": since,
    }
    total = events.count_events(get_db(), **filters)
    pages = max(1, -(-total // LOG_PAGE_SIZE))
    page = min(_page_arg(), pages)
    rows = events.list_events(
        get_db(), **filters, limit=LOG_PAGE_SIZE, offset=(page - 1) * LOG_PAGE_SIZE
    )
    return render_template(
        "log.html",
        rows=rows,
        found=Paged(total, page, pages),
        page_url=_page_url,
        platform=platform,
        outcome=outcome,
        since=since_text,
        outcomes=LOG_OUTCOMES,
        error=error,
    ), (400 if error else 200)


@pages.route("/status")
def status() -> str:
    return render_template("status.html", status=gather_status(get_db(), _settings(), _now()))


@pages.route("/shares")
def shares() -> str:
    # The ranking and the count come from item_shares (kept as readings arrive); only this
    # page's appeals have their posts' latest readings added up.
    ranked = ranked_appeals(get_db(), _page_arg(), SHARES_PAGE_SIZE)
    rows = shares_per_appeal(get_db(), ranked.item_ids)
    chart = bar_chart([(row.title, row.value) for row in rows])
    return render_template(
        "shares.html",
        chart=chart,
        rows=rows,
        found=Paged(ranked.total, ranked.page, ranked.pages),
        page_url=_page_url,
    )
