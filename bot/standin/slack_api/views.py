"""views.open and views.publish: modals opened from a trigger, and each person's App Home."""

from bot.standin.block_kit import BlockError, validate_blocks, validate_modal
from bot.standin.slack_api.params import as_json
from bot.standin.slack_api.records import SlackError
from bot.standin.slack_api.workspace import Method, Workspace


def open_modal(ws: Workspace, params: dict) -> dict:
    if not params.get("trigger_id"):
        raise SlackError("invalid_trigger_id")
    view = as_json(params.get("view"), {})
    try:
        validate_modal(view)
    except BlockError as exc:
        raise SlackError("invalid_arguments", response_metadata={"messages": [str(exc)]}) from None
    ws.views.append({"trigger_id": params["trigger_id"], "view": view})
    return {"view": {"id": ws.new_id("V"), **view}}


def publish_home(ws: Workspace, params: dict) -> dict:
    # No scope: an app may always publish its own Home tab.
    if params.get("user_id", "") not in ws.users:
        raise SlackError("user_not_found")
    view = as_json(params.get("view"), {})
    if view.get("type") != "home":
        raise SlackError("invalid_arguments", response_metadata={
            "messages": ["[ERROR] must be a home view [json-pointer:/view/type]"]})
    try:
        validate_blocks(view.get("blocks", []), limit=100)
    except BlockError as exc:
        raise SlackError("invalid_arguments", response_metadata={"messages": [str(exc)]}) from None
    ws.homes[params["user_id"]] = view
    return {"view": {"id": ws.new_id("V"), **view}}


METHODS: dict[str, Method] = {
    "views.open": open_modal,
    "views.publish": publish_home,
}
