"""Slack's Block Kit limits, checked the way Slack reports them."""

from typing import NoReturn

KNOWN_BLOCKS = {"section", "actions", "context", "header", "divider", "image", "input",
                "rich_text", "file"}


class BlockError(Exception):
    pass


def _fail(message: str, pointer: str) -> NoReturn:
    raise BlockError(f"[ERROR] {message} [json-pointer:{pointer}]")


def _text(obj: object, pointer: str, limit: int, plain_only: bool = False) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        _fail("must provide an object with a valid text type", pointer)
    if plain_only and obj["type"] != "plain_text":
        _fail("must be a plain_text object", pointer + "/type")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        _fail("must be more than 0 characters", pointer + "/text")
    if len(text) > limit:
        _fail(f"must be less than {limit + 1} characters", pointer + "/text")


def _element(element: dict, pointer: str, action_ids: set[str]) -> None:
    action_id = element.get("action_id")
    if action_id is not None:
        if len(action_id) > 255:
            _fail("must be less than 256 characters", pointer + "/action_id")
        if action_id in action_ids:
            _fail("action_id already exists", pointer + "/action_id")
        action_ids.add(action_id)
    if element.get("type") == "button":
        _text(element.get("text"), pointer + "/text", 75, plain_only=True)
        if len(element.get("value", "")) > 2000:
            _fail("must be less than 2001 characters", pointer + "/value")
        if len(element.get("url", "")) > 3000:
            _fail("must be less than 3001 characters", pointer + "/url")
        if element.get("style") not in (None, "primary", "danger"):
            _fail("must be one of primary, danger", pointer + "/style")


INPUT_ELEMENTS = {"plain_text_input", "static_select", "checkboxes", "radio_buttons",
                  "users_select", "multi_users_select", "conversations_select", "datepicker"}


def _input(block: dict, pointer: str) -> None:
    _text(block.get("label"), pointer + "/label", 2000, plain_only=True)
    element = block.get("element")
    if not isinstance(element, dict) or element.get("type") not in INPUT_ELEMENTS:
        _fail("must be a valid enum value", pointer + "/element/type")
    if element["type"] in ("static_select", "checkboxes", "radio_buttons"):
        options = element.get("options", [])
        limit = 10 if element["type"] != "static_select" else 100
        if not 0 < len(options) <= limit:
            _fail(f"must have between 1 and {limit} items", pointer + "/element/options")
        for o, option in enumerate(options):
            _text(option.get("text"), f"{pointer}/element/options/{o}/text", 75)
            if "description" in option:
                _text(option["description"], f"{pointer}/element/options/{o}/description", 75,
                      plain_only=True)
    if element["type"] == "plain_text_input" and element.get("max_length", 3000) > 3000:
        _fail("must be less than 3001", pointer + "/element/max_length")


def validate_blocks(blocks: object, *, limit: int = 50) -> None:
    if not isinstance(blocks, list):
        _fail("must be an array", "/blocks")
    if len(blocks) > limit:
        _fail(f"no more than {limit} items allowed", "/blocks")
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for n, block in enumerate(blocks):
        pointer = f"/blocks/{n}"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in KNOWN_BLOCKS:
            _fail("must be a valid enum value", pointer + "/type")
        block_id = block.get("block_id")
        if block_id is not None:
            if len(block_id) > 255:
                _fail("must be less than 256 characters", pointer + "/block_id")
            if block_id in block_ids:
                _fail("block_id already exists", pointer + "/block_id")
            block_ids.add(block_id)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                _fail("must provide either text or fields", pointer)
            if "text" in block:
                _text(block["text"], pointer + "/text", 3000)
            fields = block.get("fields", [])
            if len(fields) > 10:
                _fail("no more than 10 items allowed", pointer + "/fields")
            for f, field in enumerate(fields):
                _text(field, f"{pointer}/fields/{f}", 2000)
            if "accessory" in block:
                _element(block["accessory"], pointer + "/accessory", action_ids)
        elif kind == "input":
            _input(block, pointer)
        elif kind == "header":
            _text(block.get("text"), pointer + "/text", 150, plain_only=True)
        elif kind == "context":
            elements = block.get("elements", [])
            if not 0 < len(elements) <= 10:
                _fail("must have between 1 and 10 items", pointer + "/elements")
        elif kind == "actions":
            elements = block.get("elements", [])
            if not 0 < len(elements) <= 25:
                _fail("must have between 1 and 25 items", pointer + "/elements")
            for e, element in enumerate(elements):
                _element(element, f"{pointer}/elements/{e}", action_ids)


def validate_modal(view: object) -> None:
    """A view as views.open takes it: a modal, with Slack's limits on its own fields."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        _fail("must be a modal view", "/view/type")
    _text(view.get("title"), "/view/title", 24, plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            _text(view[key], f"/view/{key}", 24, plain_only=True)
    blocks = view.get("blocks", [])
    if "submit" not in view and any(isinstance(b, dict) and b.get("type") == "input"
                                    for b in blocks or []):
        _fail("must provide submit when there are input blocks", "/view/submit")
    if len(view.get("private_metadata", "")) > 3000:
        _fail("must be less than 3001 characters", "/view/private_metadata")
    if len(view.get("callback_id", "")) > 255:
        _fail("must be less than 256 characters", "/view/callback_id")
    validate_blocks(blocks, limit=100)
