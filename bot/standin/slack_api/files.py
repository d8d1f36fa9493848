"""files.*: the two-step external upload (ask for a URL, send the bytes, complete it)."""

from aiohttp import web

from bot.standin.slack_api.params import as_json
from bot.standin.slack_api.records import SlackError, UploadedFile
from bot.standin.slack_api.workspace import Method, Workspace


def upload_url(ws: Workspace, params: dict) -> dict:
    upload = UploadedFile(ws.new_id("F"), params.get("filename", "file"))
    ws.pending_uploads[upload.id] = upload
    return {"upload_url": f"{ws.base}/upload/{upload.id}", "file_id": upload.id}


async def receive(ws: Workspace, request: web.Request) -> web.Response:
    """The bytes POSTed to the upload URL, as a form part or the raw body."""
    pending = ws.pending_uploads.get(request.match_info["file_id"])
    if pending is None:
        return web.Response(status=404)
    if request.content_type.startswith("multipart/"):
        async for part in await request.multipart():
            pending.content = await part.read()  # type: ignore[union-attr]  # a part, never nested
    else:
        pending.content = await request.read()
    return web.Response(text=f"OK - {len(pending.content)}")


def complete(ws: Workspace, params: dict) -> dict:
    channel = ws.member_channel(params, "channel_id") if params.get("channel_id") else None
    done = []
    for entry in as_json(params.get("files"), []):
        upload = ws.pending_uploads.pop(entry["id"], None)
        if upload is None:
            raise SlackError("file_not_found")
        upload.title = entry.get("title") or upload.filename
        upload.initial_comment = params.get("initial_comment", "")
        if channel is not None:
            upload.channels.append(channel.id)
        ws.files.append(upload)
        done.append({"id": upload.id, "name": upload.filename, "title": upload.title})
    return {"files": done}


METHODS: dict[str, Method] = {
    "files.getUploadURLExternal": upload_url,
    "files.completeUploadExternal": complete,
}
