"""Drive the app on Streamlit's own runtime (no browser, no network) and count what its upload store holds.

Run as ``python tests/upload_memory.py N``: one session uploads N different CSV files one after the other through
the sidebar's uploader (the last time two files together), the way the browser does (the file's bytes into the runtime's upload store, then a rerun
whose widget state names the file), then disconnects, then is closed. Prints one JSON object: the upload store's
bytes and files after each step. A subprocess: Streamlit's runtime is one per process.
"""
from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.Common_pb2 import FileUploaderState, UploadedFileInfo  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402
from streamlit.runtime import Runtime, RuntimeConfig  # noqa: E402
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage  # noqa: E402
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager  # noqa: E402
from streamlit.runtime.uploaded_file_manager import UploadedFileRec  # noqa: E402

RUN_LIMIT = 2000  # polls of 0.05 s for one script run to finish: a hung run fails the test, it does not time it


class Client:
    """A browser tab as the runtime sees it: the messages it is sent."""

    client_context = None

    def __init__(self) -> None:
        self.messages: list[ForwardMsg] = []

    def write_forward_msg(self, msg: ForwardMsg) -> None:
        self.messages.append(msg)


def _shop_csv(n: int) -> bytes:
    rows = "\n".join(f"{n}-{i},c{i % 97},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{10 + i % 50},{'SMS' if i % 3 else 'Card'}"
                     for i in range(600))
    return f"order,customer,date,amount,channel\n{rows}\n".encode()


async def _run(runtime: Runtime, client: Client, session: str, widgets: list[WidgetState]) -> list[ForwardMsg]:
    """One script run with these widget states; the messages it sent."""
    client.messages.clear()
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.widget_states.widgets.extend(widgets)
    runtime.handle_backmsg(session, msg)
    for _ in range(RUN_LIMIT):
        await asyncio.sleep(0.05)
        if any(m.WhichOneof("type") == "script_finished" for m in client.messages):
            return list(client.messages)
    raise SystemExit("a script run did not finish")


def _uploader(messages: list[ForwardMsg]) -> str:
    ids = [m.delta.new_element.file_uploader.id for m in messages
           if m.WhichOneof("type") == "delta" and m.delta.new_element.WhichOneof("type") == "file_uploader"]
    if not ids:
        raise SystemExit("no file uploader drawn")
    return ids[-1]


def _using(messages: list[ForwardMsg]) -> str:
    """The sidebar's "Using: file" caption of a run ("" when the sample data is shown)."""
    texts = [m.delta.new_element.markdown.body for m in messages
             if m.WhichOneof("type") == "delta" and m.delta.new_element.WhichOneof("type") == "markdown"]
    return next((t for t in texts if t.startswith("Using")), "")


def _held(store: MemoryUploadedFileManager) -> dict[str, int]:
    stats = [s for family in store.get_stats().values() for s in family]
    return {"bytes": sum(s.byte_length for s in stats), "files": sum(len(f) for f in store.file_storage.values())}


async def main(uploads: int) -> dict[str, object]:
    store = MemoryUploadedFileManager("/_stcore/upload_file")
    runtime = Runtime(RuntimeConfig(script_path=str(ROOT / "app.py"), media_file_storage=MemoryMediaFileStorage("/media"),
                                    uploaded_file_manager=store))
    await runtime.start()
    client = Client()
    session = runtime.connect_session(client, user_info={})
    uploader = _uploader(await _run(runtime, client, session, []))
    sizes, after, shown = [], [], []
    for n in range(uploads):  # one file at a time, then (the last upload) two files of one shop together
        files = [(f"shop-{n}.csv", _shop_csv(n))] if n < uploads - 1 else [(f"shop-{n}.csv", _shop_csv(n)),
                                                                              (f"more-{n}.csv", _shop_csv(n + 1000))]
        infos = []
        for name, data in files:
            file_id = str(uuid.uuid4())
            store.add_file(session, UploadedFileRec(file_id=file_id, name=name, type="text/csv", data=data))
            infos.append(UploadedFileInfo(file_id=file_id, name=name, size=len(data)))
        state = WidgetState(id=uploader, file_uploader_state_value=FileUploaderState(uploaded_file_info=infos))
        messages = await _run(runtime, client, session, [state])
        uploader = _uploader(messages)
        sizes.append(sum(len(data) for _, data in files))
        shown.append(_using(messages))
        after.append(_held(store))
    runtime.disconnect_session(session)  # the tab closed: kept for a reconnect, later dropped without a shutdown
    disconnected = _held(store)
    runtime.close_session(session)
    closed = _held(store)
    runtime.stop()
    return {"file_bytes": sizes, "using": shown, "after_each_upload": after, "disconnected": disconnected, "closed": closed}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(int(sys.argv[1])))))
