"""The Python original's side of the shared Redis, re-stated for the interop tests.

What the original's chat API, completion consumer and SSE subscriber do to Redis, written from the facts in the
repository's architecture notes (registry writes, chunk models, subscriber parsing, consumer loop) with
Debian's python3-redis and python3-pydantic (1.10). One command per invocation; the argument is one JSON object
on the command line, the answer one JSON document on stdout:

    python3 original.py <command> '<json>'

Commands: check, create-task, publish, validate-entries, get-task, active-task-for-session, publish-chunks,
complete, subscribe, consume.
"""

import json
import re
import sys
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Union

import redis
from pydantic import BaseModel, ValidationError

TTL_SECONDS = 3600
CHUNK_STREAM_MAXLEN = 10000
COMPLETION_STREAM_MAXLEN = 10000

# ---------------------------------------------------------------------------------------------------------------
# The completion message (the consumer's pydantic model).


class OperationCompleteMessage(BaseModel):
    operation_id: str
    task_id: str
    success: bool
    result: Union[dict, str, None] = None
    error: Optional[str] = None


# ---------------------------------------------------------------------------------------------------------------
# The chunk models: what the original writes into chat:stream:<task_id> and how its SSE serialises each one
# (protocol fields only; the heartbeat as a comment).


class Chunk(BaseModel):
    type: str
    # Fields the SSE output keeps; the rest (toolName, success, code, details, sessionId) stay server-side.
    _sse_fields: tuple = ("type",)

    def stored_json(self) -> str:
        return self.json(exclude_none=True)

    def to_sse(self) -> str:
        body = {k: v for k, v in self.dict(exclude_none=True).items() if k in self._sse_fields}
        return "data: " + json.dumps(body, separators=(",", ":")) + "\n\n"


class StreamStart(Chunk):
    type: str = "start"
    messageId: Optional[str] = None
    sessionId: Optional[str] = None
    _sse_fields = ("type", "messageId")


class StreamFinish(Chunk):
    type: str = "finish"


class StreamStartStep(Chunk):
    type: str = "start-step"


class StreamFinishStep(Chunk):
    type: str = "finish-step"


class StreamTextStart(Chunk):
    type: str = "text-start"
    id: str
    _sse_fields = ("type", "id")


class StreamTextDelta(Chunk):
    type: str = "text-delta"
    id: str
    delta: str
    _sse_fields = ("type", "id", "delta")


class StreamTextEnd(Chunk):
    type: str = "text-end"
    id: str
    _sse_fields = ("type", "id")


class StreamToolInputStart(Chunk):
    type: str = "tool-input-start"
    toolCallId: str
    toolName: str
    _sse_fields = ("type", "toolCallId", "toolName")


class StreamToolInputAvailable(Chunk):
    type: str = "tool-input-available"
    toolCallId: str
    toolName: str
    input: Any = None
    _sse_fields = ("type", "toolCallId", "toolName", "input")


class StreamToolOutputAvailable(Chunk):
    type: str = "tool-output-available"
    toolCallId: str
    toolName: Optional[str] = None
    output: Union[str, dict, list]
    success: bool = True
    _sse_fields = ("type", "toolCallId", "output")


class StreamError(Chunk):
    type: str = "error"
    errorText: str
    code: Optional[str] = None
    details: Optional[dict] = None
    _sse_fields = ("type", "errorText")


class StreamUsage(Chunk):
    type: str = "usage"
    promptTokens: int
    completionTokens: int
    totalTokens: int
    _sse_fields = ("type", "promptTokens", "completionTokens", "totalTokens")


class StreamHeartbeat(Chunk):
    type: str = "heartbeat"
    toolCallId: Optional[str] = None

    def to_sse(self) -> str:
        return ": heartbeat\n\n"


CHUNK_MODELS: Dict[str, type] = {
    m.__fields__["type"].default: m
    for m in (
        StreamStart,
        StreamFinish,
        StreamStartStep,
        StreamFinishStep,
        StreamTextStart,
        StreamTextDelta,
        StreamTextEnd,
        StreamToolInputStart,
        StreamToolInputAvailable,
        StreamToolOutputAvailable,
        StreamError,
        StreamUsage,
        StreamHeartbeat,
    )
}


def parse_chunk(data: str) -> Optional[Chunk]:
    """The subscriber's parsing: rebuild a chunk by its type; unknown types (and unreadable ones) are dropped."""
    try:
        raw = json.loads(data)
        model = CHUNK_MODELS.get(raw.get("type"))
        return model(**raw) if model else None
    except (ValueError, ValidationError, AttributeError, TypeError):
        return None


# ---------------------------------------------------------------------------------------------------------------
# Registry keys and task hashes.


class Keys:
    def __init__(self, prefix: str):
        self.prefix = prefix

    def meta(self, task_id: str) -> str:
        return f"{self.prefix}task:meta:{task_id}"

    def stream(self, task_id: str) -> str:
        return f"{self.prefix}stream:{task_id}"

    def op(self, operation_id: str) -> str:
        return f"{self.prefix}task:op:{operation_id}"

    def running_operation(self, tool_call_id: str) -> str:
        return f"{self.prefix}running_operation:{tool_call_id}"


