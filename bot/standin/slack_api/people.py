"""users.info and usergroups.users.list: who someone is, and who is in a group."""

from bot.standin.slack_api.records import SlackError
from bot.standin.slack_api.workspace import Method, Workspace


def user_info(ws: Workspace, params: dict) -> dict:
    user = ws.users.get(params.get("user", ""))
    if user is None:
        raise SlackError("user_not_found")
    return {"user": user}


def group_members(ws: Workspace, params: dict) -> dict:
    if not params.get("usergroup"):
        raise SlackError("invalid_arguments")
    group = ws.usergroups.get(params["usergroup"])
    if group is None:
        raise SlackError("no_such_subteam")
    return {"users": list(group["users"])}


METHODS: dict[str, Method] = {
    "users.info": user_info,
    "usergroups.users.list": group_members,
}
