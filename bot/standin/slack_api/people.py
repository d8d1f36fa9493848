"""users.info, users.lookupByEmail, usergroups.list and usergroups.users.list: who someone is,
who has an email, which groups there are, and who is in a group."""

from bot.standin.slack_api.records import SlackError
from bot.standin.slack_api.workspace import Method, Workspace


def user_info(ws: Workspace, params: dict) -> dict:
    user = ws.users.get(params.get("user", ""))
    if user is None:
        raise SlackError("user_not_found")
    return {"user": user}


def lookup_by_email(ws: Workspace, params: dict) -> dict:
    """Slack matches the whole address, ignoring case; deleted users and bots have none."""
    email = str(params.get("email", "")).strip().lower()
    if not email:
        raise SlackError("invalid_arguments")
    for user in ws.users.values():
        if str(user["profile"].get("email", "")).lower() == email:
            return {"user": user}
    raise SlackError("users_not_found")


def group_members(ws: Workspace, params: dict) -> dict:
    if not params.get("usergroup"):
        raise SlackError("invalid_arguments")
    group = ws.usergroups.get(params["usergroup"])
    if group is None:
        raise SlackError("no_such_subteam")
    return {"users": list(group["users"])}


def list_groups(ws: Workspace, params: dict) -> dict:
    """Disabled groups are not kept here; `include_users` adds each group's members."""
    with_users = str(params.get("include_users", "")).lower() in ("1", "true")
    groups = []
    for group in ws.usergroups.values():
        shown = {"id": group["id"], "handle": group["handle"], "is_usergroup": True,
                 "user_count": len(group["users"]), "date_delete": 0}
        if with_users:
            shown["users"] = list(group["users"])
        groups.append(shown)
    return {"usergroups": groups}


METHODS: dict[str, Method] = {
    "users.info": user_info,
    "users.lookupByEmail": lookup_by_email,
    "usergroups.list": list_groups,
    "usergroups.users.list": group_members,
}