# The original's created_at: datetime.now(timezone.utc).isoformat() (microseconds, +00:00; no fraction when the
# microseconds are 0).
ORIGINAL_CREATED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$")


def active_task(hash_: Dict[str, str]) -> Optional[dict]:
    """get_task: any non-empty hash is a task; status defaults to running."""
    if not hash_:
        return None
    created_raw = hash_.get("created_at", "")
    try:
        created = datetime.fromisoformat(created_raw).isoformat() if created_raw else None
    except ValueError:
        created = None
    return {
        "task_id": hash_.get("task_id", ""),
        "session_id": hash_.get("session_id", ""),
        "user_id": hash_.get("user_id", "") or None,
        "tool_call_id": hash_.get("tool_call_id", ""),
        "tool_name": hash_.get("tool_name", ""),
        "operation_id": hash_.get("operation_id", ""),
        "status": hash_.get("status", "running"),
        "created_at": created_raw,
        "created_at_parsed": created,
        "created_at_is_original_format": bool(ORIGINAL_CREATED_AT.match(created_raw)),
    }


def get_task(r: redis.Redis, keys: Keys, task_id: str) -> Optional[dict]:
    return active_task(r.hgetall(keys.meta(task_id)))


def find_task_by_operation_id(r: redis.Redis, keys: Keys, operation_id: str) -> Optional[dict]:
    task_id = r.get(keys.op(operation_id))
    return get_task(r, keys, task_id) if task_id else None


def create_task(r: redis.Redis, keys: Keys, a: dict) -> dict:
    created_at = a.get("created_at") or datetime.now(timezone.utc).isoformat()
    meta = keys.meta(a["task_id"])
    r.hset(
        meta,
        mapping={
            "task_id": a["task_id"],
            "session_id": a["session_id"],
            "user_id": a.get("user_id") or "",
            "tool_call_id": a["tool_call_id"],
            "tool_name": a["tool_name"],
            "operation_id": a["operation_id"],
            "status": "running",
            "created_at": created_at,
        },
    )
    r.expire(meta, TTL_SECONDS)
    r.set(keys.op(a["operation_id"]), a["task_id"], ex=TTL_SECONDS)
    r.set(keys.running_operation(a["tool_call_id"]), a["operation_id"], ex=TTL_SECONDS)
    return get_task(r, keys, a["task_id"])


def publish_chunk(r: redis.Redis, keys: Keys, task_id: str, chunk: Chunk) -> str:
    stream = keys.stream(task_id)
    entry_id = r.xadd(stream, {"data": chunk.stored_json()}, maxlen=CHUNK_STREAM_MAXLEN)
    r.expire(stream, TTL_SECONDS)
    return entry_id


MARK_STATUS = """
if redis.call('HGET', KEYS[1], 'status') == 'running' then
  redis.call('HSET', KEYS[1], 'status', ARGV[1])
  return 1
end
return 0
"""


def mark_task(r: redis.Redis, keys: Keys, task: dict, status: str, finish: bool) -> bool:
    """Compare-and-set running -> status, then (a separate, best-effort step) the finish chunk."""
    changed = r.eval(MARK_STATUS, 1, keys.meta(task["task_id"]), status) == 1
    if finish:
        publish_chunk(r, keys, task["task_id"], StreamFinish())
    return changed


def complete(r: redis.Redis, keys: Keys, task: dict, success: bool, result: Any, error: Optional[str], finish: bool):
    """process_operation_success / _failure: the tool chunk first (no status check), then the status, then finish."""
    if success:
        if isinstance(result, str):
            output = result
        elif result is None:
            output = json.dumps({"status": "completed"})
        else:
            output = json.dumps(result)
        publish_chunk(
            r,
            keys,
            task["task_id"],
            StreamToolOutputAvailable(
                toolCallId=task["tool_call_id"], toolName=task["tool_name"], output=output, success=True
            ),
        )
        mark_task(r, keys, task, "completed", finish)
    else:
        publish_chunk(r, keys, task["task_id"], StreamError(errorText=error or "Operation failed"))
        mark_task(r, keys, task, "failed", finish)
    r.delete(keys.running_operation(task["tool_call_id"]))


def handle_message(r: redis.Redis, keys: Keys, body: str) -> str:
    """_handle_message: parse (bad → dropped), find by operation then task id (missing → dropped), complete."""
    try:
        message = OperationCompleteMessage(**json.loads(body))
    except (ValueError, ValidationError, TypeError):
        return "invalid"
    task = find_task_by_operation_id(r, keys, message.operation_id) or get_task(r, keys, message.task_id)
    if task is None:
        return "task_not_found"
    if not task["task_id"] or not task["session_id"] or not task["tool_call_id"]:
        return "empty_fields"
    complete(r, keys, task, message.success, message.result, message.error, finish=True)
    return "completed" if message.success else "failed"


# ---------------------------------------------------------------------------------------------------------------
# Commands.


