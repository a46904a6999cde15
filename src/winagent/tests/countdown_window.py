#!/usr/bin/env python3
"""Runs patchkeeper-countdown.exe under wine64 on Xvfb with openbox as the
window manager, checks it with countdown_window_probe.exe under the same
Wine, and saves a screenshot of the screen.

Checks:
- the probe's Win32 checks (topmost, no system menu, WM_CLOSE and SC_CLOSE
  ignored, title updated every second);
- Wine asked the window manager to keep the window above others: its X
  window carries _NET_WM_STATE_ABOVE;
- the window is still open after the checks, and the screenshot exists.

Usage: countdown_window.py WINE64 COUNTDOWN_EXE PROBE_EXE SCREENSHOT_PNG
Prints one line per check and "N failed"; exits 1 on a failure.
"""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

failures = 0


def check(passed, what):
    global failures
    print(("ok: " if passed else "FAILED: ") + what, flush=True)
    if not passed:
        failures += 1


def start_xvfb():
    """Starts Xvfb on a free display chosen by Xvfb itself (-displayfd)."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1024x600x24", "-nolisten", "tcp"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    if not number:
        raise RuntimeError("Xvfb did not report a display number")
    return server, ":" + number


def wait_until(condition, seconds):
    """Polls `condition` every 100 ms; another process has no event to wait on."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return False


def window_manager_ready(environment):
    result = subprocess.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=environment,
                            capture_output=True, text=True)
    return "window id" in result.stdout


def countdown_x_window(environment):
    result = subprocess.run(["xdotool", "search", "--name", "^Restart in "], env=environment,
                            capture_output=True, text=True)
    ids = result.stdout.split()
    return ids[0] if ids else None


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    wine, countdown_exe, probe_exe, screenshot = sys.argv[1:]
    for tool in ("Xvfb", "openbox", "xprop", "xdotool", "import"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: run scripts/install-deps.sh")
            return 1

    Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
    xvfb, display = start_xvfb()
    environment = dict(os.environ, DISPLAY=display)
    processes = [xvfb]
    try:
        openbox = subprocess.Popen(["openbox", "--sm-disable"], env=environment,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(openbox)
        check(wait_until(lambda: window_manager_ready(environment), 30), "openbox is running")

        until = int(time.time()) + 90 * 60
        countdown = subprocess.Popen([wine, countdown_exe, "--until", str(until)], env=environment)
        processes.append(countdown)

        # The probe writes to a file: Wine's helper processes inherit a pipe
        # and would keep it open after the probe exits.
        probe_output = Path(screenshot).with_suffix(".probe.txt")
        with open(probe_output, "w") as output:
            probe = subprocess.run([wine, probe_exe], env=environment, stdout=output,
                                   stderr=subprocess.STDOUT, timeout=240)
        sys.stdout.write(probe_output.read_text())
        check(probe.returncode == 0, "the Win32 checks of countdown_window_probe.exe pass")

        x_window = countdown_x_window(environment)
        check(x_window is not None, "the countdown window is an X window titled 'Restart in ...'")
        if x_window is not None:
            state = subprocess.run(["xprop", "-id", x_window, "_NET_WM_STATE"], env=environment,
                                   capture_output=True, text=True).stdout
            check("_NET_WM_STATE_ABOVE" in state,
                  "Wine asked the window manager to keep it above others")
        check(countdown.poll() is None, "the countdown program is still running")

        subprocess.run(["import", "-display", display, "-window", "root", screenshot],
                       env=environment, check=False)
        check(Path(screenshot).is_file() and Path(screenshot).stat().st_size > 0,
              f"the screenshot was saved to {screenshot}")
    finally:
        for process in reversed(processes):
            stop(process)

    print(f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
