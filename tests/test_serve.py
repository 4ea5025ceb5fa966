"""``wdtui serve`` end to end: the server on a free loopback port serves the page; the app is drawn
through its websocket; a screenshot made in the browser is delivered as a download; a headless
Chromium (Debian's ``chromium``) loads the page and shows the app's panels. The browser's
screenshot is kept as a test artifact: ``build/test-artifacts/serve-browser.png``."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomllib

aiohttp = pytest.importorskip("aiohttp")

from wdtui.cli.main import main  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts"
PANELS = ("Dataset", "Model", "Regularization", "Charts", "Weights", "Sweep")
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][A-Z0-9]|[=>78])")
STARTUP = 60.0  # seconds: the server, then one app process (torch and textual imports) per tab


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent.parent),
                                                                         os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", "wdtui", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--preset", "sine", "--epochs", "3"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"the server did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    yield url
    os.killpg(proc.pid, signal.SIGKILL)  # the server and the app processes it started
    proc.wait()


def screen_text(data: bytes) -> str:
    return ANSI.sub("", data.decode("utf-8", "replace"))


async def _draw_and_download(url: str) -> tuple[str, str, str, bytes]:
    async with aiohttp.ClientSession() as session:
        async with session.get(url + "/") as response:
            assert response.status == 200
            page = await response.text()
        ws_url = url.replace("http", "ws") + "/ws?width=120&height=40"
        drawn = b""
        async with session.ws_connect(ws_url) as ws:
            deadline = time.monotonic() + STARTUP
            # the panels, and the status of a built session (before it, e has nothing to export)
            while not all(p in screen_text(drawn) for p in (*PANELS, "ready")):
                assert time.monotonic() < deadline, screen_text(drawn)[-2000:]
                message = await ws.receive(timeout=STARTUP)
                if message.type == aiohttp.WSMsgType.BINARY:
                    drawn += message.data
                assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), message
            # s, then e: the screenshot, then the metrics and the settings, each delivered to the
            # browser; each is fetched as it is announced (the app's output waits for the download)
            files = {}
            for key, count in (("s", 1), ("e", 2)):
                await ws.send_json(["stdin", key])
                for _ in range(count):
                    while True:
                        assert time.monotonic() < deadline
                        message = await ws.receive(timeout=STARTUP)
                        if message.type == aiohttp.WSMsgType.TEXT and json.loads(message.data)[0] == "deliver_file_start":
                            break
                    async with session.get(f"{url}/download/{json.loads(message.data)[1]}") as response:
                        assert response.status == 200
                        disposition = response.headers["Content-Disposition"]
                        assert disposition.startswith("attachment; filename=wdtui-sine-"), disposition
                        files[disposition.rsplit(".", 1)[1]] = await response.read()
            await ws.send_json(["stdin", "q"])
    return page, screen_text(drawn), files


def test_server_serves_the_page_and_draws_the_app_through_its_websocket(server):
    page, drawn, files = asyncio.run(_draw_and_download(server))
    assert "<title>" not in page or "wdtui" in page
    assert f'data-session-websocket-url="{server.replace("http", "ws")}/ws"' in page
    assert ">wdtui<" in page.replace(" ", "").replace("\n", "")  # the title on the loading screen
    for panel in PANELS:
        assert panel in drawn
    assert "preset" in drawn and "sine" in drawn
    # in the browser, s and e download their files (attachments named as on disk)
    assert sorted(files) == ["json", "svg", "toml"]
    assert files["svg"].startswith(b"<svg") and b"Regularization" in files["svg"]
    assert json.loads(files["json"])["preset"] == "sine"
    settings = tomllib.loads(files["toml"].decode())
    assert settings["preset"] == "sine" and settings["epochs"] == 3


def test_serve_refuses_a_bad_app_option_and_a_bad_port(capsys):
    taken = socket.create_server(("127.0.0.1", 0))
    busy = ["serve", "--host", "127.0.0.1", "--port", str(taken.getsockname()[1])]
    elsewhere = ["serve", "--host", "192.0.2.1", "--port", "8766"]  # TEST-NET-1: not this machine's address
    for argv, flag in ((["serve", "--port", "0"], "--port"), (["serve", "--epochs", "0"], "--epochs"), (busy, "--port"),
                       (elsewhere, "--host")):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"argument {flag}:" in err, err
    taken.close()


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


async def _browse(url: str, browser: str, profile: Path) -> tuple[str, bool, int, bytes]:
    """Headless Chromium driven over the DevTools protocol: load the page, collect what its
    websocket receives until every panel is drawn, then take a screenshot."""
    proc = await asyncio.create_subprocess_exec(
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0",
        f"--user-data-dir={profile}", "--window-size=1280,800", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        devtools = None
        while devtools is None:
            line = (await asyncio.wait_for(proc.stderr.readline(), STARTUP)).decode()
            assert line, "chromium ended before it listened"
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            devtools = found and found[1]
        port = devtools.split(":")[2].split("/")[0]
        asyncio.get_running_loop().create_task(_drain(proc.stderr))
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                page = next(t for t in await response.json() if t["type"] == "page")
            async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as cdp:
                ids = iter(range(1, 1_000_000))
                received = bytearray()

                async def call(method: str, **params):
                    number = next(ids)
                    await cdp.send_json({"id": number, "method": method, "params": params})
                    while True:
                        message = json.loads((await cdp.receive(timeout=STARTUP)).data)
                        collect(message)
                        if message.get("id") == number:
                            return message.get("result", {})

                def collect(message: dict) -> None:
                    if message.get("method") == "Network.webSocketFrameReceived":
                        frame = message["params"]["response"]
                        if frame["opcode"] == 2:
                            received.extend(base64.b64decode(frame["payloadData"]))

                await call("Network.enable")
                await call("Page.enable")
                await call("Page.navigate", url=url + "/")
                deadline = time.monotonic() + STARTUP
                # the panels, the fit chart's legend (the session is built and its data drawn) and
                # the footer's keys (the page starts without focus: Textual's footer stayed empty)
                while not all(p in screen_text(bytes(received)) for p in (*PANELS, "vs coupled", "start/pause")):
                    assert time.monotonic() < deadline, screen_text(bytes(received))[-2000:]
                    collect(json.loads((await cdp.receive(timeout=STARTUP)).data))
                await asyncio.sleep(1.0)  # the terminal draws what it received on its next frames
                state = await call("Runtime.evaluate", returnByValue=True, expression=(
                    "[document.body.classList.contains('-first-byte'),"
                    " document.querySelectorAll('.xterm-screen canvas').length]"))
                shown, canvases = state["result"]["value"]
                shot = await call("Page.captureScreenshot", format="png")
                return screen_text(bytes(received)), shown, canvases, base64.b64decode(shot["data"])
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def _drain(stream) -> None:
    while await stream.readline():
        pass


def test_headless_chromium_shows_the_app_and_keeps_a_screenshot(server, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium on this machine (.ci/run installs Debian's chromium package)")
    drawn, shown, canvases, png = asyncio.run(_browse(server, browser, tmp_path / "profile"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "serve-browser.png").write_bytes(png)
    for panel in PANELS:
        assert panel in drawn
    assert shown, "the page still shows its loading screen"
    assert canvases >= 1, "xterm drew no canvas"
    width, height = _png_size(png)
    assert width == 1280 and height > 500 and len(png) > 20_000  # a drawn screen, not a blank page