def cmd_check(r: redis.Redis, keys: Keys, a: dict) -> Any:
    return {"redis": redis.__version__, "pydantic": __import__("pydantic").VERSION, "ping": r.ping()}


def cmd_create_task(r, keys, a):
    task = create_task(r, keys, a)
    ids = [publish_chunk(r, keys, a["task_id"], parse_chunk(json.dumps(c))) for c in a.get("chunks", [])]
    return {"task": task, "chunk_ids": ids}


def cmd_publish(r, keys, a):
    message = OperationCompleteMessage(**a["message"])
    return r.xadd(a["stream"], {"data": message.json()}, maxlen=COMPLETION_STREAM_MAXLEN)


def cmd_validate_entries(r, keys, a):
    out = []
    for entry_id, fields in r.xrange(a["stream"]):
        try:
            message = OperationCompleteMessage(**json.loads(fields.get("data", "")))
            out.append({"id": entry_id, "ok": True, "message": message.dict()})
        except (ValueError, ValidationError, TypeError) as e:
            out.append({"id": entry_id, "ok": False, "error": str(e)})
    return out


def cmd_get_task(r, keys, a):
    return get_task(r, keys, a["task_id"])


def cmd_active_task_for_session(r, keys, a):
    """get_active_task_for_session: SCAN every task hash; the newest running one of the session the user sees."""
    best = None
    for key in r.scan_iter(match=f"{keys.prefix}task:meta:*", count=1000):
        task = active_task(r.hgetall(key))
        if not task or task["session_id"] != a["session_id"] or task["status"] != "running":
            continue
        if task["user_id"] is not None and task["user_id"] != a.get("user_id"):
            continue
        if best is None or (task["created_at_parsed"] or "") > (best["created_at_parsed"] or ""):
            best = task
    return best


def cmd_publish_chunks(r, keys, a):
    ids = []
    for c in a["chunks"]:
        model = CHUNK_MODELS[c["type"]]
        ids.append(publish_chunk(r, keys, a["task_id"], model(**c)))
    return ids


def cmd_complete(r, keys, a):
    task = get_task(r, keys, a["task_id"])
    complete(r, keys, task, a["success"], a.get("result"), a.get("error"), finish=a.get("finish", True))
    return get_task(r, keys, a["task_id"])


def cmd_subscribe(r, keys, a):
    """The subscriber: XREAD from the cursor, rebuild each chunk, drop unknown ones, stop after finish."""
    stream = keys.stream(a["task_id"])
    cursor = a.get("last_message_id") or "0-0"
    block_ms = a.get("block_ms", 5000)
    events: List[dict] = []
    while True:
        reply = r.xread({stream: cursor}, block=block_ms, count=100)
        if not reply:
            return {"events": events, "finished": False}
        for entry_id, fields in reply[0][1]:
            cursor = entry_id
            chunk = parse_chunk(fields.get("data", ""))
            if chunk is None:
                events.append({"id": entry_id, "dropped": fields.get("data", "")})
                continue
            events.append({"id": entry_id, "type": chunk.type, "stored": json.loads(chunk.stored_json()),
                           "sse": chunk.to_sse()})
            if chunk.type == "finish":
                return {"events": events, "finished": True}


def cmd_consume(r, keys, a):
    """One consumer of the group, then stopped: reads `count` entries, handles the first `handle` of them as the
    original does, acks the first `ack` of those (a pod killed between its writes and XACK leaves the rest of the
    handled ones pending), and leaves the unhandled ones pending too (stop cancels handlers mid-flight)."""
    stream, group, consumer = a["stream"], a["group"], a["consumer"]
    try:
        r.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as e:
        if "BUSYGROUP" not in str(e):
            raise
    reply = r.xreadgroup(group, consumer, {stream: ">"}, count=a["count"], block=1000)
    entries = reply[0][1] if reply else []
    outcomes = []
    for index, (entry_id, fields) in enumerate(entries):
        if index >= a["handle"]:
            outcomes.append({"id": entry_id, "outcome": "left_pending"})
            continue
        outcome = handle_message(r, keys, fields.get("data", ""))
        if index < a["ack"]:
            r.xack(stream, group, entry_id)
        outcomes.append({"id": entry_id, "outcome": outcome, "acked": index < a["ack"]})
    return outcomes


COMMANDS = {
    "check": cmd_check,
    "create-task": cmd_create_task,
    "publish": cmd_publish,
    "validate-entries": cmd_validate_entries,
    "get-task": cmd_get_task,
    "active-task-for-session": cmd_active_task_for_session,
    "publish-chunks": cmd_publish_chunks,
    "complete": cmd_complete,
    "subscribe": cmd_subscribe,
    "consume": cmd_consume,
}


def main() -> None:
    command = sys.argv[1]
    args = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    r = redis.Redis.from_url(args.get("url", "redis://127.0.0.1:6379"), decode_responses=True)
    try:
        out = COMMANDS[command](r, Keys(args.get("prefix", "chat:")), args)
    finally:
        r.close()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
