"""Run code in a kernel of a Jupyter server through its REST API and the kernel websocket (the
Jupyter messaging protocol, as JupyterLab speaks it), behind a JupyterHub's proxy."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field

import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect


@dataclass
class Executed:
    status: str  # the execute_reply's: "ok" or "error"
    stdout: str = ""
    error: str = ""  # ename: evalue, if any
    outputs: list[dict] = field(default_factory=list)


class RemoteKernel:
    """One kernel started on ``server`` (``http://host:port/user/NAME``) with a Hub API token."""

    def __init__(self, server: str, token: str) -> None:
        self.server, self.token = server.rstrip("/"), token
        reply = requests.post(f"{self.server}/api/kernels", headers=self._headers, json={"name": "python3"},
                              timeout=60)
        reply.raise_for_status()
        self.id: str = reply.json()["id"]

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def execute(self, code: str, timeout: float = 90.0) -> Executed:
        return asyncio.run(asyncio.wait_for(self._execute(code), timeout))

    async def _execute(self, code: str) -> Executed:
        url = self.server.replace("http://", "ws://", 1) + f"/api/kernels/{self.id}/channels"
        ws = await websocket_connect(HTTPRequest(url, headers=self._headers))
        try:
            msg_id = uuid.uuid4().hex
            ws.write_message(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "", "session": uuid.uuid4().hex,
                           "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell",
                "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True}}))
            result = Executed(status="")
            idle = False
            while not (result.status and idle):
                raw = await ws.read_message()
                if raw is None:
                    raise ConnectionError("the kernel websocket closed")
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["header"]["msg_type"], msg["content"]
                if kind == "stream" and content.get("name") == "stdout":
                    result.stdout += content["text"]
                elif kind == "error":
                    result.error = f"{content['ename']}: {content['evalue']}"
                elif kind == "execute_reply":
                    result.status = content["status"]
                elif kind == "status" and content.get("execution_state") == "idle":
                    idle = True
                result.outputs.append(msg)
            return result
        finally:
            ws.close()

    def shutdown(self) -> None:
        requests.delete(f"{self.server}/api/kernels/{self.id}", headers=self._headers, timeout=30)
